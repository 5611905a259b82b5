"""Kill ``patchbot post`` for real in the middle of a run, run it again: nothing lost, nothing
posted twice. The fake Slack takes the call, then holds the answer back while the test sends
SIGKILL, the worst moment: Slack has the message, the ledger does not know its ts."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.helpers import Run, patchbot_process, top_level, wait_for

pytestmark = pytest.mark.process


@pytest.mark.parametrize(
    ("method", "nth"),
    [
        ("chat.postMessage", 1),  # the first story's channel message
        ("chat.postMessage", 6),  # the round-up's thread continuation (the 6th message)
        ("upload", 2),  # the second story's file bytes, never completed
        ("files.completeUploadExternal", 3),  # the third file shared, answer lost
        ("files.getUploadURLExternal", 5),  # the round-up's file, before any bytes
    ],
)
def test_killed_mid_run_then_rerun(
    tmp_path: Path, slack: FakeSlack, env: dict[str, str], run_cli: Run, method: str, nth: int
) -> None:
    slack.script(*["ok"] * (nth - 1), "hang_after", method=method)
    run = patchbot_process("post", env=env, cwd=tmp_path)
    try:
        wait_for(
            lambda: any(c.outcome == "hang_after" for c in slack.calls(method)),
            timeout=30,
            what="timed out waiting for the run to reach the kill point",
        )
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    assert run.returncode == -signal.SIGKILL

    # The run after the crash needs no process of its own: in-process, it reads the same
    # ledger and asks the same Slack.
    rerun = run_cli("post", env=env)
    err = rerun.stderr
    assert rerun.exit_code == 0, err

    stories = top_level(slack)
    assert len(stories) == 5  # nothing lost
    parts = Counter(
        (m.metadata["event_payload"]["post"], m.metadata["event_payload"]["part"])
        for m in slack.messages("newsroom")
        if m.metadata
    )
    assert parts
    assert max(parts.values()) == 1
    assert sum(1 for post, part in parts if part == "main") == 5
    shared = Counter(f.filename for f in slack.files.values() if f.shares)
    assert len([name for name in shared if name.endswith(".txt")]) == 5
    assert len([name for name in shared if name.endswith(".png")]) == 4  # 3 charts, a map
    assert max(shared.values()) == 1  # every text file and picture shared exactly once
    assert all(len(f.shares) == 1 for f in slack.files.values() if f.shares)
    assert "0 kept for the next run" in err
