"""The service's journal: what ``patchbot run`` saw and did, for ``patchbot status`` and for
deciding what is new.

*Events* are its checks, errors and bad-data alerts; *releases* are the data releases it
processed (by a hash of their raw bytes, so an identical re-publication is not new); *runs* are
its daily jobs, one per UK day, so a run stopped half-way is resumed the same day and a
finished one is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from bot.state.store import Store, now


class EventKind(StrEnum):
    CHECK = "check"  # one look at the source and its outcome
    ERROR = "error"  # something went wrong (shown by `status`)
    BAD_DATA = "bad-data"  # a data problem ops were alerted to (once per problem)


SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,             -- check | error | bad-data
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


class Event(NamedTuple):
    at: str
    detail: str


class RunDay(NamedTuple):
    """The daily job of one day: finished_at is None while it polls or once it was stopped."""

    finished_at: str | None
    outcome: str | None


class Journal(Store):
    """Events, releases and runs: ``with Journal(state_dir) as journal: ...``."""

    SCHEMA = SCHEMA

    def log_event(self, kind: EventKind, detail: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO events (at, kind, detail) VALUES (?,?,?)", (now(), kind, detail)
            )

    def events(self, kind: EventKind, limit: int = 5) -> list[Event]:
        """The latest events of a kind, newest first."""
        rows = self.db.execute(
            "SELECT at, detail FROM events WHERE kind=? ORDER BY id DESC LIMIT ?", (kind, limit)
        )
        return [Event(row["at"], row["detail"]) for row in rows]

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

    def run_day(self, day: str) -> RunDay | None:
        """The daily job of ``day`` (an ISO date); None if it never started."""
        row = self.db.execute("SELECT * FROM runs WHERE day=?", (day,)).fetchone()
        return RunDay(row["finished_at"], row["outcome"]) if row else None

    def start_run_day(self, day: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO runs (day, started_at) VALUES (?,?)", (day, now()))

    def finish_run_day(self, day: str, outcome: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, outcome=? WHERE day=?", (now(), outcome, day)
            )
