"""The delivery ledger: what was posted where, so nothing is posted twice and nothing is lost.

A SQLite file in ``PATCHBOT_STATE_DIR``. Each *post* is one version of a story, keyed by story,
patch, week ending and data release, with a hash of its facts (the numbers and names it
prints). A post is sent as *parts* (the main message, thread continuations, the text file, and
for a correction the update that marks the original revised); each part's intent is written
before it is sent and its Slack ``ts`` after, so a run killed at any point can be resumed
without sending a part twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import PatchbotError

PENDING, POSTED, SUPERSEDED = "pending", "posted", "superseded"
ORIGINAL, CORRECTION = "original", "correction"

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    story TEXT NOT NULL,
    patch TEXT NOT NULL,
    week_ending TEXT NOT NULL,
    release TEXT NOT NULL,          -- '' when the source gave no release date
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL,             -- original | correction
    corrects INTEGER REFERENCES posts(id),
    channel TEXT NOT NULL,          -- as configured: '#newsroom' or an ID
    channel_id TEXT,                -- Slack's ID, once known
    ts TEXT,                        -- the main message, once posted
    status TEXT NOT NULL,           -- pending | posted | superseded
    revised INTEGER NOT NULL DEFAULT 0,
    draft TEXT NOT NULL,            -- the full draft (JSON), so a failed post is kept
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    posted_at TEXT
);
DROP INDEX IF EXISTS one_version;  -- a story may come back to figures it had before
CREATE INDEX IF NOT EXISTS story_versions ON posts(story, patch, week_ending);
CREATE TABLE IF NOT EXISTS parts (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    part TEXT NOT NULL,             -- main | thread-1 ... | file | mark-revised
    started_at TEXT NOT NULL,
    ts TEXT,                        -- set when Slack confirmed it
    PRIMARY KEY (post_id, part)
);
CREATE TABLE IF NOT EXISTS pictures (  -- charts and maps to upload with a post
    post_id INTEGER NOT NULL REFERENCES posts(id),
    filename TEXT NOT NULL,
    title TEXT NOT NULL,
    alt_text TEXT NOT NULL,
    png BLOB NOT NULL,
    PRIMARY KEY (post_id, filename)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,             -- check | release | run | error
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS releases (  -- data releases `patchbot run` has processed
    id INTEGER PRIMARY KEY,
    patch TEXT NOT NULL,
    source TEXT NOT NULL,
    week_ending TEXT NOT NULL,      -- the newest week in the data
    release TEXT NOT NULL,          -- the source's own date stamp; '' when it gave none
    content_hash TEXT NOT NULL,     -- of the raw bytes: an identical re-publication is not new
    outcome TEXT NOT NULL,          -- posted | unchanged | partial (a story failed to draft)
    processed_at TEXT NOT NULL,
    UNIQUE (patch, content_hash)
);
CREATE TABLE IF NOT EXISTS runs (   -- `patchbot run`'s daily job, one row per day (UK date)
    day TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,               -- NULL: still polling, or stopped part-way (resumable)
    outcome TEXT
);
"""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def content_hash(facts: dict[str, Any]) -> str:
    """A hash of what the story asserts: a wording change alone is not a revision."""
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "patchbot"


@dataclass(frozen=True)
class Release:
    id: int
    patch: str
    source: str
    week_ending: str
    release: str
    content_hash: str
    outcome: str
    processed_at: str


@dataclass(frozen=True)
class Post:
    id: int
    story: str
    patch: str
    week_ending: str
    release: str
    content_hash: str
    kind: str
    corrects: int | None
    channel: str
    channel_id: str | None
    ts: str | None
    status: str
    revised: bool
    draft: dict[str, Any]
    attempts: int
    last_error: str | None
    created_at: str
    posted_at: str | None


