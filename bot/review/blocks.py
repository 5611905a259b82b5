"""What reporters see of the review in Slack: the buttons under a draft, the line that says
where it stands ("Claimed by @name at 16:42"), the hold and edit modals, the edited version in
the thread, and the ephemeral refusals.

Everything here is Block Kit; user IDs become mentions (``<@U123>``), and any text a reporter
typed is escaped like the copy (``bot.delivery.slack.escape``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# The message builder's own pieces, so an edited version is split and escaped as drafts are.
from bot.delivery.slack import (
    SECTION_LIMIT,
    THREAD_SECTIONS,
    escape,
    section_block,
    text_chunks,
    title_block,
)
from bot.delivery.target import Message
from bot.review.actions import Review, ReviewState, clock

ACTIONS_BLOCK = "patchbot_review"
CLAIM, APPROVE, HOLD, EDIT = "patchbot_claim", "patchbot_approve", "patchbot_hold", "patchbot_edit"
HOLD_VIEW, EDIT_VIEW = "patchbot_hold", "patchbot_edit"  # the modals' callback IDs
INPUT_LIMIT = 3000  # characters in one plain-text input
MODAL_BLOCKS = 100
REASON_LIMIT = 200
_BUTTONS = ((CLAIM, "Claim", None), (APPROVE, "Approve", "primary"), (HOLD, "Hold", "danger"),
            (EDIT, "Edit", None))  # fmt: skip
# "Corrected after approval": what each state was, as the correction line says it.
_AFTER = {
    ReviewState.POSTED: "Corrected",
    ReviewState.CLAIMED: "Corrected after claim",
    ReviewState.APPROVED: "Corrected after approval",
    ReviewState.HELD: "Corrected after hold",
    ReviewState.EDITED: "Corrected after edit",
    ReviewState.CORRECTED: "Corrected again",
}
_VERB = {
    ReviewState.CLAIMED: "Claimed",
    ReviewState.APPROVED: "Approved",
    ReviewState.HELD: "Held",
    ReviewState.EDITED: "Edited",
}


def actions_block() -> dict[str, Any]:
    """The review buttons under a draft."""
    elements = []
    for action_id, text, style in _BUTTONS:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": text},
            "value": action_id.removeprefix("patchbot_"),
        }
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": elements}


def status_line(review: Review) -> str | None:
    """Where a story stands, in mrkdwn; None for a story nobody has touched."""
    who = f"<@{review.holder}>" if review.holder else None
    at = clock(review.at)
    if review.state == ReviewState.CORRECTED:
        line = f":warning: *{_AFTER[review.before]}* at {at}: the publisher revised the figures"
        return f"{line}; {who} holds it" if who else line
    if review.state == ReviewState.POSTED:
        return f"Released by the reporter at {at}: free to claim" if review.at else None
    line = f"*{_VERB[review.state]} by {who} at {at}*"
    if review.state == ReviewState.HELD and review.reason:
        line += f": {escape(review.reason)}"
    if review.state == ReviewState.EDITED:
        line += ": their version to publish is in the thread"
    if review.state == ReviewState.CLAIMED:
        line += " (click Claim again to release it)"
    return line


def reviewed(message: Message, review: Review) -> Message:
    """A draft's channel message with its review line and buttons."""
    line = status_line(review)
    blocks = [*message["blocks"]]
    if blocks and blocks[-1].get("type") == "actions":
        blocks.pop()
    if line:
        # verbatim: a hold reason's "@here" or "#channel" stays text, never a mention
        element = {"type": "mrkdwn", "text": line, "verbatim": True}
        blocks.append({"type": "context", "elements": [element]})
    blocks.append(actions_block())
    return {**message, "blocks": blocks}


def refusal(review: Review) -> str:
    """Why someone other than the holder may not act on a story (ephemeral)."""
    if review.state == ReviewState.CORRECTED:  # its time is the correction's
        done = f"{_VERB.get(review.before, 'Claimed').lower()} this draft (corrected at "
        done += f"{clock(review.at)})"
    else:
        done = f"{_VERB.get(review.state, 'Claimed').lower()} this draft at {clock(review.at)}"
    return (
        f"<@{review.holder}> {done}: only they can act on it now. Ask them to release it if "
        "you need it."
    )


