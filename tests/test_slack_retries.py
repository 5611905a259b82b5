"""Slack's own timeout and retries (``SLACK_TIMEOUT``, ``SLACK_RETRIES``, ``SLACK_BACKOFF``),
apart from the data download's, and the one backoff rule both use."""

from __future__ import annotations

import pytest

from bot.backoff import Backoff
from bot.delivery import target_for
from bot.delivery.slack_client import SlackClient
from bot.errors import PatchbotError
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlack
from tests.helpers import EXCERPT, TOKEN, Run, top_level

ARGS = ("--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases")


def test_backoff_doubles_from_its_base_up_to_its_cap() -> None:
    assert [Backoff(2).wait(attempt) for attempt in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert [Backoff(2, cap=5).wait(attempt) for attempt in (1, 2, 3)] == [2, 4, 5]
    assert Backoff(0).wait(3) == 0


def test_slack_settings_are_their_own() -> None:
    defaults = Settings.load(environ={"PATCHBOT_HTTP_TIMEOUT": "7", "PATCHBOT_HTTP_BACKOFF": "0"})
    assert (defaults.slack_timeout, defaults.slack_retries, defaults.slack_backoff) == (30, 2, 2)
    chosen = Settings.load(
        environ={"SLACK_TIMEOUT": "5", "SLACK_RETRIES": "0", "SLACK_BACKOFF": "0.5"}
    )
    assert (chosen.slack_timeout, chosen.slack_retries, chosen.slack_backoff) == (5, 0, 0.5)
    assert chosen.http.timeout == 30


@pytest.mark.parametrize(
    ("name", "value"),
    [("SLACK_TIMEOUT", "0"), ("SLACK_RETRIES", "-1"), ("SLACK_BACKOFF", "inf")],
)
def test_bad_slack_settings_name_themselves(name: str, value: str) -> None:
    with pytest.raises(PatchbotError, match=f"^{name}: not a valid value: '{value}'; expected "):
        Settings.load(environ={name: value})


def test_an_unknown_target_is_one_clear_line() -> None:
    with pytest.raises(
        PatchbotError, match="delivery target: unknown delivery target 'pigeon'; known: slack"
    ):
        target_for(Settings.load(environ={}), "pigeon")


def test_a_server_error_is_retried_as_slack_retries_says(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    slack.script("503", method="chat.postMessage")
    kept = run_cli("post", *ARGS, env={**env, "SLACK_RETRIES": "0"})
    assert kept.exit_code == 3
    assert "1 kept for the next run" in kept.stderr
    slack.script("503", method="chat.postMessage")
    retried = run_cli("post", *ARGS, env=env)  # the default: two retries
    assert retried.exit_code == 0, retried.stderr
    assert "Slack: 1 posted" in retried.stderr
    assert len(top_level(slack)) == 1


@pytest.mark.parametrize("wait", [0.2, -5])
def test_a_retry_after_that_is_not_a_whole_number_is_waited_out(
    slack: FakeSlack, wait: float
) -> None:
    # slack-sdk reads Retry-After with int() and sleeps it: 0.2 or -5 was exit 70
    slack.retry_after = wait
    slack.script("ratelimited", method="auth.test")
    client = SlackClient(TOKEN, slack.base_url, retries=0)
    assert client.identity().bot_id == "B0PATCHBOT"
    assert [c.outcome for c in slack.calls("auth.test")] == ["ratelimited", "ok"]
