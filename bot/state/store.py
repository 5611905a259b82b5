"""The state directory's SQLite file, shared by the delivery ledger and the service's journal.

One file, ``ledger.sqlite3`` (its name from when it held only the ledger; kept so existing
state directories open as they are). Opening it brings its tables to the current version
(``bot.state.schema``); each store writes in short transactions, committed before anything that
depends on them is sent.
"""

from __future__ import annotations

import datetime as dt
import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.errors import PatchbotError
from bot.state import DEFAULT_DESK, schema

FILE_NAME = "ledger.sqlite3"


def now() -> str:
    """The current time as stored: UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# What an error from the file system or SQLite means, in words saying what to do about it.
_ERRNO_REASONS = {
    errno.ENOENT: "a folder on the way does not exist",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.EACCES: "no permission: check the folder's owner and mode",
    errno.EPERM: "no permission: check the folder's owner and mode",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
}
_SQLITE_REASONS = {
    "locked": "locked by another process: another Patchbot or a tool has it open; try again",
    "readonly": "the file or its folder is read-only",
    "disk is full": "the disk is full",
    "disk i/o": "the disk failed to read or write: is it full?",
    "not a database": "not a Patchbot state file (damaged, or another file by that name)",
    "unable to open": "the file cannot be opened: does the folder exist and can Patchbot write it?",
    "malformed": "the file is damaged: restore it from a backup or move it aside",
}


def why(error: BaseException) -> str:
    """A likely cause of ``error`` for the one-line message."""
    if isinstance(error, OSError) and error.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[error.errno]
    message = str(error).lower()
    for clue, reason in _SQLITE_REASONS.items():
        if clue in message:
            return reason
    return "is the folder writable and the disk not full?"


class Store:
    """A connection to the state file for one desk, for the calling thread; use as a context
    manager."""

    def __init__(self, state_dir: Path, desk: str = DEFAULT_DESK) -> None:
        self.desk = desk  # the desk whose rows this connection reads and writes
        self.path = state_dir / FILE_NAME
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            # A file whose header is sound but whose pages are not fails here, in one line,
            # rather than at whichever read first meets the damage.
            (verdict,) = self.db.execute("PRAGMA quick_check(1)").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed")
            schema.ensure(self.db, self.path)
        except (OSError, sqlite3.Error) as error:
            raise PatchbotError(
                f"PATCHBOT_STATE_DIR: cannot use {state_dir}: {error} ({why(error)})"
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
                f"PATCHBOT_STATE_DIR: cannot write {self.path}: {error} ({why(error)})"
            ) from None