@dataclass(frozen=True)
class MessageRef:
    """The draft message a modal was opened from (kept in the modal's private metadata)."""

    channel_id: str
    ts: str

    def encode(self) -> str:
        return json.dumps({"channel": self.channel_id, "ts": self.ts})

    @classmethod
    def decode(cls, raw: str) -> MessageRef | None:
        try:
            data = json.loads(raw)
            return cls(str(data["channel"]), str(data["ts"]))
        except (ValueError, TypeError, KeyError):
            return None


def _input(block_id: str, label: str, initial: str, multiline: bool, limit: int) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value",
                               "multiline": multiline, "max_length": limit}  # fmt: skip
    if initial:
        element["initial_value"] = initial
    return {"type": "input", "block_id": block_id, "element": element,
            "label": {"type": "plain_text", "text": label}}  # fmt: skip


def _modal(callback_id: str, title_text: str, ref: MessageRef, blocks: list[Any]) -> Any:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": ref.encode(),
        "title": {"type": "plain_text", "text": title_text},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def hold_modal(ref: MessageRef) -> Any:
    reason = _input("reason", "Why hold it? (a short reason)", "", False, REASON_LIMIT)
    return _modal(HOLD_VIEW, "Hold this draft", ref, [reason])


def copy_parts(text: str) -> list[str]:
    """The copy split for the edit modal's inputs, at paragraph, line or word boundaries."""
    return text_chunks(text, INPUT_LIMIT) or [""]


def edit_modal(ref: MessageRef, headline: str, text: str) -> Any | None:
    """The edit modal with the headline and the copy split across inputs; None when the copy
    needs more inputs than a modal holds."""
    parts = copy_parts(text)
    if len(parts) + 2 > MODAL_BLOCKS:
        return None
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "Saving posts your version in the thread as the one to publish; Patchbot's original "
        "stays above. The fact check looks at your figures and tells only you."
    )}]}  # fmt: skip
    blocks = [note, _input("headline", "Headline", headline, False, INPUT_LIMIT)]
    for number, part in enumerate(parts, start=1):
        label = "Copy" if len(parts) == 1 else f"Copy (part {number} of {len(parts)})"
        blocks.append(_input(f"copy-{number}", label, part, True, INPUT_LIMIT))
    return _modal(EDIT_VIEW, "Edit this draft", ref, blocks)


def submitted(values: dict[str, Any], block_id: str) -> str:
    """One input's value from a modal submission ('' when left empty)."""
    return str((values.get(block_id, {}).get("value") or {}).get("value") or "")


def edited_copy(values: dict[str, Any]) -> tuple[str, str]:
    """The headline and copy a reporter saved (the copy's parts joined as paragraphs)."""
    numbers = sorted(int(key[5:]) for key in values if key.startswith("copy-") and
                     key[5:].isdigit())  # fmt: skip
    parts = [submitted(values, f"copy-{n}").strip() for n in numbers]
    return submitted(values, "headline").strip(), "\n\n".join(part for part in parts if part)


def edited_messages(headline: str, text: str, user: str, at: str) -> list[Message]:
    """The reporter's version as thread replies, within Slack's limits."""
    intro = section_block(
        f":pencil2: *Edited by <@{user}> at {clock(at)}: this is the version to publish.* "
        "Patchbot's original stays above."
    )
    sections = [section_block(piece) for piece in text_chunks(escape(text), SECTION_LIMIT)]
    first = [intro, title_block(headline), *sections[:THREAD_SECTIONS]]
    messages = [{"text": escape(f"Edited: {headline}"), "blocks": first}]
    for start in range(THREAD_SECTIONS, len(sections), THREAD_SECTIONS):
        blocks = sections[start : start + THREAD_SECTIONS]
        messages.append({"text": escape(f"Edited: {headline} (continued)"), "blocks": blocks})
    return messages


def fact_warning(problems: list[str]) -> str:
    listed = "\n".join(f"• {escape(problem)}" for problem in problems)
    return (
        ":mag: Your edit is saved, but the fact check cannot trace these figures to the data:\n"
        f"{listed}\nCheck them before publishing."
    )
