"""Fault injection with real processes: the real ``patchbot`` against local servers that fail
the ways the real ones did. Each fault ends in one clear line, never a traceback, and nothing
posted twice or lost."""

from __future__ import annotations

import resource
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHANNELS, EXCERPT, TOKEN, run_patchbot, top_level
from tests.fakes.phe_api import FakePheApi
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parent.parent


def patchbot(
    *args: str, env: dict[str, str], cwd: Path, limit_file_size: int | None = None
) -> subprocess.CompletedProcess[str]:
    def full_disk() -> None:  # for this process only
        assert limit_file_size is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return run_patchbot(
        *args, env=env, cwd=cwd, preexec_fn=full_disk if limit_file_size is not None else None
    )


def one_clear_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("patchbot: error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0].removeprefix("patchbot: error: ")


@pytest.fixture
def api() -> Iterator[FakePheApi]:
    with FakePheApi() as fake:
        fake.publish(EXCERPT.read_text(), release="2020-11-30")
        yield fake


def api_env(api: FakePheApi) -> dict[str, str]:
    return {**api_env_for_url(api.base_url), "PATCHBOT_HTTP_MAX_WAIT": "2"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_data_api_down(tmp_path: Path) -> None:
    env = api_env_for_url(f"http://127.0.0.1:{free_port()}/v2/data")
    message = one_clear_line(patchbot("draft", env=env, cwd=tmp_path))
    assert message.endswith("failed after 2 attempts: cannot connect (ConnectionError)")


def api_env_for_url(url: str) -> dict[str, str]:
    return {
        "PATCHBOT_SOURCE": "phe-api", "PATCHBOT_PHE_API_URL": url, "PATCHBOT_PATCH": "York",
        "PATCHBOT_HTTP_RETRIES": "1", "PATCHBOT_HTTP_BACKOFF": "0", "PATCHBOT_HTTP_TIMEOUT": "1",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("500", "failed after 2 attempts: HTTP 500"),
        ("slow", "failed after 2 attempts: no answer within 1 seconds"),
        ("truncated", "failed after 2 attempts: the connection dropped mid-download"),
        ("drop", "failed after 2 attempts: "),
        ("html", "got an HTML/XML page, not PHE's CSV"),
        ("204", "answered 204 No Content: no data yet"),
    ],
)
def test_data_api_faults(api: FakePheApi, tmp_path: Path, kind: str, expected: str) -> None:
    api.fail_next(kind, times=2, delay=3)  # type: ignore[arg-type]
    message = one_clear_line(patchbot("draft", env=api_env(api), cwd=tmp_path))
    assert expected in message


def test_data_api_rate_limited_beyond_patience(api: FakePheApi, tmp_path: Path) -> None:
    api.fail_next("429", retry_after=3600)
    message = one_clear_line(patchbot("draft", env=api_env(api), cwd=tmp_path))
    assert "is rate-limited (429) and asks to wait 3600 s, more than PATCHBOT_HTTP_MAX_WAIT=2" in (
        message
    )


def test_data_api_recovers_within_retries(api: FakePheApi, tmp_path: Path) -> None:
    api.fail_next("429", retry_after=1)
    done = patchbot("draft", "--story", "no_new_cases", env=api_env(api), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\n- New Earswick\n" in done.stdout  # one council: not repeated (issue 14)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, channels=CHANNELS, retry_after=0) as fake:
        yield fake


def slack_env(slack: FakeSlack, state: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "#newsroom", "SLACK_OPS_CHANNEL": "#ops",
        "SLACK_API_URL": slack.base_url, "PATCHBOT_STATE_DIR": str(state),
        "SLACK_BACKOFF": "0", "SLACK_TIMEOUT": "2",
    }  # fmt: skip


def test_state_directory_unusable(slack: FakeSlack, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state directory should be")
    env = slack_env(slack, blocker / "state")
    message = one_clear_line(patchbot("post", "--source", str(EXCERPT), env=env, cwd=tmp_path))
    assert message.startswith(f"PATCHBOT_STATE_DIR: cannot use {blocker / 'state'}: ")
    assert slack.calls("chat.postMessage") == []


def test_state_directory_full(slack: FakeSlack, tmp_path: Path) -> None:
    env = slack_env(slack, tmp_path / "state")
    args = ("post", "--source", str(EXCERPT), "--patch", "York")
    done = patchbot(*args, env=env, cwd=tmp_path, limit_file_size=100_000)
    message = one_clear_line(done)
    assert message.startswith("PATCHBOT_STATE_DIR: cannot write ")
    assert message.endswith("(disk full or read-only?)")
    posted = len(top_level(slack))
    # Room again: the next run posts what is missing, and nothing twice.
    again = patchbot(*args, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(top_level(slack)) == 5
    assert posted <= 5


def test_slack_down_keeps_every_story_for_the_next_run(slack: FakeSlack, tmp_path: Path) -> None:
    env = slack_env(slack, tmp_path / "state")
    slack.fail_always("chat.postMessage", "503")
    args = ("post", "--source", str(EXCERPT), "--patch", "York")
    down = patchbot(*args, env=env, cwd=tmp_path)
    assert down.returncode == 3
    assert "Slack: 0 posted, 0 corrected, 0 already posted, 5 kept for the next run" in down.stderr
    assert "Traceback" not in down.stderr
    slack.clear_faults()
    back = patchbot(*args, env=env, cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert "Slack: 5 posted" in back.stderr
    assert len(top_level(slack)) == 5


def test_slack_timeout_does_not_double_post(slack: FakeSlack, tmp_path: Path) -> None:
    env = slack_env(slack, tmp_path / "state")
    slack.script("hang_after", method="chat.postMessage")  # posted, but no answer in time
    done = patchbot("post", "--source", str(EXCERPT), "--patch", "York", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(top_level(slack)) == 5
    assert len([c for c in slack.calls("chat.postMessage") if c.outcome != "hang_after"]) == 4
