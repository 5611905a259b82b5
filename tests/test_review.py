"""Reporters' review in Slack: drafts posted by ``patchbot run`` are claimed, approved, held and
edited through Socket Mode and through HTTP, against the fake Slack (Web API and Socket Mode
WebSocket) with the real slack_sdk and slack_bolt clients; the ledger keeps every state across
restarts; forged requests change nothing; without review settings drafts post as before."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from bot.review.actions import Review, ReviewAction, ReviewState, Step, Verdict, transition
from bot.settings import Settings
from bot.state.reviews import Reviews
from tests.fakes.phe_api import FakePheApi
from tests.fakes.slack_api import TEAM_ID, FakeSlack, Message
from tests.fakes.slack_socket import FakeSocketMode
from tests.helpers import FIRST, REVISED, ROOT, TOKEN, Run, serving, top_level, wait_for

JSON = dict[str, Any]
ANNA, BEN = "U0ANNA", "U0BEN"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def env(api_env: dict[str, str]) -> dict[str, str]:
    """York from the fake PHE API, on a schedule that catches up at once whenever it runs."""
    return {**api_env, "PATCHBOT_HTTP_RETRIES": "0", "PATCHBOT_POLL_MINUTES": "0.005",
            "PATCHBOT_RUN_DAYS": "mon-sun", "PATCHBOT_RUN_AT": "00:00",
            "PATCHBOT_POLL_UNTIL": "23:59:59"}  # fmt: skip


def story_message(slack: FakeSlack, story: str) -> Message:
    (found,) = [m for m in top_level(slack) if (m.metadata or {}).get("event_payload", {})
                .get("story") == story]  # fmt: skip
    return found


def current(slack: FakeSlack, message: Message) -> Message:
    (now,) = [m for m in slack.messages("newsroom") if m.ts == message.ts]
    return now


def review_line(slack: FakeSlack, message: Message) -> str:
    """The message's review line (the context block above the buttons)."""
    blocks = current(slack, message).blocks
    assert blocks[-1]["type"] == "actions"
    assert blocks[-2]["type"] == "context"
    return str(blocks[-2]["elements"][0]["text"])


def story_text(slack: FakeSlack, message: Message) -> str:
    """A story's latest copy as its .txt file in the thread has it (after the headline)."""
    copy = max((f for f in slack.files.values() if (message.channel, message.ts) in f.shares
                and f.filename.endswith(".txt")), key=lambda f: f.id)  # fmt: skip
    assert copy.content is not None
    return copy.content.decode().split("\n\n", 1)[1].rstrip("\n")


def click(action_id: str, user: str, message: Message, team: str = TEAM_ID) -> JSON:
    """A block_actions payload as Slack sends it for a button in a message."""
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "patchbot-test"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0PATCHBOT",
        "token": "verification-token",
        "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                      "is_ephemeral": False},
        "trigger_id": f"trigger-{user}-{action_id}",
        "channel": {"id": message.channel, "name": "newsroom"},
        "message": {"type": "message", "ts": message.ts, "bot_id": message.bot_id,
                    "user": message.user, "text": message.text, "blocks": message.blocks},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "patchbot_review",
                     "value": action_id.removeprefix("patchbot_"), "action_ts": "1.2"}],
    }  # fmt: skip


def submission(view: JSON, user: str, values: dict[str, str], team: str = TEAM_ID) -> JSON:
    """A view_submission payload for a modal Patchbot opened, with the inputs filled in."""
    state = {block_id: {"value": {"type": "plain_text_input", "value": value}}
             for block_id, value in values.items()}  # fmt: skip
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "patchbot-test"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0PATCHBOT",
        "trigger_id": f"trigger-{user}-submit",
        "view": {**view, "id": "V0MODAL", "state": {"values": state}},
    }


def signed(body: str, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}",
            "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip


@contextmanager
def service(env: dict[str, str], caplog: pytest.LogCaptureFixture, **extra: str) -> Iterator[str]:
    """``patchbot run``'s service loop in a thread (listening too); yields its listen line."""
    caplog.set_level(logging.INFO, logger="bot")
    settings = Settings.load(environ={**env, **extra})
    started = len(caplog.records)
    with serving(settings, caplog):
        wait_for(lambda: any("step=listen" in r.message for r in caplog.records[started:]))
        yield next(r.message for r in caplog.records[started:] if "step=listen" in r.message)


