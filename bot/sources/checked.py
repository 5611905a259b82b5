"""Tables already checked, kept per release: a file's rows are read and checked in full the
first time Patchbot sees it, and later runs on the same bytes (every desk, every hourly look of
the service, every ``draft``) read the checked table back instead of checking it again.

A checked table is kept in ``PATCHBOT_STATE_DIR/checked/<name>/``, named by a SHA-256 of
everything its checks depend on: the bytes, the release date (how stale the data may be), the
size limit it was inflated under, and Patchbot's version (the checks themselves). The folder
holds the whole table (``table.arrow``, Arrow IPC), a small index (rows, columns, weeks) and,
for each week a run has drafted, that week's rows as JSON. A later run reads the index and the
weeks it drafts, and nothing else: it needs neither pyarrow nor numpy, and two years of
history cost it no more than one week. A week not drafted before is taken from the Arrow file
(mapped into memory) and kept as JSON for next time.

The folder is written whole under a temporary name and renamed, so a killed run never leaves
half a table; a week's file is written the same way. Anything that cannot be read back is
checked again, from the Arrow file or from the source's bytes. Only the newest ``KEEP`` are
kept. Nothing here is ever an error: a full disk or a read-only state folder only means the
next run checks the file again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.cases import ROW_FIELDS, ArrowCases
from bot.logs import step
from bot.sources import RawData

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT = 2  # bump when the tidy table's columns or these files change without a new version
KEEP = 4  # the newest checked tables kept: this release and the last few
TABLE = "table.arrow"
INDEX = "index.json"


def key(raw: RawData, kind: str) -> str:
    """What the checks' verdict depends on, as one name."""
    digest = hashlib.sha256()
    digest.update(raw.content)
    release = raw.release.isoformat() if raw.release else "-"
    digest.update(f"|{kind}|{release}|{raw.max_bytes}|{__version__}|{FORMAT}".encode())
    return digest.hexdigest()


class KeptCases:
    """A ``CaseTable`` (``bot.cases``) checked by an earlier run: its index read at once, a
    week's rows when they are asked for. ``recheck`` reads and checks the source's bytes again,
    for when the Arrow file is needed and cannot be read."""

    def __init__(
        self,
        folder: Path,
        index: dict[str, Any],
        recheck: Callable[[], pa.Table],
        table: pa.Table | None = None,
    ) -> None:
        self.folder = folder
        self.num_rows: int = index["rows"]
        self.column_names: list[str] = index["columns"]
        self._weeks = [dt.date.fromisoformat(week) for week in index["weeks"]]
        self._recheck = recheck
        self._table = table

    def weeks(self) -> list[dt.date]:
        return list(self._weeks)

    def arrow(self) -> pa.Table:
        if self._table is None:
            self._table = self._mapped()
        return self._table

    def week_columns(self, week: dt.date) -> dict[str, list[Any]]:
        path = self.folder / f"week-{week.isoformat()}.json"
        expected = [name for name in ROW_FIELDS if name in self.column_names]
        try:
            columns = json.loads(path.read_bytes())
            if _whole_week(columns, expected):
                return columns  # type: ignore[no-any-return]
            raise ValueError("not a whole week")
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as error:  # damaged: taken from the table again
            step("checked_week_unreadable", path=path, error=type(error).__name__)
        columns = ArrowCases(self.arrow()).week_columns(week)
        _write_whole(path, json.dumps(columns, separators=(",", ":")).encode())
        return columns

    def _mapped(self) -> pa.Table:
        import pyarrow as pa

        path = self.folder / TABLE
        try:
            with pa.memory_map(str(path)) as mapped:
                return pa.ipc.open_file(mapped).read_all()
        except (OSError, pa.ArrowException) as error:  # damaged: check the file again
            step("checked_table_unreadable", path=path, error=type(error).__name__)
            with contextlib.suppress(OSError):
                shutil.rmtree(self.folder)
            return self._recheck()


def _whole_week(columns: object, expected: list[str]) -> bool:
    if not isinstance(columns, dict) or list(columns) != expected:
        return False
    lengths = {len(column) if isinstance(column, list) else -1 for column in columns.values()}
    return len(lengths) == 1 and -1 not in lengths


def load(folder: Path, name: str, recheck: Callable[[], pa.Table]) -> KeptCases | None:
    """The table checked before under ``name``, or None."""
    kept = folder / name
    try:
        index = json.loads((kept / INDEX).read_bytes())
        cases = KeptCases(kept, index, recheck)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:  # damaged: check it again
        step("checked_table_unreadable", path=kept / INDEX, error=type(error).__name__)
        with contextlib.suppress(OSError):
            shutil.rmtree(kept)
        return None
    with contextlib.suppress(OSError):
        os.utime(kept / INDEX)  # recently used: kept longest
    step("checked_table_reused", path=kept, rows=cases.num_rows)
    return cases


def store(
    folder: Path, name: str, table: pa.Table, recheck: Callable[[], pa.Table]
) -> KeptCases | None:
    """Keep ``table`` under ``name``, if the state folder lets us; the kept table, which
    keeps each week drafted from it for the next run."""
    import pyarrow as pa

    cases = ArrowCases(table)
    index = {"rows": cases.num_rows, "columns": cases.column_names,
             "weeks": [week.isoformat() for week in cases.weeks()]}  # fmt: skip
    partial = folder / f".{name}.{_writer()}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.mkdir(exist_ok=True)  # left by a killed run of ours: ours to write
        with (
            pa.OSFile(str(partial / TABLE), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
        (partial / INDEX).write_text(json.dumps(index), encoding="utf-8")
        partial.rename(folder / name)
    except (OSError, pa.ArrowException) as error:
        step("checked_table_not_kept", folder=folder, error=type(error).__name__)
        with contextlib.suppress(OSError):
            shutil.rmtree(partial) if partial.is_dir() else partial.unlink()
        return None
    _forget_oldest(folder)
    return KeptCases(folder / name, index, recheck, table)


def _write_whole(path: Path, content: bytes) -> None:
    """``content`` in ``path``, whole or not at all (a week is only ever kept to save time)."""
    partial = path.with_name(f".{path.name}.{_writer()}.partial")
    try:
        partial.write_bytes(content)
        partial.replace(path)
    except OSError as error:
        step("checked_week_not_kept", path=path, error=type(error).__name__)
        with contextlib.suppress(OSError):
            partial.unlink()


def _writer() -> str:
    """This process and thread: desks drafted side by side never share a temporary file."""
    return f"{os.getpid()}.{threading.get_ident()}"


def _forget_oldest(folder: Path) -> None:
    kept = sorted(
        (entry for entry in folder.iterdir() if not entry.name.startswith(".")),
        key=_last_used,
        reverse=True,
    )
    for old in kept[KEEP:]:
        with contextlib.suppress(OSError):
            shutil.rmtree(old) if old.is_dir() else old.unlink()


def _last_used(path: Path) -> float:
    try:
        return (path / INDEX if path.is_dir() else path).stat().st_mtime
    except OSError:
        return 0.0
