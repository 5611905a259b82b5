"""Reporters' review actions in the state file: one row per action that changed a story, so a
story's state (its latest row) survives restarts and ``patchbot history`` can show it.

A story's reviews hang from its original post; a correction's message leads back to it. Each
action is read, decided (``bot.review.actions.transition``) and recorded in one ``BEGIN
IMMEDIATE`` transaction: two clicks at once, from one process or two, are decided one after
the other, each on the state the other left.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from bot.review.actions import (
    Outcome,
    Review,
    ReviewState,
    Step,
    Verdict,
    applied_action,
    transition,
)
from bot.state.ledger import PostStatus
from bot.state.store import Store

_LATEST = (
    "SELECT * FROM reviews WHERE id IN (SELECT MAX(id) FROM reviews WHERE post_id IN ({}) "
    "GROUP BY post_id)"
)


@dataclass(frozen=True)
class StoryRef:
    """The story a Slack message belongs to: its desk and original post."""

    desk: str
    post_id: int  # the original post, which the story's reviews hang from
    message_post_id: int  # the post whose message it is (the original or a correction)


class Reviews(Store):
    """Review actions, for every desk (a message's story says which desk it is)."""

    def story_of(self, destination_id: str, message_id: str) -> StoryRef | None:
        """The story whose main message this is, if Patchbot posted it; None otherwise."""
        row = self.db.execute(
            "SELECT id, desk, corrects FROM posts WHERE channel_id=? AND ts=? AND status=?",
            (destination_id, message_id, PostStatus.POSTED),
        ).fetchone()
        if row is None:
            return None
        return StoryRef(row["desk"], row["corrects"] or row["id"], row["id"])

    def current(self, post_id: int) -> Review:
        return self.latest([post_id]).get(post_id, Review())

    def latest(self, post_ids: Iterable[int]) -> dict[int, Review]:
        """Each reviewed story's state, by original post; a story never reviewed is absent."""
        ids = sorted(set(post_ids))
        if not ids:
            return {}
        rows = self.db.execute(_LATEST.format(",".join("?" * len(ids))), ids)
        return {row["post_id"]: _review(row) for row in rows}

    def apply(self, post_id: int, step: Step) -> Outcome:
        """Decide and record one action on a story, in one transaction."""
        with self._write() as db:
            row = db.execute(
                "SELECT * FROM reviews WHERE post_id=? ORDER BY id DESC LIMIT 1", (post_id,)
            ).fetchone()
            current = _review(row) if row else Review()
            outcome = transition(current, step)
            if outcome.verdict == Verdict.DONE:
                after = outcome.review
                db.execute(
                    "INSERT INTO reviews (post_id, action, user, at, state, holder, before, "
                    "reason, headline, text) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        post_id, applied_action(current, step), step.user, step.at, after.state,
                        after.holder, after.before, after.reason, after.headline, after.text,
                    ),
                )  # fmt: skip
        return outcome


def _review(row: sqlite3.Row) -> Review:
    return Review(
        ReviewState(row["state"]),
        row["holder"],
        row["at"],
        ReviewState(row["before"]),
        row["reason"],
        row["headline"],
        row["text"],
    )
