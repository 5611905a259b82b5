"""The state directory's SQLite file, shared by the delivery ledger and the service's journal.

One file, ``ledger.sqlite3`` (its name from when it held only the ledger; kept so existing
state directories open as they are). Opening it brings its tables to the current version
(``bot.state.schema``); each store writes in short transactions, committed before anything that
depends on them is sent.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.errors import PatchbotError
from bot.state import schema

FILE_NAME = "ledger.sqlite3"


def now() -> str:
    """The current time as stored: UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "patchbot"


class Store:
    """A connection to the state file for one desk, for the calling thread; use as a context
    manager."""

    def __init__(self, state_dir: Path, desk: str = schema.DEFAULT_DESK) -> None:
        self.desk = desk  # the desk whose rows this connection reads and writes
        self.path = state_dir / FILE_NAME
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            schema.ensure(self.db, self.path)
        except (OSError, sqlite3.Error) as error:
            raise PatchbotError(
                f"PATCHBOT_STATE_DIR: cannot use {state_dir}: {error} (disk full or read-only?)"
            ) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed before anything that depends on it is sent."""
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
