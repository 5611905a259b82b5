"""Fault injection: ``patchbot`` against local servers that fail the ways the real ones did.
Each fault ends in one clear line, never a traceback, and nothing posted twice or lost. The
CLI runs in-process (the same command, settings and output); only the full disk needs a real
process, for a file-size limit of its own."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.fakes.phe_api import FakePheApi
from tests.fakes.slack_api import FakeSlack
from tests.helpers import EXCERPT, Run, full_disk_patchbot, one_clear_line, top_level

# One retry and a second's patience for the data; two seconds for Slack.
IMPATIENT = {
    "PATCHBOT_HTTP_RETRIES": "1",
    "PATCHBOT_HTTP_TIMEOUT": "1",
    "PATCHBOT_HTTP_MAX_WAIT": "2",
}
SLACK_TIMEOUT = {"SLACK_TIMEOUT": "2"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_data_api_down(run_cli: Run, api_env: dict[str, str]) -> None:
    env = {
        **api_env,
        **IMPATIENT,
        "PATCHBOT_PHE_API_URL": f"http://127.0.0.1:{free_port()}/v2/data",
    }
    message = one_clear_line(run_cli("draft", env=env))
    assert message.endswith("failed after 2 attempts: cannot connect (ConnectionError)")


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
def test_data_api_faults(
    run_cli: Run, published: FakePheApi, api_env: dict[str, str], kind: str, expected: str
) -> None:
    published.fail_next(kind, times=2, delay=3)  # type: ignore[arg-type]
    message = one_clear_line(run_cli("draft", env={**api_env, **IMPATIENT}))
    assert expected in message


def test_data_api_rate_limited_beyond_patience(
    run_cli: Run, published: FakePheApi, api_env: dict[str, str]
) -> None:
    published.fail_next("429", retry_after=3600)
    message = one_clear_line(run_cli("draft", env={**api_env, **IMPATIENT}))
    assert "is rate-limited (429) and asks to wait 3600 s, more than PATCHBOT_HTTP_MAX_WAIT=2" in (
        message
    )


def test_data_api_recovers_within_retries(
    run_cli: Run, published: FakePheApi, api_env: dict[str, str]
) -> None:
    published.fail_next("429", retry_after=1)
    done = run_cli("draft", "--story", "no_new_cases", env={**api_env, **IMPATIENT})
    assert done.exit_code == 0, done.stderr
    assert "\n- New Earswick\n" in done.stdout  # one council: not repeated (issue 14)


def test_state_directory_unusable(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state directory should be")
    env = {**env, **SLACK_TIMEOUT, "PATCHBOT_STATE_DIR": str(blocker / "state")}
    message = one_clear_line(run_cli("post", "--source", str(EXCERPT), env=env))
    assert message.startswith(f"PATCHBOT_STATE_DIR: cannot use {blocker / 'state'}: ")
    assert slack.calls("chat.postMessage") == []


@pytest.mark.process
def test_state_directory_full(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, **SLACK_TIMEOUT}
    args = ("post", "--source", str(EXCERPT), "--patch", "York")
    done = full_disk_patchbot(*args, env=env, cwd=tmp_path, limit=100_000)
    message = one_clear_line(done)
    assert message.startswith("PATCHBOT_STATE_DIR: cannot write ")
    assert message.endswith("(the disk failed to read or write: is it full?)"), message
    posted = len(top_level(slack))
    # Room again: the next run posts what is missing, and nothing twice.
    again = run_cli(*args, env=env)
    assert again.exit_code == 0, again.stderr
    assert len(top_level(slack)) == 5
    assert posted <= 5


def test_slack_down_keeps_every_story_for_the_next_run(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    env = {**env, **SLACK_TIMEOUT}
    slack.fail_always("chat.postMessage", "503")
    args = ("post", "--source", str(EXCERPT), "--patch", "York")
    down = run_cli(*args, env=env)
    assert down.exit_code == 3
    assert "Slack: 0 posted, 0 corrected, 0 already posted, 5 kept for the next run" in down.stderr
    assert "Traceback" not in down.stderr
    slack.clear_faults()
    back = run_cli(*args, env=env)
    assert back.exit_code == 0, back.stderr
    assert "Slack: 5 posted" in back.stderr
    assert len(top_level(slack)) == 5


def test_slack_timeout_does_not_double_post(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    env = {**env, **SLACK_TIMEOUT}
    slack.script("hang_after", method="chat.postMessage")  # posted, but no answer in time
    done = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert done.exit_code == 0, done.stderr
    assert len(top_level(slack)) == 5
    assert len([c for c in slack.calls("chat.postMessage") if c.outcome != "hang_after"]) == 4
