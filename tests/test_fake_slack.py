"""The fake Slack Web API speaks the protocol well enough for the real slack_sdk WebClient."""

import json
import re
from http.client import RemoteDisconnected
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler, builtin_handlers
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from tests.fakes.slack_api import UPLOAD, FakeSlack
from tests.helpers import TOKEN, Workspace

NO_WAIT = FixedValueRetryIntervalCalculator(0.0)
TEXT = "Covid cases fall in Hackney Central"
BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Hackney Central"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "Cases fell *12%* this week."}},
]


@pytest.fixture
def slack_workspace() -> Workspace:
    """Two channels, and a rate-limited answer asks for Slack's usual one second."""
    return Workspace(channels={"newsroom": "C0NEWSROOM", "ops": "C0OPS"}, retry_after=1)


def client_for(
    slack: FakeSlack, token: str = TOKEN, retry_handlers: list[RetryHandler] | None = None
) -> WebClient:
    """A real client; no retries unless asked (slack_sdk's default retries dropped sockets)."""
    return WebClient(
        token=token, base_url=slack.base_url, timeout=2, retry_handlers=retry_handlers or []
    )


def post(client: WebClient, **kwargs: Any) -> Any:
    return client.chat_postMessage(channel="#newsroom", text=TEXT, blocks=BLOCKS, **kwargs)


def error_of(excinfo: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return excinfo.value.response["error"]


def test_auth_test_accepts_the_configured_bearer_token(slack: FakeSlack) -> None:
    response = client_for(slack).auth_test()

    assert response["ok"] is True
    assert response["user_id"] == "U0PATCHBOT"
    [call] = slack.calls("auth.test")
    assert (call.token, call.outcome) == (TOKEN, "ok")


def test_unknown_token_is_invalid_auth(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack, token="xoxb-stolen").auth_test()

    assert error_of(excinfo) == "invalid_auth"
    assert excinfo.value.response.status_code == 200  # API errors are HTTP 200, as on Slack


def test_post_message_with_blocks_and_text_lands_in_the_channel(slack: FakeSlack) -> None:
    response = post(client_for(slack))

    assert response["channel"] == "C0NEWSROOM"  # name resolved to the ID
    assert re.fullmatch(r"\d{10}\.\d{6}", response["ts"])
    assert response["message"]["blocks"] == BLOCKS
    [message] = slack.messages("#newsroom")
    assert (message.ts, message.text, message.blocks) == (response["ts"], TEXT, BLOCKS)
    assert slack.calls("chat.postMessage")[0].params["blocks"] == BLOCKS  # sent as a JSON body


def test_form_encoded_calls_are_understood(slack: FakeSlack) -> None:
    client_for(slack).api_call("chat.postMessage", params={"channel": "C0OPS", "text": "hi"})

    assert [m.text for m in slack.messages("ops")] == ["hi"]


def test_thread_reply_is_recorded_with_its_thread_ts(slack: FakeSlack) -> None:
    client = client_for(slack)
    parent = post(client)["ts"]

    reply = client.chat_postMessage(channel="C0NEWSROOM", text="Sources below", thread_ts=parent)

    assert reply["message"]["thread_ts"] == parent
    assert reply["ts"] > parent
    assert [(m.text, m.thread_ts) for m in slack.messages("newsroom")] == [
        (TEXT, None),
        ("Sources below", parent),
    ]


def test_chat_update_edits_the_stored_message(slack: FakeSlack) -> None:
    client = client_for(slack)
    ts = post(client)["ts"]

    response = client.chat_update(channel="C0NEWSROOM", ts=ts, text="Corrected: cases fell 11%")

    assert response["message"]["edited"]
    [message] = slack.messages("newsroom")
    assert (message.text, message.blocks, message.edits) == ("Corrected: cases fell 11%", BLOCKS, 1)


def test_chat_update_needs_a_channel_id_like_real_slack(slack: FakeSlack) -> None:
    ts = post(client_for(slack))["ts"]

    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).chat_update(channel="#newsroom", ts=ts, text="Corrected")

    assert error_of(excinfo) == "channel_not_found"


