"""Tables already checked, kept per release: a file's rows are read and checked in full the
first time Patchbot sees it, and later runs on the same bytes (every desk, every hourly look of
the service, every ``draft``) read the checked table back instead of checking it again.

A checked table is kept in ``PATCHBOT_STATE_DIR/checked/`` as an Arrow IPC file named by a
SHA-256 of everything its checks depend on: the bytes, the release date (how stale the data
may be), the size limit it was inflated under, and Patchbot's version (the checks themselves).
Reading it back maps the file into memory: two years of history cost a few megabytes, not the
hundreds that parsing takes. A file is written whole under a temporary name and renamed, so a
killed run never leaves half a table; one that cannot be read back is checked again. Only the
newest ``KEEP`` are kept. Nothing here is ever an error: a full disk or a read-only state
folder only means the next run checks the file again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import pyarrow as pa

from bot import __version__
from bot.logs import step
from bot.sources import RawData

FORMAT = 2  # bump when the tidy table's columns change without a new version
KEEP = 4  # the newest checked tables kept: this release and the last few
SUFFIX = ".arrow"


def key(raw: RawData, kind: str) -> str:
    """What the checks' verdict depends on, as one name."""
    digest = hashlib.sha256()
    digest.update(raw.content)
    release = raw.release.isoformat() if raw.release else "-"
    digest.update(f"|{kind}|{release}|{raw.max_bytes}|{__version__}|{FORMAT}".encode())
    return digest.hexdigest()


def load(folder: Path, name: str) -> pa.Table | None:
    """The table checked before under ``name``, or None."""
    path = folder / f"{name}{SUFFIX}"
    try:
        with pa.memory_map(str(path)) as mapped:
            table = pa.ipc.open_file(mapped).read_all()
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowException) as error:  # damaged: check the file again
        step("checked_table_unreadable", path=path, error=type(error).__name__)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest
    step("checked_table_reused", path=path, rows=table.num_rows)
    return table


def store(folder: Path, name: str, table: pa.Table) -> None:
    """Keep ``table`` under ``name``, if the state folder lets us."""
    path = folder / f"{name}{SUFFIX}"
    partial = folder / f".{name}.{os.getpid()}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        partial.replace(path)
    except (OSError, pa.ArrowException) as error:
        step("checked_table_not_kept", folder=folder, error=type(error).__name__)
        with contextlib.suppress(OSError):
            partial.unlink()
        return
    _forget_oldest(folder)


def _forget_oldest(folder: Path) -> None:
    kept = sorted(folder.glob(f"*{SUFFIX}"), key=_last_used, reverse=True)
    for old in kept[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _last_used(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
