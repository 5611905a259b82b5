"""``patchbot run`` / ``run --once`` / ``status``: the weekday schedule, polling for a release,
one alert on a day without one, catching up after a restart, one service per state directory,
a graceful stop. Driven against the fake PHE API and the fake Slack, with time-machine for the
clock (the scheduler and the job read the patched clock; waits are real and short)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import time_machine

from bot.service import UK, Schedule, Service
from bot.settings import Settings
from bot.state import Journal, Ledger, state_lock
from tests.fakes.phe_api import FakePheApi
from tests.fakes.slack_api import FakeSlack
from tests.helpers import (
    EXCERPT,
    FIRST,
    REVISED,
    CliResult,
    Run,
    assert_each_story_once,
    checks,
    read_rows,
    serving,
    top_level,
    wait_for,
    write_rows,
)

MONDAY_1600 = dt.datetime(2020, 11, 30, 16, 0, tzinfo=UK)


@pytest.fixture
def env(api_env: dict[str, str]) -> dict[str, str]:
    """York from the fake PHE API (area code E06000014), polled every 0.3 s."""
    return {**api_env, "PATCHBOT_HTTP_RETRIES": "0", "PATCHBOT_POLL_MINUTES": "0.005"}


def settings_from(env: dict[str, str], **overrides: str) -> Settings:
    return Settings.load(environ={**env, **overrides})


def run_day(env: dict[str, str], day: str) -> tuple[str | None, str | None] | None:
    with Journal(Path(env["PATCHBOT_STATE_DIR"])) as journal:
        return journal.run_day(day)


def finished_at(env: dict[str, str], day: str = "2020-11-30") -> str | None:
    done = run_day(env, day)
    return done[0] if done else None


# -- the schedule


def test_trigger_fires_on_weekdays_at_1600_uk_time_across_both_dst_changes(
    env: dict[str, str],
) -> None:
    trigger = Schedule.of(settings_from(env)).trigger()

    def fires_after(start: dt.datetime, count: int) -> list[dt.datetime]:
        times, previous = [], None
        for _ in range(count):
            previous = trigger.get_next_fire_time(previous, previous or start)
            times.append(previous.astimezone(dt.UTC))
        return times

    utc = dt.UTC
    # Clocks go forward on Sunday 29 March 2020: 16:00 GMT on Friday, 16:00 BST (15:00 UTC)
    # from Monday; nothing at the weekend.
    assert fires_after(dt.datetime(2020, 3, 26, 12, tzinfo=UK), 4) == [
        dt.datetime(2020, 3, 26, 16, tzinfo=utc),
        dt.datetime(2020, 3, 27, 16, tzinfo=utc),
        dt.datetime(2020, 3, 30, 15, tzinfo=utc),
        dt.datetime(2020, 3, 31, 15, tzinfo=utc),
    ]
    # Clocks go back on Sunday 25 October 2020.
    assert fires_after(dt.datetime(2020, 10, 22, 12, tzinfo=UK), 4) == [
        dt.datetime(2020, 10, 22, 15, tzinfo=utc),
        dt.datetime(2020, 10, 23, 15, tzinfo=utc),
        dt.datetime(2020, 10, 26, 16, tzinfo=utc),
        dt.datetime(2020, 10, 27, 16, tzinfo=utc),
    ]
    every_fire = fires_after(dt.datetime(2020, 3, 1, tzinfo=UK), 200)
    assert {when.astimezone(UK).weekday() for when in every_fire} == {0, 1, 2, 3, 4}
    assert {when.astimezone(UK).time() for when in every_fire} == {dt.time(16)}


def test_status_shows_the_next_run_in_uk_time(run_cli: Run, env: dict[str, str]) -> None:
    # Friday after the run, the weekend the clocks go forward: next run Monday 16:00 BST.
    with time_machine.travel(dt.datetime(2020, 3, 27, 17, 0, tzinfo=UK), tick=False):
        result = run_cli("status", env=env)
    assert result.exit_code == 0, result.stderr
    assert "next run:      Mon 30 Mar 2020 16:00 BST" in result.stdout
    assert "service:       not running" in result.stdout
    assert (
        "schedule:      mon-fri at 16:00 UK time; until there is new data, every 0.3 s until "
        "20:00" in result.stdout
    )
    assert "last check:    none yet" in result.stdout
    with time_machine.travel(dt.datetime(2020, 10, 23, 17, 0, tzinfo=UK), tick=False):
        result = run_cli("status", env={**env, "PATCHBOT_RUN_AT": "16:30"})
    assert "next run:      Mon 26 Oct 2020 16:30 GMT" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("PATCHBOT_RUN_AT", "4pm", "PATCHBOT_RUN_AT: not a valid value: '4pm'"),
        ("PATCHBOT_RUN_AT", "25:00", "PATCHBOT_RUN_AT: not a valid value: '25:00'"),
        ("PATCHBOT_POLL_UNTIL", "15:00", "PATCHBOT_POLL_UNTIL: 15:00:00 is not after"),
        ("PATCHBOT_POLL_MINUTES", "0", "PATCHBOT_POLL_MINUTES: not a valid value: '0'"),
        ("PATCHBOT_RUN_DAYS", "mon-funday", "PATCHBOT_RUN_DAYS: not a valid value"),
    ],
)
def test_bad_schedule_settings_are_one_line_errors(
    run_cli: Run, env: dict[str, str], name: str, value: str, problem: str
) -> None:
    result = run_cli("run", "--once", env={**env, name: value})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"patchbot: error: {problem}")
    assert result.stderr.count("\n") == 1


# -- the daily job


def test_release_appearing_on_the_third_poll_is_posted_once(
    env: dict[str, str], api: FakePheApi, slack: FakeSlack
) -> None:
    api.publish(EXCERPT.read_text(), release="2020-11-30")
    api.fail_next("204", times=2, on="api")  # not yet, not yet, then there
    with time_machine.travel(MONDAY_1600, tick=False):
        outcome = Service(settings_from(env)).daily_job()
        assert outcome == "posted"
        assert checks(api) == 3
        assert_each_story_once(slack)
        assert top_level(slack, "ops") == []
        assert run_day(env, "2020-11-30") is not None
        # The job does not run twice in a day, and the same file is never posted twice.
        assert Service(settings_from(env)).daily_job() == "already-done"
        assert checks(api) == 3
    assert_each_story_once(slack)


def test_day_without_a_release_alerts_ops_once_not_once_per_poll(
    env: dict[str, str], api: FakePheApi, slack: FakeSlack
) -> None:
    settings = settings_from(env, PATCHBOT_POLL_UNTIL="20:00")
    # Two seconds before the deadline; the clock runs, so polls every 0.3 s reach it.
    with time_machine.travel(dt.datetime(2020, 11, 30, 19, 59, 58, tzinfo=UK), tick=True):
        assert Service(settings).daily_job() == "no-new-data"
        polls = checks(api)
        assert polls >= 3
        (alert,) = top_level(slack, "ops")
        assert "no new PHE data today (Monday 30 November 2020) for York" in alert.text
        assert f"{polls} times until 20:00" in alert.text
        assert top_level(slack) == []
        # Started again the same evening: the day is done, no second alert.
        assert Service(settings).daily_job() == "already-done"
    assert len(top_level(slack, "ops")) == 1
    assert checks(api) == polls


def test_new_revised_identical_and_stale_files(
    run_cli: Run, env: dict[str, str], api: FakePheApi, slack: FakeSlack, tmp_path: Path
) -> None:
    """One check each (`run --once`): a new release is posted; the same bytes again, even
    re-stamped, are not new; a revision of a week already posted goes through the correction
    path; a file older than the last one processed is ignored."""

    def once() -> CliResult:
        result = run_cli("run", "--once", env=env)
        assert result.exit_code == 0, result.stderr
        return result

    assert "run --once: no-new-data: the source has no data yet (204" in once().stderr
    api.publish(FIRST.read_text(), release="2020-11-25")
    first = once()
    posts = len(top_level(slack))
    assert posts >= 3
    assert f"run --once: posted: release 2020-11-25, week to 2020-11-18: {posts} posted" in (
        first.stderr
    )
    assert "step=check source=phe-api patch=York outcome=posted" in first.stderr
    assert "step=validate rows=" in first.stderr
    assert "run --once: no-new-data: same file as release 2020-11-25" in once().stderr
    api.publish(FIRST.read_text(), release="2020-11-26")  # re-published unchanged
    assert "no-new-data: same file as release 2020-11-25" in once().stderr

    api.publish(REVISED.read_text(), release="2020-11-30")  # PHE revised the same weeks
    revised = once()
    assert "run --once: posted: release 2020-11-30, week to 2020-11-18: 0 posted, " in (
        revised.stderr
    )
    corrections = [m for m in slack.messages("newsroom") if "CORRECTION" in m.text]
    assert corrections
    assert len(top_level(slack)) == posts  # corrections go in the originals' threads

    older = [row for row in read_rows(FIRST) if row["date"] != "2020-11-18"]
    api.publish(write_rows(tmp_path / "old.csv", older).read_text(), release="2020-11-18")
    assert "run --once: stale: newest week 2020-11-11" in once().stderr

    status = run_cli("status", env=env)
    assert "last release:  2020-11-30 (week to 2020-11-18, York, phe-api)" in status.stdout
    assert "last check:    " in status.stdout
    assert "outcome=stale" in status.stdout
    assert f"stories:       {posts + len(corrections)} posted, 0 pending" in status.stdout
    assert "last errors:   none" in status.stdout


def test_run_once_exit_status_on_errors(run_cli: Run, env: dict[str, str], api: FakePheApi) -> None:
    api.publish(EXCERPT.read_text(), release="2020-11-30")
    api.fail_next("500", on="api")
    result = run_cli("run", "--once", env=env)
    assert result.exit_code == 1
    assert "run --once: error: source: " in result.stderr
    assert "HTTP 500" in result.stderr
    status = run_cli("status", env=env)
    assert "last errors:\n" in status.stdout
    assert "HTTP 500" in status.stdout.split("last errors:")[1]
    no_token = run_cli("run", "--once", env={**env, "SLACK_BOT_TOKEN": ""})
    assert no_token.exit_code == 1
    assert no_token.stderr.startswith("patchbot: error: SLACK_BOT_TOKEN: not set; `patchbot run`")


def test_stop_finishes_the_story_being_posted_and_posts_nothing_more(
    env: dict[str, str], api: FakePheApi, slack: FakeSlack
) -> None:
    api.publish(EXCERPT.read_text(), release="2020-11-30")
    stop = threading.Event()

    def stop_at_first_post() -> None:  # as SIGTERM would, while the first story is going out
        deadline = time.monotonic() + 8
        while not slack.calls("chat.postMessage") and time.monotonic() < deadline:
            time.sleep(0.001)
        stop.set()

    stopper = threading.Thread(target=stop_at_first_post)
    stopper.start()
    result = Service(settings_from(env), stop).check()
    stopper.join()
    assert result.outcome == "stopped"
    sent = top_level(slack)
    assert 1 <= len(sent) < 5
    copies = [f for f in slack.files.values() if f.shares and f.filename.endswith(".txt")]
    assert len(copies) == len(sent)  # each story sent is complete, with its copy
    state = Path(env["PATCHBOT_STATE_DIR"])
    with Ledger(state) as ledger, Journal(state) as journal:
        assert len(ledger.pending()) == 5 - len(sent)
        assert journal.last_release() is None  # not processed: the next run resumes
    assert Service(settings_from(env)).check().outcome == "posted"
    assert_each_story_once(slack)


# -- restarts and the lock


def test_restart_after_a_missed_run_catches_up_once_and_not_the_next_day(
    env: dict[str, str],
    api: FakePheApi,
    slack: FakeSlack,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    api.publish(EXCERPT.read_text(), release="2020-11-30")
    settings = settings_from(env)
    # Down since Thursday: the Thursday, Friday and Monday 16:00 runs were all missed; back
    # on Monday at 17:30, before the 20:00 deadline. One run, at once.
    with time_machine.travel(dt.datetime(2020, 11, 30, 17, 30, tzinfo=UK), tick=True):
        with serving(settings, caplog) as start:
            assert "catch_up=yes" in start
            wait_for(lambda: finished_at(env))
        assert run_day(env, "2020-11-30") == (finished_at(env), "posted")
        assert checks(api) == 1
        assert_each_story_once(slack)
        # Restarted again the same evening: today's run is done; next run Tuesday 16:00.
        with serving(settings, caplog) as start:
            time.sleep(0.5)
        assert "catch_up=no next_run=2020-12-01T16:00:00+00:00" in start
        assert checks(api) == 1

    # Another machine, down all of Monday, back on Tuesday morning: Monday is not caught up.
    other = settings_from(env, PATCHBOT_STATE_DIR=str(tmp_path / "other"))
    tuesday = dt.datetime(2020, 12, 1, 9, 0, tzinfo=UK)
    with time_machine.travel(tuesday, tick=True), serving(other, caplog) as start:
        time.sleep(0.5)
    assert "catch_up=no next_run=2020-12-01T16:00:00+00:00" in start
    assert checks(api) == 1
    assert_each_story_once(slack)


def test_second_instance_on_the_same_state_directory_refuses(
    run_cli: Run, env: dict[str, str], api: FakePheApi
) -> None:
    state = Path(env["PATCHBOT_STATE_DIR"])
    with state_lock(state):  # a service already running on it
        for args in (("run",), ("run", "--once")):
            result = run_cli(*args, env=env)
            assert result.exit_code == 1
            assert result.stderr == (
                f"patchbot: error: PATCHBOT_STATE_DIR: another Patchbot (pid {os.getpid()})"
                f" is already running with the state directory {state}; only one may use it at "
                "a time\n"
            )
        assert f"service:       running (pid {os.getpid()})" in (run_cli("status", env=env).stdout)
    assert checks(api) == 0
    assert run_cli("run", "--once", env=env).exit_code == 0  # free again
    assert "service:       not running" in run_cli("status", env=env).stdout


def test_releases_are_recorded_in_the_ledger(
    run_cli: Run, env: dict[str, str], api: FakePheApi
) -> None:
    api.publish(EXCERPT.read_text(), release="2020-11-30")
    assert run_cli("run", "--once", env=env).exit_code == 0
    db = sqlite3.connect(Path(env["PATCHBOT_STATE_DIR"]) / "ledger.sqlite3")
    try:
        rows = db.execute("SELECT patch, source, week_ending, release, outcome FROM releases")
        assert rows.fetchall() == [("York", "phe-api", "2020-11-25", "2020-11-30", "posted")]
    finally:
        db.close()


def test_bad_data_posts_nothing_alerts_ops_once_and_keeps_the_last_good_release(
    run_cli: Run, env: dict[str, str], api: FakePheApi, slack: FakeSlack, tmp_path: Path
) -> None:
    api.publish(FIRST.read_text(), release="2020-11-25")
    assert run_cli("run", "--once", env=env).exit_code == 0
    posted = len(top_level(slack))
    # A damaged release: a rate that does not match its cases (line 2 of the file).
    rows = read_rows(REVISED)
    york = next(
        r for r in rows if r["LtlaName"] == "York" and r["newCasesBySpecimenDateRollingRate"]
    )
    york["newCasesBySpecimenDateRollingRate"] = "999.9"
    api.publish(write_rows(tmp_path / "bad.csv", rows).read_text(), release="2020-11-30")
    for _ in range(2):  # polled twice: one alert, not two
        bad = run_cli("run", "--once", env=env)
        assert bad.exit_code == 1
        assert "does not match" in bad.stderr
        assert "Traceback" not in bad.stderr
    assert len(top_level(slack)) == posted  # nothing drafted from the bad data
    (alert,) = [m for m in top_level(slack, "ops") if "could not use the data" in m.text]
    assert "rate 999.9 does not match" in alert.text
    assert "the last good release (2020-11-25, week to 2020-11-18) stays as posted" in alert.text
    status = run_cli("status", env=env)
    assert "last release:  2020-11-25 (week to 2020-11-18, York, phe-api)" in status.stdout


def test_a_story_that_failed_to_draft_is_drafted_once_the_template_is_mended(
    run_cli: Run, env: dict[str, str], api: FakePheApi, slack: FakeSlack, templates: Path
) -> None:
    broken = templates / "highest_rates.j2"
    good = broken.read_text()
    broken.write_text(good.replace("{{ top_area.rate|rate }}", "{{ top_area.rate|rate(", 1))
    env = {**env, "PATCHBOT_TEMPLATES_DIR": str(templates)}
    api.publish(FIRST.read_text(), release="2020-11-25")
    first = run_cli("run", "--once", env=env)
    assert "run --once: partial: " in first.stderr
    posted = len(top_level(slack))
    broken.write_text(good)  # an editor mends it; PHE publishes nothing new
    second = run_cli("run", "--once", env=env)
    assert second.exit_code == 0, second.stderr
    assert "1 posted" in second.stderr
    assert len(top_level(slack)) == posted + 1
    third = run_cli("run", "--once", env=env)
    assert "no-new-data: same file" in third.stderr