@contextmanager
def reviewing(
    env: dict[str, str], api: FakePheApi, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> Iterator[Message]:
    """The service listening over Socket Mode once the day's stories are posted; yields the
    highest rates draft."""
    api.publish(FIRST.read_text(), release="2020-11-25")
    with service({**env, "SLACK_APP_TOKEN": slack.app_token}, caplog):
        posted_today(caplog)
        yield story_message(slack, "highest_rates")


def posted_today(caplog: pytest.LogCaptureFixture) -> None:
    """Wait for the day's run to post (four of York's stories: it has no new cases to list)."""
    wait_for(lambda: "step=run day=" in caplog.text and "outcome=posted" in caplog.text, 30)


def ledger_rows(env: dict[str, str], *messages: Message) -> list[tuple[str, str | None, str]]:
    """The review actions recorded for these messages' stories (all stories: none given)."""
    posts = [m.metadata["event_payload"]["post"] for m in messages if m.metadata]
    db = sqlite3.connect(Path(env["PATCHBOT_STATE_DIR"]) / "ledger.sqlite3")
    try:
        rows = db.execute("SELECT post_id, action, user, state FROM reviews ORDER BY id")
        return [tuple(row[1:]) for row in rows if not messages or row[0] in posts]
    finally:
        db.close()


def updates_of(slack: FakeSlack, message: Message) -> list[str]:
    """The review line of each chat.update of a message, in order."""
    lines = []
    for call in slack.calls("chat.update"):
        if call.params.get("ts") == message.ts:
            blocks = call.params["blocks"]
            blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
            lines += [b["elements"][0]["text"] for b in blocks if b["type"] == "context"][-1:]
    return lines


# -- the state machine


def test_one_holder_at_a_time_and_a_double_click_changes_nothing() -> None:
    from bot.review.blocks import status_line

    claim = transition(Review(), Step(ReviewAction.CLAIM, ANNA, "2020-11-30T16:42:00+00:00"))
    assert claim.verdict == Verdict.DONE
    assert (claim.review.state, claim.review.holder) == (ReviewState.CLAIMED, ANNA)
    other = transition(claim.review, Step(ReviewAction.CLAIM, BEN, "2020-11-30T16:43:00+00:00"))
    assert (other.verdict, other.review) == (Verdict.REFUSED, claim.review)
    approve = transition(claim.review, Step(ReviewAction.APPROVE, ANNA, "x"))
    again = transition(approve.review, Step(ReviewAction.APPROVE, ANNA, "y"))
    assert (again.verdict, again.review) == (Verdict.UNCHANGED, approve.review)
    double = transition(claim.review, Step(ReviewAction.CLAIM, ANNA, "2020-11-30T16:42:01+00:00"))
    assert (double.verdict, double.review) == (Verdict.UNCHANGED, claim.review)
    release = transition(claim.review, Step(ReviewAction.CLAIM, ANNA, "2020-11-30T16:45:00+00:00"))
    assert (release.review.state, release.review.holder) == (ReviewState.POSTED, None)
    assert status_line(release.review) == "Released by the reporter at 16:45: free to claim"
    assert status_line(claim.review) == (
        f"*Claimed by <@{ANNA}> at 16:42* (click Claim again to release it)"
    )
    corrected = transition(approve.review, Step(ReviewAction.CORRECT, None, "w", reason="#7"))
    assert corrected.review.state == ReviewState.CORRECTED
    assert (corrected.review.before, corrected.review.holder) == (ReviewState.APPROVED, ANNA)
    assert transition(corrected.review, Step(ReviewAction.CORRECT, None, "v", reason="#7")
                      ).verdict == Verdict.UNCHANGED  # fmt: skip


def test_the_holder_can_let_go_of_a_held_approved_or_corrected_story() -> None:
    from bot.review.blocks import refusal

    claim = transition(Review(), Step(ReviewAction.CLAIM, ANNA, "2020-11-30T16:42:00+00:00"))
    at = "2020-11-30T16:44:00+00:00"
    held = transition(claim.review, Step(ReviewAction.HOLD, ANNA, at, reason="Waiting"))
    approved = transition(claim.review, Step(ReviewAction.APPROVE, ANNA, at))
    correction = Step(ReviewAction.CORRECT, None, "2020-11-30T17:00:00+00:00", reason="#2")
    corrected = transition(approved.review, correction)
    for kept in (held.review, approved.review, corrected.review):
        later = Step(ReviewAction.CLAIM, ANNA, "2020-11-30T17:30:00+00:00")
        released = transition(kept, later)
        assert (released.verdict, released.review.holder) == (Verdict.DONE, None)
        assert released.review.state == ReviewState.POSTED
    assert refusal(corrected.review).startswith(
        f"<@{ANNA}> approved this draft (corrected at 17:00): only they can act on it now."
    )


def test_two_people_clicking_at_once_leave_one_claim(tmp_path: Path) -> None:
    with Reviews(tmp_path) as reviews:
        reviews.db.execute(
            "INSERT INTO posts (id, story, patch, week_ending, release, content_hash, kind, "
            "channel, status, draft, created_at) VALUES (1, 's', 'York', '2020-11-25', '', 'h', "
            "'original', '#newsroom', 'posted', '{}', 'now')"
        )
    barrier = threading.Barrier(8)
    verdicts: list[Verdict] = []

    def claim(user: str) -> None:
        with Reviews(tmp_path) as reviews:
            barrier.wait()
            verdicts.append(reviews.apply(1, Step(ReviewAction.CLAIM, user, "now")).verdict)

    threads = [threading.Thread(target=claim, args=(f"U{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(verdicts) == [Verdict.DONE] + [Verdict.REFUSED] * 7
    with Reviews(tmp_path) as reviews:
        assert reviews.db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1


# -- end to end


def test_review_through_socket_mode_then_http_survives_a_restart(
    env: dict[str, str],
    api: FakePheApi,
    slack: FakeSlack,
    slack_socket: FakeSocketMode,
    run_cli: Run,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.publish(FIRST.read_text(), release="2020-11-25")
    socket_env = {**env, "SLACK_APP_TOKEN": slack.app_token}
    with service(socket_env, caplog) as listening:
        assert "mode=socket" in listening
        posted_today(caplog)
        draft, other = story_message(slack, "highest_rates"), story_message(slack, "largest_rises")
        claim_hold_and_approve_over_socket_mode(slack, slack_socket, draft, other)

    # Corrected after approval: PHE revises the figures, and `patchbot post` sends the fix.
    api.publish(REVISED.read_text(), release="2020-11-30")
    result = run_cli("post", env=socket_env)
    assert result.exit_code == 0, result.stderr
    logging.getLogger().addHandler(caplog.handler)  # the CLI set up logging afresh
    (correction,) = [m for m in slack.messages("newsroom")
                     if m.thread_ts == draft.ts and "CORRECTION" in m.text]  # fmt: skip
    banner = correction.blocks[0]["text"]["text"]
    assert f"<@{ANNA}>: this story is yours, check what changed." in banner
    assert review_line(slack, draft).startswith(":warning: *Corrected after approval* at ")
    assert current(slack, draft).blocks[0]["text"]["text"].startswith(":warning: *REVISED*")

    http_env = {**env, "SLACK_SIGNING_SECRET": SECRET, "PATCHBOT_SLACK_MODE": "http",
                "PATCHBOT_SLACK_PORT": "0"}  # fmt: skip
    edit_story = story_message(slack, "weekly_roundup")
    with service(http_env, caplog) as listening:
        port = listening.split("port=")[1].split()[0]
        send = sender(f"http://127.0.0.1:{port}/slack/events")
        forged_requests_change_nothing(send, caplog, other)
        unread_requests_are_refused_before_parsing(f"http://127.0.0.1:{port}/slack/events", caplog)
        # The restart kept every state: Ben still holds the story he held before it.
        assert send(click("patchbot_approve", ANNA, other)).status_code == 200
        wait_for(lambda: any(e["user"] == ANNA for e in slack.ephemeral))
        assert next(e for e in slack.ephemeral if e["user"] == ANNA)["text"].startswith(
            f"<@{BEN}> held this draft at "
        )
        claim_and_edit_over_http(slack, send, edit_story)

    assert ledger_rows(env, draft) == [
        ("claim", ANNA, "claimed"),
        ("approve", ANNA, "approved"),
        ("correct", None, "corrected"),
    ]
    assert ledger_rows(env, other) == [("hold", BEN, "held")]
    assert ledger_rows(env, edit_story) == [
        ("correct", None, "corrected"),
        ("claim", BEN, "claimed"),
        ("edit", BEN, "edited"),
    ]
    history = run_cli("history", env=env).stdout
    for state, who in (("corrected", ANNA), ("held", BEN), ("edited", BEN)):
        assert f"  {state} by {who} " in history
    assert "  posted  " in history  # the stories nobody touched


def claim_hold_and_approve_over_socket_mode(
    slack: FakeSlack, slack_socket: FakeSocketMode, draft: Message, other: Message
) -> None:
    assert [b["action_id"] for b in draft.blocks[-1]["elements"]] == [
        "patchbot_claim", "patchbot_approve", "patchbot_hold", "patchbot_edit"]  # fmt: skip
    envelope = slack_socket.deliver(click("patchbot_claim", ANNA, draft))
    wait_for(lambda: slack_socket.acked(envelope))
    wait_for(lambda: updates_of(slack, draft))
    assert updates_of(slack, draft)[0].startswith(f"*Claimed by <@{ANNA}> at ")
    assert review_line(slack, draft).startswith(f"*Claimed by <@{ANNA}> at ")

    slack_socket.deliver(click("patchbot_claim", BEN, draft))  # someone else: refused
    wait_for(lambda: slack.ephemeral)
    (refusal,) = slack.ephemeral
    assert refusal["user"] == BEN
    assert refusal["text"].startswith(f"<@{ANNA}> claimed this draft at ")
    assert len(updates_of(slack, draft)) == 1  # nothing changed

    slack_socket.deliver(click("patchbot_hold", BEN, other))
    wait_for(lambda: slack.views)
    assert slack.views[0]["callback_id"] == "patchbot_hold"
    slack_socket.deliver(submission(slack.views[0], BEN, {"reason": "Waiting on the council"}))
    wait_for(lambda: updates_of(slack, other))
    assert review_line(slack, other).startswith(f"*Held by <@{BEN}> at ")
    assert review_line(slack, other).endswith(": Waiting on the council")

    slack_socket.deliver(click("patchbot_approve", ANNA, draft))
    wait_for(lambda: len(updates_of(slack, draft)) == 2)
    assert review_line(slack, draft).startswith(f"*Approved by <@{ANNA}> at ")


Send = Callable[..., requests.Response]


def sender(url: str) -> Send:
    """Posts an interaction payload as Slack does (form-encoded), signed unless told not to."""

    def send(payload: JSON, **sign: Any) -> requests.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return requests.post(url, data=body, headers=signed(body, **sign), timeout=10)

    return send


def forged_requests_change_nothing(
    send: Send, caplog: pytest.LogCaptureFixture, message: Message
) -> None:
    """A wrong secret, or a stale timestamp (replayed ten minutes later): 401, logged once."""
    caplog.clear()
    forged = send(click("patchbot_claim", ANNA, message), secret="not-the-secret")
    stale = send(click("patchbot_claim", ANNA, message), at=time.time() - 600)
    assert (forged.status_code, stale.status_code) == (401, 401)
    refused = [r.message for r in caplog.records if "outcome=refused" in r.message]
    assert len(refused) == 2  # once each
    assert all("bad or stale Slack signature" in line for line in refused)
    assert SECRET not in caplog.text


def unread_requests_are_refused_before_parsing(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Unsigned junk is refused before its body is parsed; signed junk is a 400; each is one
    log line and never a traceback."""
    caplog.clear()
    junk = "payload=%7B"  # a form whose payload is not JSON
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    unsigned = requests.post(url, data=junk, headers=form, timeout=10)
    unreadable = requests.post(url, data=junk, headers=signed(junk), timeout=10)
    assert (unsigned.status_code, unreadable.status_code) == (401, 400)
    refused = [r.message for r in caplog.records if "outcome=refused" in r.message]
    assert len(refused) == 2
    assert "bad or stale Slack signature" in refused[0]
    assert "a signed request Patchbot cannot read" in refused[1]
    assert "Traceback" not in caplog.text


def claim_and_edit_over_http(slack: FakeSlack, send: Send, story: Message) -> None:
    before = len(updates_of(slack, story))  # corrected too: updated once already
    assert send(click("patchbot_claim", BEN, story)).status_code == 200
    wait_for(lambda: len(updates_of(slack, story)) > before)
    assert review_line(slack, story).startswith(f"*Claimed by <@{BEN}> at ")

    opened = len(slack.views)
    send(click("patchbot_edit", BEN, story))
    wait_for(lambda: len(slack.views) > opened)
    modal = slack.views[-1]
    assert modal["callback_id"] == "patchbot_edit"
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert all(len(e.get("initial_value", "")) <= 3000 for e in inputs.values())
    copy_ids = [name for name in inputs if name.startswith("copy-")]
    text = "\n\n".join(inputs[name]["initial_value"] for name in copy_ids)
    assert text == story_text(slack, story)  # the latest (corrected) copy, whole
    headline = "Covid: York's week, by neighbourhood"
    edited = {"headline": headline, **dict.fromkeys(copy_ids, ""),
              copy_ids[0]: f"{text}\n\nThe council said 9999 people were tested."}  # fmt: skip
    slack.fail_always("chat.postMessage", "channel_not_found")  # Slack refuses the edit once
    assert send(submission(modal, BEN, edited)).status_code == 200
    wait_for(lambda: any("Slack did not take your edit" in e["text"] for e in slack.ephemeral))
    slack.clear_faults()
    assert send(submission(modal, BEN, edited)).status_code == 200  # saved again: posted
    wait_for(lambda: any(m.text.startswith("Edited:") for m in slack.messages("newsroom")))
    (version,) = [m for m in slack.messages("newsroom") if m.text.startswith("Edited:")]
    assert version.thread_ts == story.ts
    assert version.blocks[1]["text"]["text"] == headline
    wait_for(lambda: any("9999" in e["text"] for e in slack.ephemeral))
    warning = next(e for e in slack.ephemeral if "9999" in e["text"])
    assert warning["user"] == BEN
    assert "the number 9999 is not in the facts" in warning["text"]
    wait_for(lambda: "Edited by" in review_line(slack, story))
    shown = json.dumps(current(slack, story).blocks)
    assert headline not in shown  # the bot's original stays as it was
    assert "The council said" not in shown


def test_clicks_at_once_over_socket_mode_leave_one_holder_and_a_message_that_says_so(
    env: dict[str, str],
    api: FakePheApi,
    slack: FakeSlack,
    slack_socket: FakeSocketMode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with reviewing(env, api, slack, caplog) as draft:
        envelopes = [slack_socket.deliver(click("patchbot_claim", user, draft))
                     for user in (ANNA, BEN, ANNA, BEN)]  # fmt: skip
        wait_for(lambda: all(slack_socket.acked(e) for e in envelopes))
        wait_for(lambda: len(slack.ephemeral) == 2)  # the loser's two clicks, refused
        wait_for(lambda: caplog.text.count("step=review action=claim") == 4)
    (winner,) = {ANNA, BEN} - {e["user"] for e in slack.ephemeral}
    assert ledger_rows(env, draft) == [("claim", winner, "claimed")]  # the double click: no-op
    assert review_line(slack, draft).startswith(f"*Claimed by <@{winner}> at ")


def test_refused_clicks_change_nothing(
    env: dict[str, str],
    api: FakePheApi,
    slack: FakeSlack,
    slack_socket: FakeSocketMode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with reviewing(env, api, slack, caplog) as draft:
        someone = slack.post_as("newsroom", "U0PERSON", {"event_type": "x", "event_payload": {}})
        slack_socket.deliver(click("patchbot_claim", ANNA, someone))  # not Patchbot's
        # Patchbot's own, but no story: the .txt file's message in the draft's thread.
        file_share = next(m for m in slack.messages("newsroom")
                          if m.thread_ts == draft.ts and m.file_ids)  # fmt: skip
        slack_socket.deliver(click("patchbot_approve", BEN, file_share))
        slack_socket.deliver(click("patchbot_claim", ANNA, draft, team="T0ELSEWHERE"))
        wait_for(lambda: sum("outcome=refused" in r.message for r in caplog.records) == 3)
        wait_for(lambda: len(slack.ephemeral) == 2)
    assert sorted((e["channel"], e["user"]) for e in slack.ephemeral) == [
        ("C0NEWSROOM1", ANNA), ("C0NEWSROOM1", BEN)]  # fmt: skip
    assert all(e["text"].startswith("Patchbot does not know this message") for e in slack.ephemeral)
    assert slack.calls("chat.update") == []
    assert ledger_rows(env) == []
    refused = [r.message for r in caplog.records if "outcome=refused" in r.message]
    assert any("unknown message" in line for line in refused)
    assert any("another workspace" in line and "T0ELSEWHERE" in line for line in refused)
    assert slack.app_token not in caplog.text
    assert TOKEN not in caplog.text


def test_a_refused_app_token_is_one_warning_and_posting_goes_on(
    env: dict[str, str],
    api: FakePheApi,
    slack: FakeSlack,
    slack_socket: FakeSocketMode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.publish(FIRST.read_text(), release="2020-11-25")
    revoked = "xapp-1-A0-revoked-token"
    with service({**env, "SLACK_APP_TOKEN": revoked}, caplog) as listening:
        posted_today(caplog)
    assert listening == (
        'step=listen mode=socket outcome=error problem="SlackApiError: check SLACK_APP_TOKEN '
        'and connections:write"'
    )
    assert slack_socket.connections == 0
    assert len(top_level(slack)) == 4
    assert revoked not in caplog.text


def test_without_review_settings_drafts_carry_no_buttons(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], api: FakePheApi
) -> None:
    api.publish(FIRST.read_text(), release="2020-11-25")
    assert run_cli("post", env=env).exit_code == 0
    assert all(b["type"] != "actions" for m in slack.messages("newsroom") for b in m.blocks)
    assert slack.calls("chat.update") == []


def test_review_settings_that_cannot_work_are_one_line(run_cli: Run, env: dict[str, str]) -> None:
    http_without_secret = {
        **env,
        "SLACK_APP_TOKEN": "xapp-1-A0-1-abc",
        "PATCHBOT_SLACK_MODE": "http",
    }
    result = run_cli("run", env=http_without_secret)
    assert result.exit_code == 1
    assert result.stderr == (
        "patchbot: error: SLACK_SIGNING_SECRET: not set; PATCHBOT_SLACK_MODE=http needs the "
        "app's signing secret (README 'Review in Slack')\n"
    )
    checked = run_cli("config", "check", env=http_without_secret)
    assert checked.exit_code == 1
    assert "error: SLACK_SIGNING_SECRET: not set; PATCHBOT_SLACK_MODE=http needs" in (
        checked.stdout
    )
    pasted = run_cli("post", env={**env, "SLACK_APP_TOKEN": "xoxb-not-an-app-token"})
    assert pasted.exit_code == 1
    assert pasted.stderr.startswith("patchbot: error: SLACK_APP_TOKEN: not a Slack app-level")
    assert "xoxb-not-an-app-token" not in pasted.stderr


@pytest.mark.process
def test_the_real_patchbot_run_process_hears_a_claim_and_stops_cleanly(
    env: dict[str, str],
    api: FakePheApi,
    slack: FakeSlack,
    slack_socket: FakeSocketMode,
    tmp_path: Path,
) -> None:
    api.publish(FIRST.read_text(), release="2020-11-25")
    log = tmp_path / "service.log"
    with log.open("wb") as out:  # a file, not a pipe: the service logs every step
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env, "SLACK_APP_TOKEN": slack.app_token},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "outcome=posted next_run=" in log.read_text(), timeout=60)
        draft = story_message(slack, "highest_rates")
        envelope = slack_socket.deliver(click("patchbot_claim", ANNA, draft))
        wait_for(lambda: slack_socket.acked(envelope) and updates_of(slack, draft), timeout=15)
        assert review_line(slack, draft).startswith(f"*Claimed by <@{ANNA}> at ")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    output = log.read_text()
    assert process.returncode == 0, output
    assert "step=listen mode=socket" in output
    assert "step=review action=claim user=U0ANNA post=" in output
    assert "Traceback" not in output
    assert slack.app_token not in output
    assert TOKEN not in output


def test_a_long_copy_is_split_across_inputs_of_3000_and_saved_whole() -> None:
    from bot.review.blocks import MessageRef, edit_modal, edited_copy

    sentence = "Cases rose in Heworth and Tang Hall."
    paragraphs = [f"Paragraph {n}: " + " ".join([sentence] * 30) for n in range(1, 9)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 8000
    modal = edit_modal(MessageRef("C0NEWSROOM1", "1.2"), "Headline", text)
    assert modal is not None
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs][:2] == ["headline", "copy-1"]
    assert len(inputs) >= 4
    assert all(len(b["element"].get("initial_value", "")) <= 3000 for b in inputs)
    assert all(b["element"]["max_length"] == 3000 for b in inputs)
    values = {b["block_id"]: {"value": {"value": b["element"]["initial_value"]}} for b in inputs}
    assert edited_copy(values) == ("Headline", text)
