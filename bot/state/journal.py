"""The service's journal: what ``patchbot run`` saw and did, for ``patchbot status`` and for
deciding what is new.

*Events* are its checks, errors and bad-data alerts; *releases* are the data releases it
processed (by a hash of their raw bytes, so an identical re-publication is not new); *runs* are
its daily jobs, one per UK day, so a run stopped half-way is resumed the same day and a
finished one is not repeated; *alerts* are the problems told to the ops channel, so each is told
once a day, not once a run. Every row belongs to one desk.
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


@dataclass(frozen=True)
class Release:
    id: int
    desk: str
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
    """One desk's events, releases, runs and alerts: ``with Journal(state_dir, desk) as j:``."""

    def log_event(self, kind: EventKind, detail: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO events (desk, at, kind, detail) VALUES (?,?,?,?)",
                (self.desk, now(), kind, detail),
            )

    def events(self, kind: EventKind, limit: int = 5) -> list[Event]:
        """The latest events of a kind, newest first."""
        rows = self.db.execute(
            "SELECT at, detail FROM events WHERE desk=? AND kind=? ORDER BY id DESC LIMIT ?",
            (self.desk, kind, limit),
        )
        return [Event(row["at"], row["detail"]) for row in rows]

    def release(self, patch: str, digest: str) -> Release | None:
        """The processed release with these exact bytes, if any."""
        row = self.db.execute(
            "SELECT * FROM releases WHERE desk=? AND patch=? AND content_hash=?",
            (self.desk, patch, digest),
        ).fetchone()
        return Release(**dict(row)) if row else None

    def last_release(self, patch: str | None = None) -> Release | None:
        """The release processed last (for ``patch``, if given)."""
        where, args = ("AND patch=?", (self.desk, patch)) if patch else ("", (self.desk,))
        row = self.db.execute(
            f"SELECT * FROM releases WHERE desk=? {where} ORDER BY id DESC LIMIT 1", args
        ).fetchone()
        return Release(**dict(row)) if row else None

    def add_release(
        self, *, patch: str, source: str, week_ending: str, release: str, digest: str, outcome: str
    ) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO releases (desk, patch, source, week_ending, release, content_hash, "
                "outcome, processed_at) VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT (desk, patch, content_hash) "
                "DO UPDATE SET outcome=excluded.outcome, processed_at=excluded.processed_at",
                (self.desk, patch, source, week_ending, release, digest, outcome, now()),
            )

    def run_day(self, day: str) -> RunDay | None:
        """The daily job of ``day`` (an ISO date); None if it never started."""
        row = self.db.execute(
            "SELECT * FROM runs WHERE desk=? AND day=?", (self.desk, day)
        ).fetchone()
        return RunDay(row["finished_at"], row["outcome"]) if row else None

    def start_run_day(self, day: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO runs (desk, day, started_at) VALUES (?,?,?)",
                (self.desk, day, now()),
            )

    def finish_run_day(self, day: str, outcome: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, outcome=? WHERE desk=? AND day=?",
                (now(), outcome, self.desk, day),
            )

    def first_alert_today(self, day: str, problem: str) -> bool:
        """Record that ops are told of ``problem`` on ``day`` (a UK date); False if they were
        told already. Recorded before it is sent: a crash between the two loses the alert
        rather than sending it twice."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO alerts (desk, day, problem, sent_at) VALUES (?,?,?,?)",
                (self.desk, day, problem, now()),
            )
        return cursor.rowcount == 1

    def forget_alert(self, day: str, problem: str) -> None:
        """The alert could not be sent: the next run tells it again."""
        with self._write() as db:
            db.execute(
                "DELETE FROM alerts WHERE desk=? AND day=? AND problem=?", (self.desk, day, problem)
            )
