"""The delivery ledger: what was posted where, so nothing is posted twice and nothing is lost.

Each *post* is one version of a story of one desk, keyed by desk, story, patch, week ending and
data release, with a hash of its facts (the numbers and names it prints) and its version number
(1 for the original, 2 for its first correction...). A post is recorded with its pictures in one
transaction. It is sent as *parts* (the main message, thread continuations, the text file,
pictures, and for a correction the update that marks the original revised); each part's intent
is written before it is sent and the target's message id after, so a run killed at any point
can be resumed without sending a part twice. What a part *is* (never a row number) makes its
idempotency key at the target (``bot.delivery.target.PostIdentity``).

The columns keep Slack's words (``channel``, ``channel_id``, ``ts``) so existing ledgers still
open; here they hold a delivery target's destination, its id for it, and a message id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.state.store import Store, now


class PostStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    SUPERSEDED = "superseded"  # replaced by a newer version before it was ever sent


class PostKind(StrEnum):
    ORIGINAL = "original"
    CORRECTION = "correction"


def content_hash(facts: dict[str, Any]) -> str:
    """A hash of what the story asserts: a wording change alone is not a revision."""
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Post:
    id: int
    desk: str
    story: str
    patch: str
    week_ending: str
    release: str
    content_hash: str
    kind: PostKind
    corrects: int | None
    channel: str  # the destination as configured
    channel_id: str | None  # the target's id for the destination
    ts: str | None  # the main message's id
    status: PostStatus
    revised: bool
    draft: dict[str, Any]
    attempts: int
    last_error: str | None
    created_at: str
    posted_at: str | None
    version: int  # 1: the original; 2: its first correction...
    adopted: bool  # found at the target, not sent from this ledger: look for each part first
    legacy: bool  # sent before idempotency keys: its parts carry the old marker


@dataclass(frozen=True)
class StoredPicture:
    """A chart or map to upload into a post's thread."""

    filename: str
    title: str
    alt_text: str
    png: bytes


@dataclass(frozen=True)
class PartAttempt:
    """What the ledger knows of one part of a post."""

    started: bool
    message_id: str | None  # set once the target confirmed the part
    since: float | None  # when the first attempt started, as a Unix time


