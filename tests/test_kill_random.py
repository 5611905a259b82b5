"""SIGKILL at random points, over and over: each time the next run finishes the job with no
part posted twice and none lost, pictures included.

Each iteration posts two stories with pictures (a chart, a map) from a fresh state folder to a
fresh fake Slack, kills the real ``patchbot post`` process (``tests.forked``) at a random moment
-- either a random time into the run (drawing, ledger writes, between calls) or at a random
Slack call that Slack has taken but not yet answered -- then runs ``post`` again to the end.
The random seed is printed, so a failure can be replayed.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from pathlib import Path

from tests.conftest import CHANNELS, EXCERPT, TOKEN, top_level
from tests.fakes.slack_api import FakeSlack
from tests.forked import forkserver, start

ITERATIONS = 30
ARGS = ["post", "--source", str(EXCERPT), "--patch", "York"]
STORIES = ("largest_rises", "weekly_roundup")
WRITES = (
    "chat.postMessage",
    "files.getUploadURLExternal",
    "upload",
    "files.completeUploadExternal",
)
EXPECTED_FILES = {
    "2020-11-25_largest_rises_york.txt", "2020-11-25_largest_rises_york.png",
    "2020-11-25_weekly_roundup_york.txt", "2020-11-25_patch_map_york.png",
}  # fmt: skip


def environment(slack: FakeSlack, state: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "#newsroom", "SLACK_API_URL": slack.base_url,
        "PATCHBOT_STATE_DIR": str(state), "SLACK_BACKOFF": "0", "SLACK_TIMEOUT": "5",
    }  # fmt: skip


def assert_complete_and_once(slack: FakeSlack) -> None:
    """Every part there exactly once, in its own story's thread: 0 doubled, 0 lost."""
    stories = top_level(slack)
    assert sorted(m.metadata["event_payload"]["story"] for m in stories if m.metadata) == sorted(
        STORIES
    )
    assert len(stories) == len(STORIES)
    keys = Counter(m.metadata["event_payload"]["key"] for m in slack.messages("newsroom")
                   if m.metadata)  # fmt: skip
    assert max(keys.values()) == 1
    shared = [f for f in slack.files.values() if f.shares]
    assert Counter(f.filename for f in shared) == Counter(EXPECTED_FILES)
    threads = {m.metadata["event_payload"]["story"]: m.ts for m in stories if m.metadata}
    for file in shared:
        assert file.content
        story = "largest_rises" if "largest_rises" in file.filename else "weekly_roundup"
        assert file.shares == [("C0NEWSROOM1", threads[story])]


def test_killed_at_random_points_then_rerun(tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    print(f"kill test seed: {seed}")
    chance = random.Random(seed)
    context = forkserver()
    warm = start(context, ["--version"], {}, tmp_path, tmp_path / "version.log")
    warm.join(60)  # the fork server is up, Patchbot imported: runs are timed from here
    args = [*ARGS, *(arg for story in STORIES for arg in ("--story", story))]
    full_run = 4.0  # seconds, measured on the first iteration
    killed_at = Counter[str]()
    for iteration in range(ITERATIONS):
        with FakeSlack(token=TOKEN, channels=CHANNELS, retry_after=0) as slack:
            env = environment(slack, tmp_path / f"state-{iteration}")
            log = tmp_path / f"run-{iteration}.log"
            by_call = iteration > 0 and chance.random() < 0.5
            if by_call:
                method = chance.choice(WRITES)
                slack.script(*["ok"] * chance.randrange(3), "hang_after", method=method)
            began = time.monotonic()
            run = start(context, args, env, tmp_path, log)
            if by_call:
                deadline = time.monotonic() + 60
                while not any(c.outcome == "hang_after" for c in slack.calls()):
                    if not run.is_alive() or time.monotonic() > deadline:
                        break  # fewer calls of that method than scripted: the run finished
                    time.sleep(0.005)
            elif iteration > 0:
                run.join(chance.uniform(0, full_run))
            if iteration == 0:
                run.join(60)
                full_run = time.monotonic() - began
            point = f"{method} call" if by_call else "time"
            if run.is_alive():
                run.kill()  # SIGKILL
                run.join(10)
                assert run.exitcode == -signal.SIGKILL
                killed_at[point] += 1
            rerun = start(context, args, env, tmp_path, log.with_suffix(".rerun.log"))
            rerun.join(90)
            assert rerun.exitcode == 0, log.with_suffix(".rerun.log").read_text()
            assert_complete_and_once(slack)
    print(f"kill test: {ITERATIONS} iterations, killed {dict(killed_at)}")
    assert sum(killed_at.values()) >= ITERATIONS * 2 // 3  # most runs really were killed


def test_a_full_disk_while_recording_loses_no_picture(tmp_path: Path) -> None:
    """The disk fills while a story and its pictures are being recorded: the transaction
    leaves all of it or none, so the next run shares every picture, once."""
    from tests.test_faults import one_clear_line, patchbot

    with FakeSlack(token=TOKEN, channels=CHANNELS, retry_after=0) as slack:
        env = environment(slack, tmp_path / "state")
        args = [*ARGS, *(arg for story in STORIES for arg in ("--story", story))]
        full = patchbot(*args, env=env, cwd=tmp_path, limit_file_size=150_000)
        assert one_clear_line(full).startswith("PATCHBOT_STATE_DIR: cannot write ")
        again = patchbot(*args, env=env, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert_complete_and_once(slack)
