"""Desks: one Patchbot, one ledger, several newsrooms, each with its own patch and channels."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import EXCERPT, TOKEN, CliResult, top_level
from tests.fakes.slack_api import FakeSlack, Message

Run = Callable[..., CliResult]
DESK_CHANNELS = {"echo": "C0ECHO0001", "press": "C0PRESS001", "gazette": "C0GAZETTE1",
                 "gazette-roundups": "C0GAZROUND", "ops": "C0OPSDESK1"}  # fmt: skip
DESKS = """
# Three titles of one publisher, one Slack workspace.
[desks.echo]
patch = "Darlington"
channel = "#echo"

[desks.press]
patch = "York"
patch_name = "the City of York"
channel = "#press"

[desks.gazette]
patch = "Hartlepool"
channel = "#gazette"
ops_channel = "#ops"
[desks.gazette.channels]
weekly_roundup = "#gazette-roundups"
"""


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, channels=DESK_CHANNELS, retry_after=0) as fake:
        yield fake


@pytest.fixture
def env(slack: FakeSlack, tmp_path: Path) -> dict[str, str]:
    desks = tmp_path / "desks.toml"
    desks.write_text(DESKS)
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.base_url,
        "SLACK_BACKOFF": "0",
        "PATCHBOT_STATE_DIR": str(tmp_path / "state"),
        "PATCHBOT_SOURCE": str(EXCERPT),
        "PATCHBOT_DESKS": str(desks),
    }


def headlines(messages: list[Message]) -> list[str]:
    return [str(m.blocks[0]["text"]["text"]) for m in messages]


def test_one_run_posts_each_desks_stories_to_its_own_channels(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    first = run_cli("run", "--once", env=env)
    assert first.exit_code == 0, first.stderr
    for desk in ("echo", "press", "gazette"):
        assert f"patchbot: run --once: {desk}: posted: release 2020-11-30" in first.stderr
    echo, press = top_level(slack, "echo"), top_level(slack, "press")
    gazette, roundups = top_level(slack, "gazette"), top_level(slack, "gazette-roundups")
    assert len(echo) == 4  # Darlington has no no_new_cases story this week
    assert all("Darlington" in headline for headline in headlines(echo))
    assert "Little or no Covid-19 in 2 neighbourhoods of the City of York" in headlines(press)
    assert all("Hartlepool" in headline for headline in headlines(gazette + roundups))
    assert [m.metadata["event_payload"]["story"] for m in roundups if m.metadata] == [
        "weekly_roundup"
    ]
    for channel, desk in (("echo", "echo"), ("press", "press"), ("gazette", "gazette")):
        marked = [m.metadata for m in slack.messages(channel) if m.metadata]
        assert {payload["event_payload"]["desk"] for payload in marked} == {desk}
    posted = len(slack.calls("chat.postMessage"))

    second = run_cli("run", "--once", env=env)
    assert second.exit_code == 0, second.stderr
    assert second.stderr.count("no-new-data: same file") == 3
    assert len(slack.calls("chat.postMessage")) == posted

    status = run_cli("status", env=env).stdout
    assert 'desk press: York ("the City of York" in headlines) → #press' in status
    assert status.count("  last errors:   none") == 3
    assert "  stories:       4 posted, 0 pending" in status  # echo
    history = run_cli("history", "--desk", "gazette", env=env).stdout
    assert "weekly_roundup" in history
    assert "#gazette-roundups ts=" in history
    assert "York" not in history
    again = run_cli("post", "--desk", "echo", env=env)
    assert "patchbot: echo: Slack: 0 posted, 0 corrected, 4 already posted" in again.stderr


def test_two_desks_in_one_channel_never_cross_wires(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    desks = tmp_path / "same.toml"
    desks.write_text(
        '[desks.north]\npatch = "York"\nchannel = "#echo"\n\n'
        '[desks.south]\npatch = "York"\nchannel = "#echo"\n'
    )
    env = {**env, "PATCHBOT_DESKS": str(desks)}
    story = ("--story", "largest_falls")
    assert run_cli("post", "--desk", "north", *story, env=env).exit_code == 0
    slack.script("500", method="chat.postMessage")
    south = run_cli("post", "--desk", "south", *story, env=env)
    assert "patchbot: south: Slack: 1 posted" in south.stderr
    north_story, south_story = top_level(slack, "echo")
    assert north_story.metadata
    assert south_story.metadata
    assert north_story.metadata["event_payload"]["desk"] == "north"
    assert south_story.metadata["event_payload"]["desk"] == "south"
    for parent in (north_story, south_story):
        shared = [f for f in slack.files.values() if ("C0ECHO0001", parent.ts) in f.shares]
        assert len(shared) == 2  # its own copy and chart


def test_draft_for_a_desk(run_cli: Run, env: dict[str, str]) -> None:
    result = run_cli("draft", "--desk", "press", "--story", "no_new_cases", env=env)
    assert result.exit_code == 0, result.stderr
    assert "Little or no Covid-19 in 2 neighbourhoods of the City of York" in result.stdout


@pytest.mark.parametrize(
    ("desks", "problem"),
    [
        ('[desks.echo]\npatch = "Darlington"\n', "[desks.echo]: channel is missing"),
        ('[desks.echo]\npatch = "York"\nchannel = "#echo"\nchanel = "#x"\n',
         "[desks.echo]: unknown key 'chanel'; keys: "),
        ('[desks.Echo]\npatch = "York"\nchannel = "#echo"\n', "[desks.Echo]: a desk's name is"),
        ('[desks.echo]\npatch = "York"\nchannel = "#echo"\nrun_at = "4pm"\n',
         '[desks.echo]: run_at must be a time of day, say "16:00"'),
        ('[desk.echo]\npatch = "York"\n', "expected one [desks.NAME] table per desk"),
        ('[desks.echo]\npatch = "York"\nchannel = "#echo"\n[desks.echo.channels]\nx = "#a b"\n',
         '[desks.echo.channels]: x must be a channel, say "#covid-drafts" or an ID'),
    ],
)  # fmt: skip
def test_a_bad_desks_file_is_one_clear_line(
    run_cli: Run, env: dict[str, str], tmp_path: Path, desks: str, problem: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(desks)
    result = run_cli("run", "--once", env={**env, "PATCHBOT_DESKS": str(path)})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"patchbot: error: {path}")
    assert problem in result.stderr
    assert result.stderr.count("\n") == 1


def test_desk_options_name_their_problem(run_cli: Run, env: dict[str, str]) -> None:
    unknown = run_cli("post", "--desk", "times", env=env)
    assert unknown.stderr == (
        f"patchbot: error: --desk: no desk 'times' in {env['PATCHBOT_DESKS']}; desks: echo, "
        "press, gazette\n"
    )
    patch = run_cli("post", "--patch", "York", env=env)
    assert patch.exit_code == 2
    assert "--patch: each desk has its own patch" in patch.stderr
    no_file = {k: v for k, v in env.items() if k != "PATCHBOT_DESKS"}
    assert "--desk echo: no desks file; set PATCHBOT_DESKS" in (
        run_cli("draft", "--desk", "echo", env=no_file).stderr
    )


def test_the_readmes_example_desks_file_is_valid(tmp_path: Path) -> None:
    from bot.desks import load_desks
    from bot.geography import load_geography
    from bot.settings import Settings
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    example = readme.split("```toml\n# desks.toml", 1)[1].split("```", 1)[0]
    path = tmp_path / "desks.toml"
    path.write_text("#" + example)
    desks = load_desks(Settings.load(environ={"PATCHBOT_DESKS": str(path)}))
    assert [desk.name for desk in desks] == ["echo", "press", "gazette"]
    patches = [load_geography().resolve_patch(desk.settings.patch) for desk in desks]
    assert [len(patch.councils) for patch in patches] == [2, 3, 3]
    assert desks[1].settings.templates_dir == tmp_path / "press_templates"
    assert desks[2].settings.story_channels == {"weekly_roundup": "#gazette-roundups"}
    assert desks[0].setting("SLACK_CHANNEL") == f"{path} [desks.echo] channel"


def test_the_service_serves_every_desk_on_its_own_schedule(
    slack: FakeSlack, env: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import datetime as dt
    import logging

    from bot.service import UK
    from bot.settings import Settings
    from bot.state import Journal
    from tests.test_service import serving, wait_for

    if dt.datetime.now(UK).time() >= dt.time(23, 59):  # the schedule is "the rest of today"
        time.sleep(61)
    caplog.set_level(logging.INFO, logger="bot")
    desks = tmp_path / "two.toml"
    every_day = 'run_days = "mon-sun"\nrun_at = "00:00"\npoll_until = "23:59:59"\n'
    desks.write_text(
        f'[desks.echo]\npatch = "Darlington"\nchannel = "#echo"\n{every_day}\n'
        f'[desks.press]\npatch = "York"\nchannel = "#press"\n{every_day}'
    )
    settings = Settings.load(environ={**env, "PATCHBOT_DESKS": str(desks)})
    today = dt.datetime.now(UK).date().isoformat()

    def finished(desk: str) -> bool:
        with Journal(tmp_path / "state", desk) as journal:
            done = journal.run_day(today)
        return done is not None and done.finished_at is not None

    with serving(settings, caplog) as start:
        assert "desk=echo" in start
        assert "catch_up=yes" in start
        wait_for(lambda: finished("echo") and finished("press"), timeout=60)
    assert len(top_level(slack, "echo")) == 4
    assert len(top_level(slack, "press")) == 5