def test_files_upload_v2_stores_the_content_and_shares_it_into_the_thread(
    slack: FakeSlack,
) -> None:
    client = client_for(slack)
    parent = post(client)["ts"]

    response = client.files_upload_v2(
        channel="C0NEWSROOM",
        content="msoa,cases\nE02000001,12\n",
        filename="x.txt",
        title="Weekly cases",
        thread_ts=parent,
        initial_comment="Data attached",
    )

    stored = slack.files[response["file"]["id"]]
    assert stored.content == b"msoa,cases\nE02000001,12\n"
    assert (stored.filename, stored.title) == ("x.txt", "Weekly cases")
    assert stored.shares == [("C0NEWSROOM", parent)]
    share = slack.messages("newsroom")[-1]
    assert (share.text, share.thread_ts, share.file_ids) == ("Data attached", parent, [stored.id])
    methods = [c.method for c in slack.calls()]
    assert methods[-3:] == ["files.getUploadURLExternal", UPLOAD, "files.completeUploadExternal"]
    complete = slack.calls("files.completeUploadExternal")[0].params
    assert json.loads(complete["files"]) == [{"id": stored.id, "title": "Weekly cases"}]


def test_files_upload_v2_rejects_channel_names_like_real_slack(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).files_upload_v2(channel="#newsroom", content="x", filename="x.txt")

    assert error_of(excinfo) == "channel_not_found"


