"""Slack calls share kept-alive connections: one per host for a whole post, a connection Slack
closed while idle is never written to, and a proxy in the environment is still used."""

from __future__ import annotations

import time

import pytest

from bot.delivery.slack_client import SlackClient
from tests.fakes.slack_api import FakeSlack
from tests.helpers import EXCERPT, TOKEN, Run


def test_a_post_with_pictures_uses_one_connection(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    result = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert result.exit_code == 0, result.stderr
    assert len(slack.calls("upload")) == 9  # the five plain copies and four pictures
    assert len(slack.calls()) >= 40  # auth, look-ups, posts and uploads
    assert slack.connections == 1


def test_a_connection_slack_closed_while_idle_is_not_used(slack: FakeSlack) -> None:
    client = SlackClient(TOKEN, slack.base_url, retries=0)
    client.call("auth.test")
    slack.hang_up_idle()
    deadline = time.monotonic() + 5
    while slack.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)  # the fake's handler sees the hang-up and lets go
    # A post is never sent twice blindly, so this would fail had the closed one been written to.
    sent = client.call("chat.postMessage", channel="C0NEWSROOM1", text="Nothing new")
    assert sent["ok"] is True
    assert [c.outcome for c in slack.calls("chat.postMessage")] == ["ok"]
    assert slack.connections == 2


def test_calls_go_through_a_proxy_set_in_the_environment(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", slack.url)  # the fake answers a proxy's requests too
    client = SlackClient(TOKEN, "http://slack.invalid/api/", retries=0)
    assert client.identity().bot_id == "B0PATCHBOT"
    assert [c.method for c in slack.calls()] == ["auth.test"]


def test_an_answer_cut_off_is_one_line_and_the_post_is_not_sent_twice(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    slack.script("cut_after", method="chat.postMessage")  # posted, but half the answer lost
    args = ("--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases")
    result = run_cli("post", *args, env=env)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The courier's warning, then it looked the post up and found it.
    assert "chat.postMessage: a broken answer from" in result.stderr
    assert "(IncompleteRead)" in result.stderr
    assert [c.outcome for c in slack.calls("chat.postMessage")] == ["cut_after"]
    assert "Slack: 1 posted, 0 corrected, 0 already posted, 0 kept" in result.stderr


def test_a_port_out_of_range_is_one_line_not_an_internal_error(
    run_cli: Run, env: dict[str, str]
) -> None:
    url = "http://127.0.0.1:99999/api/"
    args = ("--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases")
    result = run_cli("post", *args, env={**env, "SLACK_API_URL": url, "SLACK_RETRIES": "0"})
    assert result.exit_code == 3, result.stderr
    assert f"Slack auth.test: cannot connect to {url} (InvalidURL)" in result.stderr


def test_a_connection_idle_too_long_is_not_used(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = SlackClient(TOKEN, slack.base_url, retries=0)
    client.call("auth.test")
    client.call("auth.test")
    assert slack.connections == 1
    monkeypatch.setattr("bot.delivery.keepalive.MAX_IDLE_SECONDS", 0.0)
    client.call("auth.test")
    assert slack.connections == 2
