"""The service with the UKHSA source: Thursdays by default, each story posted once, one
CORRECTION when UKHSA revises a figure already posted, one alert on a Thursday without new data,
and every fault of the API one clear line with nothing posted. Against the fake UKHSA API and
the fake Slack."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from bot.service import UK, Service
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlack
from tests.fakes.ukhsa_api import FakeUkhsaApi
from tests.helpers import CliResult, Run, replies, top_level

PATCH = (
    "County Durham, Darlington, Hartlepool, Stockton-on-Tees, Middlesbrough, Redcar and Cleveland"
)


@pytest.fixture
def env(env: dict[str, str], ukhsa: FakeUkhsaApi) -> dict[str, str]:
    """``env``, with the patch from the fake UKHSA API, polled every 0.3 s."""
    return {
        **env,
        "PATCHBOT_SOURCE": "ukhsa",
        "PATCHBOT_UKHSA_API_URL": ukhsa.base_url,
        "PATCHBOT_PATCH": PATCH,
        "PATCHBOT_HTTP_RETRIES": "2",
        "PATCHBOT_POLL_MINUTES": "0.005",
    }


def once(run_cli: Run, env: dict[str, str]) -> CliResult:
    """``patchbot run --once --source ukhsa``."""
    settings = {k: v for k, v in env.items() if k != "PATCHBOT_SOURCE"}
    result = run_cli("run", "--once", "--source", "ukhsa", env=settings)
    assert result.exit_code == 0, result.stderr
    return result


def test_posts_once_nothing_the_next_time_and_one_correction_after_a_revision(
    run_cli: Run, env: dict[str, str], ukhsa: FakeUkhsaApi, slack: FakeSlack
) -> None:
    first = once(run_cli, env)
    posted = top_level(slack)
    assert [m.text for m in posted] == [
        "No Covid-19 deaths registered in Darlington and Redcar and Cleveland this week",
        "1 council of County Durham, Darlington, Hartlepool, Stockton-on-Tees, Middlesbrough "
        "and Redcar and Cleveland has a Covid-19 death rate above twice the average",
        "Where Covid-19 deaths fell most in County Durham, Darlington, Hartlepool, "
        "Stockton-on-Tees, Middlesbrough and Redcar and Cleveland this week",
        "Covid-19 deaths registered in each council of County Durham, Darlington, Hartlepool, "
        "Stockton-on-Tees, Middlesbrough and Redcar and Cleveland",
    ]
    assert "run --once: posted: release (undated), week to 2023-11-05: 4 posted" in first.stderr
    assert "step=check source=ukhsa" in first.stderr

    again = once(run_cli, env)
    assert "run --once: no-new-data: same file as release (undated) (week to 2023-11-05)" in (
        again.stderr
    )
    assert len(top_level(slack)) == 4

    # A refresh revises County Durham's figure (one death registered -> two): the three
    # stories that name it get one CORRECTION each, in their own thread; the fourth nothing.
    ukhsa.revise("County Durham", "2023-10-30", 2)
    revised = once(run_cli, env)
    assert "run --once: posted: release (undated), week to 2023-11-05: 0 posted, 3 corrected, " in (
        revised.stderr
    )
    assert len(top_level(slack)) == 4  # corrections go in the originals' threads
    for original in posted[1:]:
        (correction,) = [m for m in replies(slack, original) if "CORRECTION" in m.text]
        assert "UK Health Security Agency revised these figures. This corrected draft" in (
            str(correction.blocks)
        )
        assert "County Durham" in str(correction.blocks)
    assert any("County Durham - 2 deaths" in str(m.blocks) for m in replies(slack, posted[3]))
    assert not [m for m in replies(slack, posted[0]) if "CORRECTION" in m.text]
    assert "no-new-data" in once(run_cli, env).stderr  # and nothing more after that
    assert len([m for m in slack.messages("newsroom") if "CORRECTION" in m.text]) == 3


@pytest.mark.parametrize(
    ("fault", "line"),
    [
        ("metric", "PATCHBOT_UKHSA_METRIC: the UKHSA API has no 'COVID-19_deaths_ONSByDay' for "
                   "County Durham (COVID-19, Lower Tier Local Authority); it has: "
                   "COVID-19_deaths_ONSByWeek"),
        ("html", "answered an HTML page, not JSON: is PATCHBOT_UKHSA_API_URL the API"),
        ("403", "failed after 3 attempts: 403 Forbidden: the API's firewall blocks an address "
                "after about 2,000 requests in five minutes"),
        ("truncated", "failed after 3 attempts: the connection dropped mid-answer (truncated "
                      "body)"),
    ],
)  # fmt: skip
def test_each_fault_is_one_clear_line_and_posts_nothing(
    run_cli: Run, env: dict[str, str], ukhsa: FakeUkhsaApi, slack: FakeSlack, fault: str, line: str
) -> None:
    if fault == "metric":
        env = {**env, "PATCHBOT_UKHSA_METRIC": "COVID-19_deaths_ONSByDay"}
    else:
        ukhsa.fail_next(fault, times=3, on="/metrics/")  # type: ignore[arg-type]
    drafted = run_cli("draft", env=env)
    assert drafted.exit_code == 1
    *retries, error = drafted.stderr.splitlines()
    assert error.startswith("patchbot: error: UKHSA API: ") or error.startswith(
        "patchbot: error: PATCHBOT_UKHSA_METRIC: "
    )
    assert line in error
    assert all("ukhsa attempt=" in retry for retry in retries)  # the log of each retry
    if fault != "metric":
        ukhsa.fail_next(fault, times=3, on="/metrics/")  # type: ignore[arg-type]
    ran = run_cli("run", "--once", env=env)
    assert ran.exit_code == 1
    assert "Traceback" not in ran.stderr
    assert "patchbot: run --once: error: " in ran.stderr
    assert line in ran.stderr.splitlines()[-1]
    assert top_level(slack) == []
    (alert,) = top_level(slack, "ops")
    assert "Patchbot could not use the data" in alert.text


def test_ukhsa_runs_on_thursdays_by_default(run_cli: Run, env: dict[str, str]) -> None:
    assert Settings.load(environ=env).run_days == "thu"
    assert Settings.load(environ={**env, "PATCHBOT_RUN_DAYS": "mon-fri"}).run_days == "mon-fri"
    assert Settings.load(environ={**env, "PATCHBOT_SOURCE": "bundled"}).run_days == "mon-fri"
    status = run_cli("status", env=env)
    assert "schedule:      thu at 16:00 UK time" in status.stdout


def test_a_thursday_without_new_data_alerts_once(
    run_cli: Run, env: dict[str, str], ukhsa: FakeUkhsaApi, slack: FakeSlack
) -> None:
    """Over Christmas UKHSA pauses its Thursday refresh: one alert that day, not one per poll."""
    once(run_cli, env)
    posted = len(top_level(slack))
    settings = Settings.load(environ={**env, "PATCHBOT_POLL_UNTIL": "20:00"})
    thursday = dt.datetime(2023, 12, 28, 19, 59, 58, tzinfo=UK)
    with time_machine.travel(thursday, tick=True):
        assert Service(settings).daily_job() == "no-new-data"
        (alert,) = top_level(slack, "ops")
        assert "no new UKHSA data today (Thursday 28 December 2023)" in alert.text
        assert Service(settings).daily_job() == "already-done"
    assert len(top_level(slack, "ops")) == 1
    assert len(top_level(slack)) == posted


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PATCHBOT_UKHSA_API_URL", "api.ukhsa-dashboard.data.gov.uk"),
        ("PATCHBOT_UKHSA_TOPIC", "COVID-\x0719"),
        ("PATCHBOT_UKHSA_METRIC", "x" * 101),
        ("PATCHBOT_UKHSA_GEOGRAPHY_TYPE", "Lower\tTier"),
    ],
)
def test_bad_ukhsa_settings_name_themselves(run_cli: Run, name: str, value: str) -> None:
    result = run_cli("draft", "--source", "ukhsa", env={name: value})
    assert result.exit_code == 1
    # Issue 15: the line goes on to say what the setting takes.
    assert result.stderr.startswith(
        f"patchbot: error: {name}: not a valid value: {value.strip()!r}; expected "
    )
    assert result.stderr.count("\n") == 1