def test_ratelimited_call_is_retried_by_the_rate_limit_handler(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []  # the handler sleeps Retry-After + random(); record, don't wait
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=sleeps.append))
    slack.script("ratelimited", method="chat.postMessage")
    client = client_for(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    post(client)

    assert [c.outcome for c in slack.calls("chat.postMessage")] == ["ratelimited", "ok"]
    assert len(sleeps) == 1
    assert 1 <= sleeps[0] < 2
    assert len(slack.messages("newsroom")) == 1


def test_ratelimited_call_without_a_handler_raises(slack: FakeSlack) -> None:
    slack.script("ratelimited")

    with pytest.raises(SlackApiError) as excinfo:
        post(client_for(slack))

    assert error_of(excinfo) == "ratelimited"
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"


def test_server_error_raises(slack: FakeSlack) -> None:
    slack.script("500")

    with pytest.raises(SlackApiError) as excinfo:
        post(client_for(slack))

    assert excinfo.value.response.status_code == 500
    assert slack.messages("newsroom") == []


def test_server_error_is_retried_by_the_server_error_handler(slack: FakeSlack) -> None:
    slack.script("500")
    client = client_for(slack, retry_handlers=[ServerErrorRetryHandler(1, NO_WAIT)])

    post(client)

    assert [c.outcome for c in slack.calls()] == ["500", "ok"]


def test_dropped_connection_raises_without_a_handler(slack: FakeSlack) -> None:
    slack.script("drop")

    with pytest.raises(RemoteDisconnected):
        post(client_for(slack))

    assert slack.messages("newsroom") == []


def test_dropped_connection_is_retried_by_the_connection_error_handler(slack: FakeSlack) -> None:
    slack.script("drop")
    client = client_for(slack, retry_handlers=[ConnectionErrorRetryHandler(1, NO_WAIT)])

    post(client)

    assert [c.outcome for c in slack.calls()] == ["drop", "ok"]
    assert len(slack.messages("newsroom")) == 1


def test_response_lost_after_posting_makes_a_retry_post_twice(slack: FakeSlack) -> None:
    slack.script("drop_after")
    client = client_for(slack, retry_handlers=[ConnectionErrorRetryHandler(1, NO_WAIT)])

    post(client)

    assert len(slack.messages("newsroom")) == 2  # the hazard a real retry carries


def test_scripted_faults_can_target_one_method(slack: FakeSlack) -> None:
    slack.script("invalid_blocks", method="chat.update")
    client = client_for(slack)

    client.auth_test()
    ts = post(client)["ts"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0NEWSROOM", ts=ts, text="edit")

    assert error_of(excinfo) == "invalid_blocks"
    assert [c.outcome for c in slack.calls()] == ["ok", "ok", "invalid_blocks"]


def test_fail_always_lasts_until_cleared(slack: FakeSlack) -> None:
    slack.fail_always("auth.test", "invalid_auth")
    client = client_for(slack)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.auth_test()

    slack.clear_faults()

    assert client.auth_test()["ok"] is True


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": "header", "text": {"type": kind, "text": text}}


@pytest.mark.parametrize(
    "blocks",
    [
        pytest.param([section("para")] * 51, id="51-blocks"),
        pytest.param([section("x" * 3001)], id="long-section"),
        pytest.param([header("x" * 151)], id="long-header"),
        pytest.param([header("*Hi*", kind="mrkdwn")], id="mrkdwn-header"),
    ],
)
def test_blocks_beyond_block_kit_limits_are_invalid_blocks(
    slack: FakeSlack, blocks: list[dict[str, Any]]
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).chat_postMessage(channel="newsroom", text=TEXT, blocks=blocks)

    assert error_of(excinfo) == "invalid_blocks"
    assert excinfo.value.response["errors"]
    assert slack.messages("newsroom") == []


def test_blocks_at_the_limits_are_accepted(slack: FakeSlack) -> None:
    blocks = [section("x" * 3000)] * 50

    client_for(slack).chat_postMessage(channel="newsroom", text=TEXT, blocks=blocks)

    assert slack.messages("newsroom")[0].blocks == blocks


def test_malformed_blocks_json_is_invalid_blocks_format(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).chat_postMessage(channel="newsroom", text=TEXT, blocks='[{"type": ')

    assert error_of(excinfo) == "invalid_blocks_format"


def test_unknown_channel_is_channel_not_found(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).chat_postMessage(channel="#sport", text=TEXT)

    assert error_of(excinfo) == "channel_not_found"


def test_conversations_info_and_paged_list_describe_the_configured_channels(
    slack: FakeSlack,
) -> None:
    client = client_for(slack)

    assert client.conversations_info(channel="C0OPS")["channel"]["name"] == "ops"
    first = client.conversations_list(limit=1)
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_list(limit=1, cursor=cursor)

    assert [c["id"] for c in first["channels"] + second["channels"]] == ["C0NEWSROOM", "C0OPS"]
    assert second["response_metadata"]["next_cursor"] == ""


def test_history_and_replies_return_metadata_and_shared_files(slack: FakeSlack) -> None:
    client = client_for(slack)
    metadata = {"event_type": "patchbot_story_part", "event_payload": {"post": 7}}
    parent = post(client, metadata=metadata)["ts"]
    client.chat_postMessage(channel="C0NEWSROOM", text="More", thread_ts=parent)
    client.files_upload_v2(channel="C0NEWSROOM", content="x", filename="x.txt", thread_ts=parent)

    history = client.conversations_history(channel="C0NEWSROOM", include_all_metadata=True)
    replies = client.conversations_replies(channel="C0NEWSROOM", ts=parent)

    assert [m["ts"] for m in history["messages"]] == [parent]  # replies stay in the thread
    assert history["messages"][0]["metadata"] == metadata
    assert [m["text"] for m in replies["messages"]] == [TEXT, "More", ""]
    assert replies["messages"][-1]["files"][0]["name"] == "x.txt"
    assert "metadata" not in replies["messages"][0]  # only with include_all_metadata


def test_modals_ephemeral_notes_and_socket_mode_urls_as_slack_checks_them(
    slack: FakeSlack,
) -> None:
    client = client_for(slack)
    long_input = {"type": "input", "block_id": "copy", "label": {"type": "plain_text", "text": "x"},
                  "element": {"type": "plain_text_input", "action_id": "value",
                              "initial_value": "x" * 3001}}  # fmt: skip
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Edit this draft"},
             "blocks": [long_input]}  # fmt: skip
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="1.2.3", view=modal)
    assert error_of(excinfo) == "invalid_arguments"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="", view={**modal, "blocks": []})
    assert error_of(excinfo) == "invalid_trigger_id"
    client.views_open(trigger_id="1.2.3", view={**modal, "blocks": []})
    assert slack.views == [{**modal, "blocks": []}]

    client.chat_postEphemeral(channel="#newsroom", user="U0ANNA", text="Only you can see this")
    assert slack.ephemeral == [
        {"channel": "C0NEWSROOM", "user": "U0ANNA", "text": "Only you can see this"}
    ]
    assert slack.messages("newsroom") == []  # never in the channel for everyone

    with pytest.raises(SlackApiError) as excinfo:  # the bot token is not an app-level token
        client.apps_connections_open(app_token=TOKEN)
    assert error_of(excinfo) == "invalid_auth"
    opened = client.apps_connections_open(app_token=slack.app_token)
    assert opened["url"] == slack.socket_url
