"""The state file and the command line under hostile conditions (issue 12): a damaged ledger,
a locked one, a folder that cannot exist each say what is wrong in one line; ``-v`` logs every
step of ``draft`` and ``post``."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from bot.state import Ledger
from bot.state.store import why
from tests.fakes.slack_api import FakeSlack
from tests.helpers import EXCERPT, Run, one_clear_line, run_patchbot


@pytest.mark.parametrize("command", ["history", "status"])
def test_a_ledger_with_a_sound_header_and_garbage_after_it_is_one_line(
    run_cli: Run, tmp_path: Path, command: str
) -> None:
    state = tmp_path / "state"
    with Ledger(state):
        pass
    ledger = state / "ledger.sqlite3"
    whole = ledger.read_bytes()
    ledger.write_bytes(whole[:4096] + os.urandom(len(whole) - 4096))  # the header page kept
    message = one_clear_line(run_cli(command, env={"PATCHBOT_STATE_DIR": str(state)}))
    assert message == (
        f"PATCHBOT_STATE_DIR: cannot use {state}: database disk image is malformed (the file is "
        "damaged: restore it from a backup or move it aside)"
    )


def test_a_state_folder_that_cannot_be_made_says_it_does_not_exist(run_cli: Run) -> None:
    state = Path("/proc/no-such-process/state")  # nothing can be made under /proc
    message = one_clear_line(run_cli("history", env={"PATCHBOT_STATE_DIR": str(state)}))
    assert message.startswith(f"PATCHBOT_STATE_DIR: cannot use {state}: ")
    assert message.endswith("(a folder on the way does not exist)")


def test_a_locked_state_file_is_said_to_be_locked(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("INSERT INTO t VALUES (1)")
    holder.close()
    other.close()
    assert why(locked.value) == (
        "locked by another process: another Patchbot or a tool has it open; try again"
    )


def log_steps(stderr: str) -> list[str]:
    return re.findall(r"step=(\w+)", stderr)


def test_verbose_logs_every_step_of_draft(run_cli: Run) -> None:
    done = run_cli("-v", "draft", "--source", str(EXCERPT), "--patch", "York")
    assert done.exit_code == 0, done.stderr
    assert log_steps(done.stderr) == ["fetch", "fetched", "validate", "draft"]
    assert "step=validate rows=189 newest_week=2020-11-25 release=2020-11-30" in done.stderr
    assert "step=draft patch=York week=2020-11-25 stories=5 skipped=0 failed=0" in done.stderr


def test_verbose_logs_every_step_of_post(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    done = run_cli("-v", "post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert done.exit_code == 0, done.stderr
    assert log_steps(done.stderr)[:4] == ["fetch", "fetched", "validate", "draft"]
    assert log_steps(done.stderr)[-1] == "post"
    assert "step=post desk=default posted=5 corrected=0 unchanged=0 kept=0" in done.stderr
    assert "xoxb-" not in done.stderr  # the token is never logged


@pytest.mark.process
def test_the_process_ends_with_its_output_whole_and_its_status(tmp_path: Path) -> None:
    # The process ends at once when the command is done (no native thread left to abort it at
    # exit): what it printed is all there, and the exit status is the command's.
    drafted = run_patchbot(
        "draft", "--source", str(EXCERPT), "--patch", "York", env={}, cwd=tmp_path
    )
    assert drafted.returncode == 0, drafted.stderr
    assert drafted.stdout.count("==== ") == 5
    assert drafted.stdout.rstrip().endswith("Open Government Licence v3.0.")
    damaged = tmp_path / "damaged.csv"
    damaged.write_text(EXCERPT.read_text().replace(",419.1,", ",999.9,"))
    refused = run_patchbot("draft", "--source", str(damaged), env={}, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"patchbot: error: {damaged}: line 2 (E02002483, ")
    assert refused.stderr.count("\n") == 1
