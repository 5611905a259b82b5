"""The service after hostile input (issue 12): a file that used to crash the day's run is one
ops alert, and polling goes on until PATCHBOT_POLL_UNTIL, so good data published later the same
day is still posted. A template that never finishes holds its story, not the service. Driven
against the fake PHE API and the fake Slack, with time-machine for the clock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
import time_machine

from bot.service import UK, Service
from bot.settings import Settings
from tests.fakes.phe_api import FakePheApi
from tests.fakes.slack_api import FakeSlack
from tests.helpers import EXCERPT, assert_each_story_once, checks, read_rows, top_level, write_rows

MONDAY_1600 = dt.datetime(2020, 11, 30, 16, 0, tzinfo=UK)


@pytest.fixture
def env(api_env: dict[str, str]) -> dict[str, str]:
    """York from the fake PHE API, polled every 0.3 s until 20:00."""
    return {
        **api_env, "PATCHBOT_HTTP_RETRIES": "0", "PATCHBOT_POLL_MINUTES": "0.005",
        "PATCHBOT_POLL_UNTIL": "20:00",
    }  # fmt: skip


def publish_when_polled(api: FakePheApi, polls: int, content: str) -> threading.Thread:
    """Publish ``content`` once the source has been checked ``polls`` times (within 10 s)."""

    def later() -> None:
        for _ in range(200):
            if checks(api) >= polls:
                break
            time.sleep(0.05)
        api.publish(content, release="2020-11-30")

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    return thread


def test_a_crashing_file_then_good_data_posts_the_good_data_with_one_alert(
    env: dict[str, str], api: FakePheApi, slack: FakeSlack, tmp_path: Path
) -> None:
    rows = read_rows()
    york = next(row for row in rows if row["LtlaName"] == "York")
    york["newCasesBySpecimenDateRollingSum"] = "9" * 25  # beyond int64: exit 70 before
    api.publish(write_rows(tmp_path / "crash.csv", rows).read_text(), release="2020-11-30")
    later = publish_when_polled(api, 3, EXCERPT.read_text())  # the same day, corrected
    with time_machine.travel(MONDAY_1600, tick=False):
        outcome = Service(Settings.load(environ=env)).daily_job()
    later.join(timeout=10)
    assert outcome == "posted"
    # The good file goes up once the third check has arrived; that check may already see it.
    assert checks(api) >= 3  # polled on after the bad file
    assert_each_story_once(slack)
    (alert,) = top_level(slack, "ops")
    assert alert.text.startswith(":warning: Patchbot could not use the data: ")
    assert "newCasesBySpecimenDateRollingSum 99999999999999999999... (25 characters) is too " in (
        alert.text
    )
    assert "It will check again." in alert.text


def test_a_template_that_never_finishes_holds_its_story_not_the_service(
    env: dict[str, str], api: FakePheApi, slack: FakeSlack, templates: Path
) -> None:
    endless = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
    story = templates / "largest_falls.j2"
    headline, _, rest = story.read_text().partition("\n")
    story.write_text(f"{headline}\n{endless}{rest}")
    api.publish(EXCERPT.read_text(), release="2020-11-30")
    settings = {**env, "PATCHBOT_TEMPLATES_DIR": str(templates), "PATCHBOT_RENDER_SECONDS": "0.5"}
    with time_machine.travel(MONDAY_1600, tick=False):
        outcome = Service(Settings.load(environ=settings)).daily_job()
    assert outcome == "partial"
    assert len(top_level(slack)) == 4  # every other story posted
    (alert,) = [m for m in top_level(slack, "ops") if "largest_falls" in m.text]
    assert (
        "largest_falls.j2: rendering took longer than PATCHBOT_RENDER_SECONDS=0.5 seconds"
        in alert.text
    )
