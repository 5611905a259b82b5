"""A source's bytes from a local file, and the release date in a file's name: kept apart from
``fetching`` (HTTP) so that drafting from a file never imports an HTTP client."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bot.errors import PatchbotError
from bot.sources import RawData

_RELEASE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def release_from_name(name: str) -> dt.date | None:
    """PHE named its files ``msoa_<release>.csv``; so does the bundled sample."""
    match = _RELEASE_IN_NAME.search(name)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def read_file(path: Path) -> RawData:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        if path.suffix in (".csv", ".gz"):
            raise PatchbotError(f"source: file not found: {path}") from None
        from bot.sources import LOCATION, SOURCES

        names = ", ".join(name for name in SOURCES if name != LOCATION)
        raise PatchbotError(
            f"source: {str(path)!r} is no source and no file; sources: {names}, an http(s):// "
            "URL, or a .csv/.csv.gz file"
        ) from None
    except OSError as error:
        raise PatchbotError(f"source: cannot read {path}: {error.strerror}") from None
    return RawData(content, str(path), release_from_name(path.name))
