"""Slack calls share kept-alive connections: one per host for a whole post, a connection Slack
closed while idle is never written to, and a proxy in the environment is still used."""

from __future__ import annotations

import os
import resource
import time

import pytest

from bot.delivery.slack_client import SlackClient, SlackFailure
from tests.fakes.slack_api import FakeSlack
from tests.helpers import CHANNELS, EXCERPT, TOKEN, Run


def test_a_post_with_pictures_uses_one_connection(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    result = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert result.exit_code == 0, result.stderr
    assert len(slack.calls("upload")) == 9  # the five plain copies and four pictures
    assert len(slack.calls()) >= 40  # auth, look-ups, posts and uploads
    assert slack.connections == 1
    # the headers urllib gave slack-sdk's uploads, which Slack's upload host is used to
    assert {c.params["content_type"] for c in slack.calls("upload")} == {
        "application/x-www-form-urlencoded"
    }


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


def test_uploads_go_through_a_proxy_set_in_the_environment(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", slack.url)
    client = SlackClient(TOKEN, "http://slack.invalid/api/", retries=0)
    client.web.files_upload_v2(channel=CHANNELS["newsroom"], content=b"a picture", filename="a.png")
    methods = [c.method for c in slack.calls()]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert slack.calls("upload")[0].params["content"] == b"a picture"
    assert slack.calls("upload")[0].params["content_type"] == "application/x-www-form-urlencoded"
    assert slack.connections == 3  # urllib's: one each, so none of them was a kept connection


@pytest.mark.parametrize(
    ("outcome", "why"),
    [
        ("cut_after", "IncompleteRead"),  # posted, but half the answer lost
        ("garbled_after", "UndecodableAnswer"),  # not valid UTF-8: was exit 70
        ("unknown_charset_after", "UndecodableAnswer"),  # a charset Python has not heard of
    ],
)
def test_a_broken_answer_is_one_line_and_the_post_is_not_sent_twice(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], outcome: str, why: str
) -> None:
    slack.script(outcome, method="chat.postMessage")
    args = ("--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases")
    result = run_cli("post", *args, env=env)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The courier's warning, then it looked the post up and found it.
    assert "chat.postMessage: a broken answer from" in result.stderr
    assert f"({why})" in result.stderr
    assert [c.outcome for c in slack.calls("chat.postMessage")] == [outcome]
    assert "Slack: 1 posted, 0 corrected, 0 already posted, 0 kept" in result.stderr


def test_a_port_out_of_range_is_one_line_not_an_internal_error(
    run_cli: Run, env: dict[str, str]
) -> None:
    url = "http://127.0.0.1:99999/api/"
    args = ("--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases")
    result = run_cli("post", *args, env={**env, "SLACK_API_URL": url})
    assert result.exit_code == 1, result.stderr
    assert result.stderr == (
        f"patchbot: error: SLACK_API_URL: not a valid value: {url!r}; expected an http:// or "
        "https:// URL (e.g. https://slack.com/api/)\n"
    )
    # A URL that never passed the settings (an upload URL is Slack's) fails as one, too.
    with pytest.raises(SlackFailure, match=r"cannot connect to .*:99999/api/ \(InvalidURL\)"):
        SlackClient(TOKEN, url, retries=0).call("auth.test")


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


def test_a_connection_is_reused_when_its_file_descriptor_is_past_1024(slack: FakeSlack) -> None:
    # select() refuses such a descriptor: a long-running service with many files open would
    # have opened a new connection for every call.
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1200:
        pytest.skip("this machine allows too few open files")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        client = SlackClient(TOKEN, slack.base_url, retries=0)
        client.call("auth.test")
        client.call("auth.test")
        assert slack.connections == 1
    finally:
        for descriptor in held:
            os.close(descriptor)
