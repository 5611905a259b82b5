"""One Patchbot at a time per state directory: ``run``, ``run --once`` and ``post`` take an
exclusive ``flock`` on ``patchbot.lock``, held for the life of the process (the kernel drops it
if the process dies, so a stale file never blocks)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bot.errors import PatchbotError

LOCK_FILE = "patchbot.lock"


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
