"""Reporters' review of a draft: the states a story goes through in Slack, and what each action
does to it. Pure: no Slack, no SQLite; ``bot.state.reviews`` applies a transition in one
transaction, so two clicks at once still leave one consistent state.

A story is *posted* until someone claims it. Whoever holds it (claimed, approved, held or
edited it) is the only one who may act on it next; anybody else is refused, with the holder
named. The holder clicking Claim again releases a claim (unless the second click came within
seconds of the first: a double click changes nothing). A correction from the publisher keeps
the holder and marks the story *corrected*, remembering what it was before ("Corrected after
approval").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.logs import UK

# A holder's second Claim releases the story, unless it came this soon: a double click.
DOUBLE_CLICK_SECONDS = 5


class ReviewState(StrEnum):
    POSTED = "posted"
    CLAIMED = "claimed"
    APPROVED = "approved"
    HELD = "held"
    EDITED = "edited"
    CORRECTED = "corrected"


class ReviewAction(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    APPROVE = "approve"
    HOLD = "hold"
    EDIT = "edit"
    CORRECT = "correct"  # Patchbot's own: the publisher revised the figures


class Verdict(StrEnum):
    DONE = "done"  # the action changed the story's state
    UNCHANGED = "unchanged"  # already so (a double click): nothing recorded
    REFUSED = "refused"  # someone else holds the story


# What each reporter's action makes of the story.
_RESULT = {
    ReviewAction.CLAIM: ReviewState.CLAIMED,
    ReviewAction.APPROVE: ReviewState.APPROVED,
    ReviewAction.HOLD: ReviewState.HELD,
    ReviewAction.EDIT: ReviewState.EDITED,
}


@dataclass(frozen=True)
class Review:
    """Where a story stands: its state, who holds it and since when (UTC, ISO 8601), and the
    state before the last action."""

    state: ReviewState = ReviewState.POSTED
    holder: str | None = None  # a Slack user ID
    at: str | None = None
    before: ReviewState = ReviewState.POSTED
    reason: str | None = None  # why it is held
    headline: str | None = None  # the reporter's edited version, once edited
    text: str | None = None


@dataclass(frozen=True)
class Step:
    """An action asked for: by whom (None for Patchbot), when, and what it carries."""

    action: ReviewAction
    user: str | None
    at: str
    reason: str | None = None
    headline: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    review: Review  # after the action (unchanged when refused)


def transition(current: Review, step: Step) -> Outcome:
    """What ``step`` makes of a story that stands at ``current``."""
    if step.action == ReviewAction.CORRECT:  # ``reason`` names the correction: once each
        if current.state == ReviewState.CORRECTED and current.reason == step.reason:
            return Outcome(Verdict.UNCHANGED, current)
        corrected = replace(current, state=ReviewState.CORRECTED, before=current.state,
                            at=step.at, reason=step.reason)  # fmt: skip
        return Outcome(Verdict.DONE, corrected)
    if current.holder is not None and current.holder != step.user:
        return Outcome(Verdict.REFUSED, current)
    action = step.action
    if action == ReviewAction.CLAIM and current.holder == step.user:
        if _double_click(current.at, step.at):
            return Outcome(Verdict.UNCHANGED, current)  # one click sent twice, not a release
        action = ReviewAction.RELEASE  # the holder lets go, whatever they did with it
    if action == ReviewAction.RELEASE:
        if current.holder is None:
            return Outcome(Verdict.UNCHANGED, current)
        released = Review(ReviewState.POSTED, None, step.at, current.state)
        return Outcome(Verdict.DONE, replace(released, headline=current.headline,
                                             text=current.text))  # fmt: skip
    state = _RESULT[action]
    same_edit = (step.headline, step.text) == (current.headline, current.text)
    same_hold = step.reason == current.reason
    if (
        state == current.state
        and (action != ReviewAction.EDIT or same_edit)
        and (action != ReviewAction.HOLD or same_hold)
    ):
        return Outcome(Verdict.UNCHANGED, current)
    after = Review(
        state,
        step.user,
        step.at,
        current.state,
        step.reason if action == ReviewAction.HOLD else None,
        step.headline if action == ReviewAction.EDIT else current.headline,
        step.text if action == ReviewAction.EDIT else current.text,
    )
    return Outcome(Verdict.DONE, after)


def _double_click(before: str | None, now: str) -> bool:
    """Whether a second click came so soon after the first that it was one click twice."""
    try:
        gap = dt.datetime.fromisoformat(now) - dt.datetime.fromisoformat(before or "")
    except ValueError:
        return False
    return abs(gap.total_seconds()) < DOUBLE_CLICK_SECONDS


def clock(stamp: str | None) -> str:
    """A stored UTC time as the newsroom reads it: "16:42" (UK time)."""
    if not stamp:
        return "-"
    return f"{dt.datetime.fromisoformat(stamp).astimezone(UK):%H:%M}"


def applied_action(current: Review, step: Step) -> ReviewAction:
    """The action as recorded: the holder's second Claim is a release."""
    if step.action == ReviewAction.CLAIM and current.holder == step.user:
        return ReviewAction.RELEASE
    return step.action
