"""The real ``patchbot run`` process, end to end: it starts, polls the fake PHE API, posts a
release published while it runs to the fake Slack, refuses a second instance on its state
directory, and stops cleanly on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.service import UK
from tests.fakes.phe_api import API_PATH, FakePheApi
from tests.fakes.slack_api import FakeSlack
from tests.helpers import (
    EXCERPT,
    ROOT,
    TOKEN,
    Run,
    assert_each_story_once,
    checks,
    run_patchbot,
    top_level,
    wait_for,
)

pytestmark = pytest.mark.process


def start(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # a file, not a pipe: the service logs every poll
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_patchbot_run_posts_a_release_published_while_it_runs(
    tmp_path: Path, run_cli: Run, api: FakePheApi, slack: FakeSlack, api_env: dict[str, str]
) -> None:
    uk_now = dt.datetime.now(UK)
    if uk_now.time() >= dt.time(23, 59):  # the schedule below is "the rest of today"
        time.sleep(61 - uk_now.second)
    env = {
        **api_env,
        # Every day (CI may run at the weekend), from midnight: the run time has passed,
        # so the service catches up at once, and polls every 0.5 s until 23:59:59.
        "PATCHBOT_RUN_DAYS": "mon-sun",
        "PATCHBOT_RUN_AT": "00:00",
        "PATCHBOT_POLL_UNTIL": "23:59:59",
        "PATCHBOT_POLL_MINUTES": str(0.5 / 60),
    }
    log = tmp_path / "service.log"
    service = start(env, tmp_path, log)
    try:
        wait_for(lambda: checks(api) >= 2, timeout=15)  # polling: nothing published yet
        assert top_level(slack) == []
        api.publish(EXCERPT.read_text(), release="2020-11-30")
        wait_for(lambda: "outcome=posted next_run=" in log.read_text(), timeout=20)
        copies = [f for f in slack.files.values() if f.shares and f.filename.endswith(".txt")]
        assert len(copies) == 5

        # A process, not run_cli: if the lock failed, an in-process ``run`` would be the
        # service loop itself, inside the test, with nothing to stop it.
        # A process, not run_cli: if the lock failed, an in-process ``run`` would be the
        # service loop itself, inside the test, with nothing to stop it.
        second = run_patchbot("run", env=env, cwd=tmp_path, timeout=30)
        assert second.returncode == 1
        assert second.stderr == (
            f"patchbot: error: PATCHBOT_STATE_DIR: another Patchbot (pid {service.pid}) is "
            f"already running with the state directory {tmp_path / 'state'}; only one may "
            "use it at a time\n"
        )
        polls = checks(api)
        time.sleep(1.2)  # the day's release is in: no more polling, nothing more posted
        assert checks(api) == polls
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=15)
    output = log.read_text()
    assert service.returncode == 0, output

    assert_each_story_once(slack)
    assert top_level(slack, "ops") == []
    assert all(r.query["areaCode"] == ["E06000014"] for r in api.requests if r.path == API_PATH)

    lines = output.splitlines()
    assert any("step=start" in line and "catch_up=yes" in line for line in lines)
    assert any("step=check" in line and "outcome=no-new-data" in line for line in lines)
    assert any("step=check" in line and "outcome=posted" in line for line in lines)
    assert any("step=post posted=5 corrected=0" in line for line in lines)
    assert "step=stop outcome=stopped" in lines[-1]
    assert "Traceback" not in output
    assert TOKEN not in output

    status = run_cli("status", env=env)
    assert status.exit_code == 0, status.stderr
    assert "service:       not running" in status.stdout
    assert "last release:  2020-11-30 (week to 2020-11-25, York, phe-api)" in status.stdout
    assert "stories:       5 posted, 0 pending" in status.stdout
    assert "today's run:   posted at " in status.stdout
    history = run_cli("history", env=env)
    rows = history.stdout.splitlines()[1:]  # under the header
    assert len([row for row in rows if "  posted  " in row]) == 5
    db = sqlite3.connect(tmp_path / "state" / "ledger.sqlite3")
    try:
        assert db.execute("SELECT release, outcome FROM releases").fetchall() == [
            ("2020-11-30", "posted")
        ]
    finally:
        db.close()
