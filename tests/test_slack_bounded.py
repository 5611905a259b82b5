"""Slack, bounded and careful: every wait capped, reads retried, redirects refused, the token's
shape checked and never shown, alerts split to Slack's limits, every channel checked at start
and named by its own setting, one alert per problem per day."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cases import CaseData
from bot.delivery import target_for
from bot.geography import Geography, Patch
from bot.rendering import DEFAULT_TEMPLATES_DIR
from bot.settings import Settings
from bot.sources import RawData, SourceOptions
from tests.fakes.slack_api import FakeSlack
from tests.helpers import CHANNELS, EXCERPT, TOKEN, CliResult, edit, top_level

Run = Callable[..., CliResult]
ARGS = ("--source", str(EXCERPT), "--patch", "York")
ONE = (*ARGS, "--story", "no_new_cases")


def error_line(result: CliResult) -> str:
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("patchbot: error")]
    return line.removeprefix("patchbot: error: ")


def test_a_redirect_is_refused_and_the_token_goes_nowhere(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    with FakeSlack(token=TOKEN, channels=CHANNELS) as elsewhere:
        slack.redirect_to = f"{elsewhere.base_url}auth.test"
        slack.script("302", method="auth.test")
        line = error_line(run_cli("post", *ONE, env=env))
        assert elsewhere.calls() == []  # never followed: the token went nowhere else
    assert line == (
        f"SLACK_API_URL: Slack auth.test at {slack.base_url} answered 302, a redirect to "
        f"{slack.redirect_to}; refused, so the token is not sent on (check the URL)"
    )
    assert slack.calls("chat.postMessage") == []


def test_a_long_retry_after_is_not_waited_out(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    slack.retry_after = 3600  # slack-sdk alone would sleep an hour
    slack.script("ratelimited", method="chat.postMessage")
    began = time.monotonic()
    result = run_cli("post", *ONE, env=env)
    assert time.monotonic() - began < 30
    assert result.exit_code == 3, result.stderr
    assert (
        "kept for the next run: no_new_cases (York, week to 2020-11-25): Slack chat.postMessage: "
        "rate-limited (429), asks to wait 3600 s, more than SLACK_MAX_WAIT=300"
    ) in result.stderr
    slack.retry_after = 0
    assert run_cli("post", *ONE, env={**env, "SLACK_MAX_WAIT": "1"}).exit_code == 0
    assert len(top_level(slack)) == 1


def test_slack_max_wait_defaults_to_the_http_one() -> None:
    assert Settings.load(environ={}).slack_max_wait == 300
    assert Settings.load(environ={"PATCHBOT_HTTP_MAX_WAIT": "20"}).slack_max_wait == 20
    chosen = {"PATCHBOT_HTTP_MAX_WAIT": "20", "SLACK_MAX_WAIT": "5"}
    assert Settings.load(environ=chosen).slack_max_wait == 5


def test_a_long_ops_alert_is_split_to_slacks_limits(slack: FakeSlack, env: dict[str, str]) -> None:
    problems = [f"• problem {n}: " + "word " * 120 for n in range(120)]  # ~73,000 characters
    text = ":warning: Patchbot:\n" + "\n".join(problems)
    target_for(Settings.load(environ=env)).alert("#ops", text)
    alerts = top_level(slack, "ops")
    assert len(alerts) >= 3
    for message in alerts:
        assert len(message.blocks) <= 50
        assert all(len(block["text"]["text"]) <= 3000 for block in message.blocks)
    shown = "\n".join(block["text"]["text"] for m in alerts for block in m.blocks)
    assert shown.replace("\n", "") == text.replace("\n", "")  # every character, in order


def test_conversations_list_failing_once_is_retried(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    slack.script("500", method="conversations.list")
    result = run_cli("post", *ONE, env=env)
    assert result.exit_code == 0, result.stderr
    assert [c.outcome for c in slack.calls("conversations.list")][:2] == ["500", "ok"]


SLACK_METHODS = ("auth.test", "conversations.list", "conversations.info", "chat.postMessage",
                 "conversations.history", "files.getUploadURLExternal")  # fmt: skip


def test_slack_down_on_every_method_keeps_every_story(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    for method in SLACK_METHODS:
        slack.fail_always(method, "503")
    down = run_cli("post", *ARGS, env=env)
    assert down.exit_code == 3, down.stderr
    assert "Slack: 0 posted, 0 corrected, 0 already posted, 5 kept for the next run" in (
        down.stderr
    )
    status = run_cli("status", env=env).stdout
    assert "stories:       0 posted, 5 pending" in status
    assert "Slack auth.test: internal_error" in status.split("last errors:")[1]
    slack.clear_faults()
    back = run_cli("post", *ARGS, env=env)
    assert "Slack: 5 posted" in back.stderr
    assert len(top_level(slack)) == 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_slack_unreachable_names_the_url_and_the_setting(run_cli: Run, env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"
    result = run_cli("post", *ONE, env={**env, "SLACK_API_URL": url, "SLACK_RETRIES": "0"})
    assert result.exit_code == 3
    assert (
        f"Slack auth.test: cannot connect to {url} (ConnectionRefusedError); "
        "check SLACK_API_URL and the network"
    ) in result.stderr
    assert "Failed to send a request" not in result.stderr  # slack-sdk's own line is not shown
    assert "logger=slack_sdk" not in result.stderr


@pytest.mark.parametrize(
    "token", ["xoxb-abc\ndef-123", "xoxb-abc def", "xoxp-a-user-token", "xapp-1-A0-1-abc"]
)
def test_a_token_of_the_wrong_shape_is_refused_unseen(run_cli: Run, token: str) -> None:
    result = run_cli("--debug", "post", *ONE, env={"SLACK_BOT_TOKEN": token})
    assert error_line(result) == (
        "SLACK_BOT_TOKEN: not a Slack bot token: it should start with xoxb- and have no spaces "
        "or line breaks (the Bot User OAuth Token, README 'Slack setup')"
    )
    assert token.split()[0] not in result.stderr + result.stdout


def test_every_channel_is_checked_at_start_and_named_by_its_setting(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    cases = {
        "SLACK_OPS_CHANNEL": ("#nope", "channel #nope not found"),
        "SLACK_CHANNEL_WEEKLY_ROUNDUP": ("#nope", "channel #nope not found"),
        "SLACK_CHANNEL": ("C0NOPE123", "channel C0NOPE123 not found"),
    }
    for setting, (channel, problem) in cases.items():
        line = error_line(run_cli("post", *ONE, env={**env, setting: channel}))
        assert line == (
            f"{setting}: {problem} — check the channel name and invite the bot (/invite @Patchbot)"
        )
    unknown = error_line(run_cli("post", *ONE, env={**env, "SLACK_CHANNEL_WEEKLY_ROUNDUPS": "#x"}))
    assert unknown.startswith("SLACK_CHANNEL_WEEKLY_ROUNDUPS: no story 'weekly_roundups'; ")
    assert slack.calls("chat.postMessage") == []


def test_one_alert_per_problem_per_day(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)
    broken = templates / "highest_rates.j2"
    edit(broken, "{{ patch_average|rate }} cases per", "{{ x|nofilter }} cases per")
    edited = {**env, "PATCHBOT_TEMPLATES_DIR": str(templates)}
    for _run in range(3):
        assert run_cli("post", *ARGS, env=edited).exit_code == 4
    (alert,) = top_level(slack, "ops")
    assert alert.text.startswith(":warning: Patchbot (York):\n• not drafted (template error): ")
    assert alert.text.count("• ") == 1


class LeakySource:
    """A plug-in source with a bug whose message carries the token."""

    geography = "msoa-2011"

    def __init__(self, spec: str, options: SourceOptions) -> None:
        self.name = spec

    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        raise RuntimeError(f"boom with Authorization: Bearer {TOKEN}")

    def parse(self, raw: RawData, geography: Geography, today: dt.date) -> CaseData:
        raise AssertionError("never reached")


def test_debug_tracebacks_never_show_the_token(run_cli: Run, env: dict[str, str]) -> None:
    from bot.sources import SOURCES, register_source

    register_source("leaky")(LeakySource)
    try:
        result = run_cli("--debug", "post", "--source", "leaky", env=env)
    finally:
        SOURCES.pop("leaky")
    assert result.exit_code == 70
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: boom with Authorization: Bearer [redacted]" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
