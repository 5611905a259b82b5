"""Idempotency keys: every part Patchbot posts carries a key derived from what it is, so a
resumed run adopts only its own message, and a lost ledger is rebuilt from the channel's history
instead of posting everything again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXCERPT, CliResult, replies, top_level
from tests.fakes.slack_api import FakeSlack, Message

Run = Callable[..., CliResult]


def headline(message: Message) -> str:
    return str(message.blocks[0]["text"]["text"])


def thread_files(slack: FakeSlack, parent: Message) -> list[str]:
    return sorted(
        f.filename for f in slack.files.values() if ("C0NEWSROOM1", parent.ts) in f.shares
    )


def test_two_state_folders_never_adopt_each_others_messages(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    """The issue's repro: two patches, two state folders, one channel, a 500 in between."""
    leeds = {**env, "PATCHBOT_STATE_DIR": str(tmp_path / "A")}
    york = {**env, "PATCHBOT_STATE_DIR": str(tmp_path / "B")}
    source = ("--source", str(EXCERPT))
    first = run_cli("post", *source, "--patch", "Ryedale", "--story", "largest_rises", env=leeds)
    assert first.exit_code == 0, first.stderr
    slack.script("500", method="chat.postMessage")
    second = run_cli("post", *source, "--patch", "York", "--story", "largest_falls", env=york)
    assert second.exit_code == 0, second.stderr
    assert "Slack: 1 posted" in second.stderr
    ryedale, york_story = top_level(slack)
    assert headline(ryedale) == "The 1 area of Ryedale where Covid-19 cases rose most this week"
    assert headline(york_story) == "Where Covid-19 cases are falling fastest in York"
    assert thread_files(slack, ryedale) == [
        "2020-11-25_largest_rises_ryedale.png",
        "2020-11-25_largest_rises_ryedale.txt",
    ]
    assert thread_files(slack, york_story) == [
        "2020-11-25_largest_falls_york.png",
        "2020-11-25_largest_falls_york.txt",
    ]
    assert len(replies(slack, ryedale)) == 2  # its two files, nothing of York's
    again = run_cli("post", *source, "--patch", "York", "--story", "largest_falls", env=york)
    assert "0 posted, 0 corrected, 1 already posted" in again.stderr


def test_a_lost_ledger_is_rebuilt_from_the_channel_and_nothing_is_posted_again(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    args = ("post", "--source", str(EXCERPT), "--patch", "York")
    assert run_cli(*args, env=env).exit_code == 0
    writes = ("chat.postMessage", "files.completeUploadExternal", "chat.update")
    sent = Counter(c.method for c in slack.calls() if c.method in writes)
    ledger = Path(env["PATCHBOT_STATE_DIR"]) / "ledger.sqlite3"
    for lost in ("deleted", "emptied"):
        for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"):
            (ledger.parent / name).unlink(missing_ok=True)
        if lost == "emptied":
            ledger.write_bytes(b"")
        again = run_cli(*args, env=env)
        assert again.exit_code == 0, again.stderr
        assert "Slack: 0 posted, 0 corrected, 5 already posted" in again.stderr  # found
        assert Counter(c.method for c in slack.calls() if c.method in writes) == sent
    assert len(top_level(slack)) == 5
    third = run_cli(*args, env=env)
    assert "0 posted, 0 corrected, 5 already posted" in third.stderr
