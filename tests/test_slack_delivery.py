"""``patchbot post`` against the fake Slack Web API, driven by the real slack_sdk client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack_api import FakeSlack, Message
from tests.helpers import (
    EXCERPT,
    FIRST,
    REVISED,
    TOKEN,
    Run,
    read_rows,
    replies,
    top_level,
    write_rows,
)


def section_texts(message: Message) -> list[str]:
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section"]


def assert_block_kit(message: Message) -> None:
    """Slack's documented limits, checked here as well as by the fake."""
    assert message.text, "every message needs a notification fallback"
    assert len(message.blocks) <= 50
    for block in message.blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 150
        elif block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn"
            assert block["text"]["verbatim"] is True  # no auto-links, no mention parsing
            assert len(block["text"]["text"]) <= 3000
        else:
            assert block["type"] == "context"
            assert len(block["elements"]) <= 10


def drafts_json(run_cli: Run, *args: str) -> dict[str, Any]:
    result = run_cli("draft", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = result.json()
    return document


def test_post_bundled_drafts(run_cli: Run, slack: FakeSlack, env: dict[str, str]) -> None:
    result = run_cli("post", env=env)
    assert result.exit_code == 0, result.stderr
    assert (
        "Slack: 5 posted, 0 corrected, 0 already posted, 0 kept for the next run" in result.stderr
    )
    drafts = {s["story"]: s for s in drafts_json(run_cli)["stories"]}
    posted = top_level(slack)
    assert [m.blocks[0]["text"]["text"] for m in posted] == [d["headline"] for d in drafts.values()]
    for message, draft in zip(posted, drafts.values(), strict=True):
        assert_block_kit(message)
        thread = replies(slack, message)
        for reply in thread:
            if reply.blocks:
                assert_block_kit(reply)
        # The full copy, never truncated: every line of the draft is in the message or thread.
        shown = "\n".join(t for m in (message, *thread) for t in section_texts(m))
        escaped = draft["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        position = 0
        for line in filter(None, escaped.split("\n")):
            position = shown.index(line, position)
        # The plain copy as a text file in the thread, ready for the CMS.
        shared = [
            f
            for f in slack.files.values()
            if ("C0NEWSROOM1", message.ts) in f.shares and f.filename.endswith(".txt")
        ]
        assert len(shared) == 1
        assert shared[0].content == f"{draft['headline']}\n\n{draft['text']}\n".encode()
        assert (
            shared[0].filename == f"2020-11-25_{draft['story']}_north-east-and-north-yorkshire.txt"
        )
        context = message.blocks[-1]["elements"][0]["text"]
        assert "North East and North Yorkshire · week to November 25, 2020" in context
        assert "PHE data published November 30, 2020" in context
    roundup = posted[-1]
    assert roundup.blocks[0]["text"]["text"].startswith("Covid-19 cases in every neighbourhood")
    continued = [r for r in replies(slack, roundup) if r.blocks]
    assert continued, "the long round-up continues in its thread"
    assert "continued in the thread" in roundup.blocks[-1]["elements"][0]["text"]
    assert "Durham City - 16 cases" in "\n".join(
        t for m in (roundup, *continued) for t in section_texts(m)
    )


def test_area_names_are_escaped_and_cannot_ping(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    rows = read_rows()
    hostile = "<!channel> Wingate & Castle Eden <@U0BOSS> <https://evil.example|click>"
    for row in rows:
        if row["areaName"] == "New Earswick":
            row["areaName"] = hostile
    source = write_rows(tmp_path / "hostile.csv", rows)
    # Two councils, so each area is listed with its council (one council is not repeated).
    args = ("--source", str(source), "--patch", "York, Ryedale", "--story", "no_new_cases")
    result = run_cli("post", *args, env=env)
    assert result.exit_code == 0, result.stderr
    (message,) = top_level(slack)
    body = json.dumps(message.blocks) + message.text
    assert "<!" not in body
    assert "<@" not in body
    assert "<http" not in body
    assert (
        "&lt;!channel&gt; Wingate &amp; Castle Eden &lt;@U0BOSS&gt; "
        "&lt;https://evil.example|click&gt;, York" in body
    )
    (uploaded,) = slack.files.values()
    assert uploaded.content is not None
    assert hostile.encode() in uploaded.content  # the plain copy keeps the real characters
    post_call = slack.calls("chat.postMessage")[0].params
    assert post_call["unfurl_links"] is False
    assert post_call["link_names"] is False


def test_post_twice_posts_once(run_cli: Run, slack: FakeSlack, env: dict[str, str]) -> None:
    args = ("--source", str(EXCERPT), "--patch", "York")
    assert run_cli("post", *args, env=env).exit_code == 0
    before = len(slack.calls("chat.postMessage")), len(slack.files)
    again = run_cli("post", *args, env=env)
    assert again.exit_code == 0
    assert "Slack: 0 posted, 0 corrected, 5 already posted, 0 kept" in again.stderr
    assert (len(slack.calls("chat.postMessage")), len(slack.files)) == before


def test_revised_data_gets_one_correction_per_changed_story(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    args = ("--patch", "Ryedale", "--week-ending", "2020-11-18")
    first = drafts_json(run_cli, "--source", str(FIRST), *args)
    revised = drafts_json(run_cli, "--source", str(REVISED), *args)
    before = {s["story"]: s["facts"] for s in first["stories"]}
    after = {s["story"]: s["facts"] for s in revised["stories"]}
    changed = {story for story in after if after[story] != before.get(story)}
    assert changed
    assert changed != set(after)

    assert run_cli("post", "--source", str(FIRST), *args, env=env).exit_code == 0
    originals = {m.blocks[0]["text"]["text"]: m for m in top_level(slack)}
    result = run_cli("post", "--source", str(REVISED), *args, env=env)
    assert result.exit_code == 0, result.stderr
    assert f"Slack: 0 posted, {len(changed)} corrected, {len(after) - len(changed)} already" in (
        result.stderr
    )
    for story in first["stories"]:
        original = originals[story["headline"]]
        thread = replies(slack, original)
        corrections = [m for m in thread if "CORRECTION" in m.text]
        if story["story"] in changed:
            assert len(corrections) == 1
            (correction,) = corrections
            # UK dates in the banner too (issue 14)
            assert "data published November 30, 2020" in section_texts(correction)[0]
            sent = [
                c
                for c in slack.calls("chat.postMessage")
                if "CORRECTION" in c.params["text"] and c.params.get("thread_ts") == original.ts
            ]
            assert [c.params["reply_broadcast"] for c in sent] == [True]  # the channel sees it
            assert original.edits == 1
            assert section_texts(original)[0].startswith(":warning: *REVISED*")
            assert "Do not publish this version" in section_texts(original)[0]
        else:
            assert corrections == []
            assert original.edits == 0
    # Posting the revised data again changes nothing.
    writes = ("chat.postMessage", "chat.update", "files.completeUploadExternal")
    sent_before = [c for c in slack.calls() if c.method in writes]
    third = run_cli("post", "--source", str(REVISED), *args, env=env)
    assert "0 posted, 0 corrected" in third.stderr
    assert [c for c in slack.calls() if c.method in writes] == sent_before


def test_slack_failure_keeps_the_story_and_alerts_ops(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    args = ("--source", str(EXCERPT), "--patch", "York", "--story", "highest_rates")
    slack.fail_always("chat.postMessage", "500")
    result = run_cli("post", *args, env=env)
    assert result.exit_code == 3
    assert "kept for the next run: highest_rates (York, week to 2020-11-25)" in result.stderr
    slack.clear_faults()
    alerts = top_level(slack, "ops")
    assert alerts == []  # the ops alert failed too (every postMessage was failing): logged
    # Slack recovers; the next run sends the kept story once.
    again = run_cli("post", *args, env=env)
    assert again.exit_code == 0, again.stderr
    assert "Slack: 1 posted" in again.stderr
    assert len(top_level(slack)) == 1


def test_one_story_failing_alerts_ops_and_the_rest_go_out(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    args = ("--source", str(EXCERPT), "--patch", "York")
    slack.script("invalid_blocks", method="chat.postMessage")
    result = run_cli("post", *args, env=env)
    assert result.exit_code == 3
    assert "Slack: 4 posted, 0 corrected, 0 already posted, 1 kept for the next run" in (
        result.stderr
    )
    (alert,) = top_level(slack, "ops")
    assert alert.text == (
        ":warning: Patchbot (York):\n• not posted, kept for the next run: no_new_cases (York, "
        "week to 2020-11-25): Slack chat.postMessage: invalid_blocks"
    )
    again = run_cli("post", *args, env=env)
    assert "Slack: 1 posted, 0 corrected, 4 already posted" in again.stderr
    assert len(top_level(slack)) == 5


def test_lost_response_is_not_posted_twice(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    slack.script("drop_after", method="chat.postMessage")  # posted, but the answer is lost
    result = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert result.exit_code == 0, result.stderr
    assert len(top_level(slack)) == 5
    assert len(slack.calls("chat.postMessage")) == 5  # found in Slack, not sent again
    assert slack.calls("conversations.history")


def test_rate_limit_is_retried(run_cli: Run, slack: FakeSlack, env: dict[str, str]) -> None:
    slack.script("ratelimited", method="chat.postMessage")
    args = ("--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases")
    result = run_cli("post", *args, env=env)
    assert result.exit_code == 0, result.stderr
    outcomes = [c.outcome for c in slack.calls("chat.postMessage")]
    assert outcomes == ["ratelimited", "ok"]
    assert len(top_level(slack)) == 1


def test_invalid_auth_posts_nothing(run_cli: Run, slack: FakeSlack, env: dict[str, str]) -> None:
    result = run_cli("post", "--source", str(EXCERPT), env={**env, "SLACK_BOT_TOKEN": "xoxb-bad"})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "patchbot: error: SLACK_BOT_TOKEN: Slack refused the token (invalid_auth); check it in .env"
    )
    assert "xoxb-bad" not in result.stderr
    assert slack.calls("chat.postMessage") == []


def test_unknown_channel_posts_nothing(run_cli: Run, slack: FakeSlack, env: dict[str, str]) -> None:
    result = run_cli("post", "--source", str(EXCERPT), env={**env, "SLACK_CHANNEL": "#nope"})
    assert result.exit_code == 1
    assert "patchbot: error: SLACK_CHANNEL: channel #nope not found" in result.stderr
    assert "invite the bot" in result.stderr
    assert slack.calls("chat.postMessage") == []


def test_per_story_channel(run_cli: Run, slack: FakeSlack, env: dict[str, str]) -> None:
    routed = {**env, "SLACK_CHANNEL_WEEKLY_ROUNDUP": "#roundups"}
    result = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=routed)
    assert result.exit_code == 0, result.stderr
    drafts = drafts_json(run_cli, "--source", str(EXCERPT), "--patch", "York")
    headlines = {s["story"]: s["headline"] for s in drafts["stories"]}
    assert [m.blocks[0]["text"]["text"] for m in top_level(slack, "roundups")] == [
        headlines["weekly_roundup"]
    ]
    assert len(top_level(slack)) == 4


def test_post_without_a_token_refuses(run_cli: Run, env: dict[str, str]) -> None:
    no_token = {k: v for k, v in env.items() if k != "SLACK_BOT_TOKEN"}
    result = run_cli("post", "--source", str(EXCERPT), env=no_token)
    assert result.exit_code == 1
    assert result.stderr.startswith("patchbot: error: SLACK_BOT_TOKEN: not set;")
    assert run_cli("draft", "--source", str(EXCERPT), env=no_token).exit_code == 0


def test_history_lists_posts(run_cli: Run, slack: FakeSlack, env: dict[str, str]) -> None:
    assert "Nothing posted yet" in run_cli("history", env=env).stdout
    run_cli("post", "--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases", env=env)
    listing = run_cli("history", env=env).stdout.splitlines()
    assert len(listing) == 2
    assert "no_new_cases" in listing[1]
    assert "2020-11-25" in listing[1]
    assert "#newsroom ts=" in listing[1]


def test_token_never_reaches_logs_or_errors(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    from bot.logs import redact

    slack.fail_always("chat.postMessage", "500")
    result = run_cli("-v", "post", "--source", str(EXCERPT), "--patch", "Ryedale", env=env)
    assert TOKEN not in result.stderr + result.stdout + caplog.text
    assert redact(f"token={TOKEN} and xapp-1-abc") == "token=[redacted] and [redacted]"


def test_pictures_go_into_the_threads_with_alt_text(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    result = run_cli("post", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert result.exit_code == 0, result.stderr
    pictures = {f.filename: f for f in slack.files.values() if f.filename.endswith(".png")}
    assert sorted(pictures) == [
        "2020-11-25_highest_rates_york.png",
        "2020-11-25_largest_falls_york.png",
        "2020-11-25_largest_rises_york.png",
        "2020-11-25_patch_map_york.png",
    ]
    threads = {m.blocks[0]["text"]["text"]: m.ts for m in top_level(slack)}
    drafts = drafts_json(run_cli, "--source", str(EXCERPT), "--patch", "York")
    for story in drafts["stories"]:
        parent = threads[story["headline"]]
        shared = [f.filename for f in slack.files.values() if ("C0NEWSROOM1", parent) in f.shares]
        expected = {"highest_rates": 2, "largest_rises": 2, "largest_falls": 2}
        assert len(shared) == expected.get(
            story["story"], 2 if story["story"] == "weekly_roundup" else 1
        )
    chart = pictures["2020-11-25_highest_rates_york.png"]
    assert chart.content is not None
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    # Real figures: Westfield, Chapelfields & Foxwood had York's highest rate, 195.0.
    assert chart.alt_txt is not None
    assert "Westfield, Chapelfields & Foxwood" in chart.alt_txt
    assert "195.0" in chart.alt_txt
    map_ = pictures["2020-11-25_patch_map_york.png"]
    assert map_.alt_txt is not None
    assert map_.alt_txt.startswith("Map of the 24 neighbourhoods of York")
