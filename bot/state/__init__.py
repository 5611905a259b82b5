"""Patchbot's state directory (``PATCHBOT_STATE_DIR``): the delivery ledger and the service's
journal, both in one SQLite file, and the lock that keeps one Patchbot per directory.

The stores are imported when first asked for (``from bot.state import Ledger``): a ``draft``
needs only the folder's name, not SQLite.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

DEFAULT_DESK = "default"  # the one desk there is without a desks file; older rows belong to it

_MODULES = {
    **dict.fromkeys(("Event", "EventKind", "Journal", "Release", "RunDay"), "journal"),
    **dict.fromkeys(
        ("Ledger", "PartAttempt", "Post", "PostKind", "PostStatus", "StoredPicture"), "ledger"
    ),
    "content_hash": "ledger",
    "lock_holder": "lock",
    "state_lock": "lock",
}

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


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "patchbot"


def __getattr__(name: str) -> object:
    if name in _MODULES:
        return getattr(importlib.import_module(f"bot.state.{_MODULES[name]}"), name)
    raise AttributeError(f"module 'bot.state' has no attribute {name!r}")