class Ledger:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "ledger.sqlite3"
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise PatchbotError(
                f"PATCHBOT_STATE_DIR: cannot use {state_dir}: {error} (disk full or read-only?)"
            ) from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed before Slack is told anything that depends on it."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            yield self.db
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise PatchbotError(
                f"PATCHBOT_STATE_DIR: cannot write {self.path}: {error} (disk full or read-only?)"
            ) from None

    def _post(self, row: sqlite3.Row | None) -> Post | None:
        if row is None:
            return None
        values = dict(row)
        values["draft"] = json.loads(values["draft"])
        values["revised"] = bool(values["revised"])
        return Post(**values)

    def get(self, post_id: int) -> Post:
        post = self._post(
            self.db.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
        )
        if post is None:
            raise KeyError(post_id)
        return post

    def versions(self, story: str, patch: str, week_ending: str) -> list[Post]:
        """Every version of a story, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM posts WHERE story=? AND patch=? AND week_ending=? ORDER BY id",
            (story, patch, week_ending),
        )
        return [post for row in rows if (post := self._post(row)) is not None]

    def reached_slack(self, post: Post) -> bool:
        """Posted, or its channel message at least started (it may be in Slack)."""
        return post.status == POSTED or self.part(post.id, "main")[0]

    def set_channel(self, post_id: int, channel: str) -> None:
        with self._write() as db:
            db.execute("UPDATE posts SET channel=? WHERE id=?", (channel, post_id))

    def supersede(self, post_id: int) -> None:
        with self._write() as db:
            db.execute("UPDATE posts SET status=? WHERE id=?", (SUPERSEDED, post_id))

    def add(
        self,
        draft: dict[str, Any],
        *,
        patch: str,
        week_ending: str,
        release: str,
        channel: str,
        corrects: int | None,
    ) -> Post:
        """Record a new version as pending, superseding any version of the story that never
        reached Slack (one that did is finished first, then corrected)."""
        story = draft["story"]
        with self._write() as db:
            db.execute(
                "UPDATE posts SET status=? WHERE story=? AND patch=? AND week_ending=? "
                "AND status=? AND id NOT IN (SELECT post_id FROM parts WHERE part='main')",
                (SUPERSEDED, story, patch, week_ending, PENDING),
            )
            cursor = db.execute(
                "INSERT INTO posts (story, patch, week_ending, release, content_hash, kind, "
                "corrects, channel, status, draft, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    story, patch, week_ending, release, content_hash(draft["facts"]),
                    CORRECTION if corrects else ORIGINAL, corrects, channel, PENDING,
                    json.dumps(draft, ensure_ascii=False), now(),
                ),
            )  # fmt: skip
            post_id = cursor.lastrowid
        assert post_id is not None
        return self.get(post_id)

    def add_pictures(self, post_id: int, pictures: list[tuple[str, str, str, bytes]]) -> None:
        """(filename, title, alt text, PNG) to upload into the post's thread."""
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO pictures (post_id, filename, title, alt_text, png) "
                "VALUES (?,?,?,?,?)",
                [(post_id, *picture) for picture in pictures],
            )

    def pictures(self, post_id: int) -> list[tuple[str, str, str, bytes]]:
        rows = self.db.execute(
            "SELECT filename, title, alt_text, png FROM pictures WHERE post_id=? ORDER BY rowid",
            (post_id,),
        )
        return [(r["filename"], r["title"], r["alt_text"], bytes(r["png"])) for r in rows]

    def pending(self) -> list[Post]:
        rows = self.db.execute("SELECT * FROM posts WHERE status=? ORDER BY id", (PENDING,))
        return [post for row in rows if (post := self._post(row)) is not None]

    def part(self, post_id: int, part: str) -> tuple[bool, str | None]:
        """(started, ts) for one part of a post."""
        started, ts, _at = self.part_attempt(post_id, part)
        return started, ts

    def part_attempt(self, post_id: int, part: str) -> tuple[bool, str | None, float | None]:
        """(started, ts, when the attempt started as a Unix time) for one part of a post."""
        row = self.db.execute(
            "SELECT ts, started_at FROM parts WHERE post_id=? AND part=?", (post_id, part)
        ).fetchone()
        if row is None:
            return False, None, None
        return True, row["ts"], dt.datetime.fromisoformat(row["started_at"]).timestamp()

    def start_part(self, post_id: int, part: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO parts (post_id, part, started_at) VALUES (?,?,?)",
                (post_id, part, now()),
            )

    def finish_part(self, post_id: int, part: str, ts: str) -> None:
        with self._write() as db:
            db.execute("UPDATE parts SET ts=? WHERE post_id=? AND part=?", (ts, post_id, part))

    def set_main(self, post_id: int, channel_id: str, ts: str) -> None:
        with self._write() as db:
            db.execute("UPDATE posts SET channel_id=?, ts=? WHERE id=?", (channel_id, ts, post_id))

    def mark_posted(self, post_id: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE posts SET status=?, posted_at=?, last_error=NULL WHERE id=?",
                (POSTED, now(), post_id),
            )

    def mark_revised(self, post_id: int) -> None:
        with self._write() as db:
            db.execute("UPDATE posts SET revised=1 WHERE id=?", (post_id,))

    def record_failure(self, post_id: int, error: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE posts SET attempts=attempts+1, last_error=? WHERE id=?", (error, post_id)
            )

    def history(self, limit: int = 50) -> list[Post]:
        rows = self.db.execute("SELECT * FROM posts ORDER BY id DESC LIMIT ?", (limit,))
        return [post for row in rows if (post := self._post(row)) is not None]

    def log_event(self, kind: str, detail: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO events (at, kind, detail) VALUES (?,?,?)", (now(), kind, detail)
            )

    def events(self, kind: str, limit: int = 5) -> list[tuple[str, str]]:
        rows = self.db.execute(
            "SELECT at, detail FROM events WHERE kind=? ORDER BY id DESC LIMIT ?", (kind, limit)
        )
        return [(row["at"], row["detail"]) for row in rows]

    # -- `patchbot run`: releases processed, and the daily job's days

    def release(self, patch: str, digest: str) -> Release | None:
        """The processed release with these exact bytes, if any."""
        row = self.db.execute(
            "SELECT * FROM releases WHERE patch=? AND content_hash=?", (patch, digest)
        ).fetchone()
        return Release(**dict(row)) if row else None

    def last_release(self, patch: str | None = None) -> Release | None:
        """The release processed last (for ``patch``, if given)."""
        where, args = ("WHERE patch=?", (patch,)) if patch else ("", ())
        row = self.db.execute(
            f"SELECT * FROM releases {where} ORDER BY id DESC LIMIT 1", args
        ).fetchone()
        return Release(**dict(row)) if row else None

    def add_release(
        self, *, patch: str, source: str, week_ending: str, release: str, digest: str, outcome: str
    ) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO releases (patch, source, week_ending, release, content_hash, "
                "outcome, processed_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (patch, content_hash) "
                "DO UPDATE SET outcome=excluded.outcome, processed_at=excluded.processed_at",
                (patch, source, week_ending, release, digest, outcome, now()),
            )

    def run_day(self, day: str) -> tuple[str | None, str | None] | None:
        """(finished_at, outcome) of the daily job for ``day``; None if it never started."""
        row = self.db.execute("SELECT * FROM runs WHERE day=?", (day,)).fetchone()
        return (row["finished_at"], row["outcome"]) if row else None

    def start_run_day(self, day: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO runs (day, started_at) VALUES (?,?)", (day, now()))

    def finish_run_day(self, day: str, outcome: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, outcome=? WHERE day=?", (now(), outcome, day)
            )

    def counts(self) -> dict[str, int]:
        """How many posts are in each status (pending, posted, superseded)."""
        rows = self.db.execute("SELECT status, COUNT(*) AS n FROM posts GROUP BY status")
        return {row["status"]: row["n"] for row in rows}


LOCK_FILE = "patchbot.lock"

# -- one Patchbot at a time per state directory (`run`, `run --once` and `post` take it)


@contextlib.contextmanager
def state_lock(state_dir: Path) -> Iterator[None]:
    """Hold ``patchbot.lock`` in the state directory, or refuse with one clear line."""
    path = state_dir / LOCK_FILE
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
    except OSError as error:
        raise PatchbotError(f"PATCHBOT_STATE_DIR: cannot use {state_dir}: {error}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            raise PatchbotError(
                f"PATCHBOT_STATE_DIR: another Patchbot (pid {pid}) is already running with the "
                f"state directory {state_dir}; only one may use it at a time"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # releases the lock


def lock_holder(state_dir: Path) -> str | None:
    """The pid of the Patchbot holding the state directory's lock, or None."""
    path = state_dir / LOCK_FILE
    try:
        handle = path.open(encoding="utf-8")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown"
    return None
