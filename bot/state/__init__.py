"""Patchbot's state directory (``PATCHBOT_STATE_DIR``): the delivery ledger and the service's
journal, both in one SQLite file, and the lock that keeps one Patchbot per directory."""

from bot.state.journal import Event, EventKind, Journal, Release, RunDay
from bot.state.ledger import (
    Ledger,
    PartAttempt,
    Post,
    PostKind,
    PostStatus,
    StoredPicture,
    content_hash,
)
from bot.state.lock import lock_holder, state_lock
from bot.state.schema import DEFAULT_DESK
from bot.state.store import default_state_dir

__all__ = [
    "DEFAULT_DESK",
    "Event",
    "EventKind",
    "Journal",
    "Ledger",
    "PartAttempt",
    "Post",
    "PostKind",
    "PostStatus",
    "Release",
    "RunDay",
    "StoredPicture",
    "content_hash",
    "default_state_dir",
    "lock_holder",
    "state_lock",
]