class Ledger(Store):
    """One desk's posts and their parts: ``with Ledger(state_dir, desk) as ledger: ...``."""

    def _post(self, row: sqlite3.Row) -> Post:
        values = dict(row)
        values["draft"] = json.loads(values["draft"])
        for flag in ("revised", "adopted", "legacy"):
            values[flag] = bool(values[flag])
        values["kind"] = PostKind(values["kind"])
        values["status"] = PostStatus(values["status"])
        return Post(**values)

    def _posts(self, query: str, *args: object) -> list[Post]:
        return [self._post(row) for row in self.db.execute(query, args)]

    def get(self, post_id: int) -> Post:
        row = self.db.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None:
            raise KeyError(post_id)
        return self._post(row)

    def versions(self, story: str, patch: str, week_ending: str) -> list[Post]:
        """Every version of one of the desk's stories, oldest first."""
        return self._posts(
            "SELECT * FROM posts WHERE desk=? AND story=? AND patch=? AND week_ending=? "
            "ORDER BY id",
            self.desk, story, patch, week_ending,
        )  # fmt: skip

    def pending(self) -> list[Post]:
        return self._posts(
            "SELECT * FROM posts WHERE desk=? AND status=? ORDER BY id",
            self.desk, PostStatus.PENDING,
        )  # fmt: skip

    def history(self, limit: int = 50) -> list[Post]:
        return self._posts(
            "SELECT * FROM posts WHERE desk=? ORDER BY id DESC LIMIT ?", self.desk, limit
        )

    def counts(self) -> dict[str, int]:
        """How many of the desk's posts are in each status (pending, posted, superseded)."""
        rows = self.db.execute(
            "SELECT status, COUNT(*) AS n FROM posts WHERE desk=? GROUP BY status", (self.desk,)
        )
        return {row["status"]: row["n"] for row in rows}

    def reached_target(self, post: Post) -> bool:
        """Posted, or its main message at least started (it may be at the target)."""
        return post.status == PostStatus.POSTED or self.part(post.id, "main").started

    def add(
        self,
        draft: dict[str, Any],
        *,
        patch: str,
        week_ending: str,
        release: str,
        version: int,
        destination: str,
        corrects: int | None,
        pictures: list[StoredPicture],
    ) -> Post:
        """Record a new version as pending, with its pictures, in one transaction (so a kill
        or a full disk leaves all of it or none), superseding any version of the story that
        never reached the target (one that did is finished first, then corrected)."""
        story = draft["story"]
        kind = PostKind.CORRECTION if corrects else PostKind.ORIGINAL
        with self._write() as db:
            db.execute(
                "UPDATE posts SET status=? WHERE desk=? AND story=? AND patch=? AND week_ending=? "
                "AND status=? AND id NOT IN (SELECT post_id FROM parts WHERE part='main')",
                (PostStatus.SUPERSEDED, self.desk, story, patch, week_ending, PostStatus.PENDING),
            )
            cursor = db.execute(
                "INSERT INTO posts (desk, story, patch, week_ending, release, content_hash, "
                "version, kind, corrects, channel, status, draft, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    self.desk, story, patch, week_ending, release, content_hash(draft["facts"]),
                    version, kind, corrects, destination, PostStatus.PENDING,
                    json.dumps(draft, ensure_ascii=False), now(),
                ),
            )  # fmt: skip
            post_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO pictures (post_id, filename, title, alt_text, png) VALUES (?,?,?,?,?)",
                [(post_id, p.filename, p.title, p.alt_text, p.png) for p in pictures],
            )
        assert post_id is not None
        return self.get(post_id)

    def set_destination(self, post_id: int, destination: str) -> None:
        with self._write() as db:
            db.execute("UPDATE posts SET channel=? WHERE id=?", (destination, post_id))

    def supersede(self, post_id: int) -> None:
        with self._write() as db:
            db.execute("UPDATE posts SET status=? WHERE id=?", (PostStatus.SUPERSEDED, post_id))

    def pictures(self, post_id: int) -> list[StoredPicture]:
        rows = self.db.execute(
            "SELECT filename, title, alt_text, png FROM pictures WHERE post_id=? ORDER BY rowid",
            (post_id,),
        )
        return [
            StoredPicture(r["filename"], r["title"], r["alt_text"], bytes(r["png"])) for r in rows
        ]

    def part(self, post_id: int, part: str) -> PartAttempt:
        row = self.db.execute(
            "SELECT ts, started_at FROM parts WHERE post_id=? AND part=?", (post_id, part)
        ).fetchone()
        if row is None:
            return PartAttempt(started=False, message_id=None, since=None)
        since = dt.datetime.fromisoformat(row["started_at"]).timestamp()
        return PartAttempt(started=True, message_id=row["ts"], since=since)

    def start_part(self, post_id: int, part: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO parts (post_id, part, started_at) VALUES (?,?,?)",
                (post_id, part, now()),
            )

    def finish_part(self, post_id: int, part: str, message_id: str) -> None:
        """The target confirmed the part (sent now, or found there)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO parts (post_id, part, started_at, ts) VALUES (?,?,?,?) "
                "ON CONFLICT (post_id, part) DO UPDATE SET ts=excluded.ts",
                (post_id, part, now(), message_id),
            )

    def set_main(self, post_id: int, destination_id: str, message_id: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE posts SET channel_id=?, ts=? WHERE id=?",
                (destination_id, message_id, post_id),
            )

    def mark_posted(self, post_id: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE posts SET status=?, posted_at=?, last_error=NULL WHERE id=?",
                (PostStatus.POSTED, now(), post_id),
            )

    def mark_adopted(self, post_id: int) -> None:
        """The post's main message was found at the target, not sent from this ledger: every
        other part may be there too, and is looked for before it is sent."""
        with self._write() as db:
            db.execute("UPDATE posts SET adopted=1 WHERE id=?", (post_id,))

    def mark_revised(self, post_id: int) -> None:
        with self._write() as db:
            db.execute("UPDATE posts SET revised=1 WHERE id=?", (post_id,))

    def record_failure(self, post_id: int, error: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE posts SET attempts=attempts+1, last_error=? WHERE id=?", (error, post_id)
            )
