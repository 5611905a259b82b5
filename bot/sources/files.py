"""A source's bytes from a local file, the release date in a file's name, and the bounds on
what a file may hold: kept apart from ``fetching`` (HTTP) so that drafting from a file never
imports an HTTP client.

Local files must be regular files (a FIFO would block for ever, ``/dev/zero`` never ends) no
larger than ``PATCHBOT_MAX_SOURCE_MB``; a gzip file is inflated a piece at a time as the CSV
reader asks for it, and stops at the same limit, so a gzip bomb is never held whole.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import stat
from pathlib import Path

from isal import isal_zlib

from bot.errors import PatchbotError
from bot.sources import MEGABYTE, HttpPolicy, RawData

CHUNK = 256 * 1024
# Inflated bytes handed to the CSV reader at a time: a quarter of a megabyte took twice the
# calls (0.03 s more CPU for two years of history); a whole megabyte, Arrow's block, raised the
# peak by 20 MB.
INFLATED = 512 * 1024
GZIP_MAGIC = b"\x1f\x8b"
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


def read_file(path: Path, limit: int = HttpPolicy().max_bytes) -> RawData:
    try:
        content = read_regular_file(path, limit)
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
    return RawData(content, str(path), release_from_name(path.name), limit)


def too_large(origin: str, limit: int) -> PatchbotError:
    return PatchbotError(
        f"{origin}: larger than PATCHBOT_MAX_SOURCE_MB={limit // MEGABYTE:,} MB (stopped "
        "reading there): not the file Patchbot expects, or raise the setting"
    )


def read_regular_file(path: Path, limit: int) -> bytes:
    """A regular file's bytes; a FIFO, a device, a folder or a file over ``limit`` is one line.
    Opened without blocking (opening a FIFO waits for a writer), then checked by what it is."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise PatchbotError(
                f"source: {path} is not a regular file (a pipe, a device or a folder): give a "
                ".csv or .csv.gz file"
            )
        if info.st_size > limit:
            raise too_large(f"source: {path}", limit)
        return handle.read(limit + 1)


class GunzipStream(io.RawIOBase):
    """A gzip file's inflated bytes, a piece at a time as a reader asks for them (members one
    after another, as gzip allows), stopping with one line once they pass ``limit``. The
    compressed bytes are fed in pieces too: handing zlib the whole remainder each time would
    copy it again on every read. Inflated by ISA-L (``isal``, zlib's format and interface):
    a third of zlib's time, a tenth of a second of every first read of two years' history."""

    def __init__(self, content: bytes, origin: str, limit: int) -> None:
        self._origin = origin
        self._limit = limit
        self._inflated = 0
        self._inflater = isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS)
        self._content = memoryview(content)
        self._offset = 0  # where the compressed bytes not yet given to zlib start
        self._carried = b""  # read past one member's end: the start of the next

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """``INFLATED`` bytes (or ``buffer`` full) unless the file ends first."""
        filled, wanted = 0, min(len(buffer), INFLATED)
        try:
            while filled < wanted:
                if self._inflater.eof and not self._next_member():
                    break  # the end (what follows the last member is not gzip)
                piece = self._inflater.decompress(self._input(), wanted - filled)
                self._inflated += len(piece)
                if self._inflated > self._limit:
                    raise too_large(self._origin, self._limit)
                buffer[filled : filled + len(piece)] = piece
                filled += len(piece)
        except isal_zlib.error:  # type: ignore[misc]  # a class; isal's stub calls it an instance
            raise PatchbotError(f"{self._origin}: damaged gzip file") from None
        return filled

    def _input(self) -> bytes:
        """What zlib held back, else the bytes carried over to a new member, else the next
        piece of the file; nothing left before a member's end means the file was cut short."""
        if self._inflater.unconsumed_tail:
            return self._inflater.unconsumed_tail
        if self._carried:
            carried, self._carried = self._carried, b""
            return carried
        if self._offset >= len(self._content):
            raise PatchbotError(f"{self._origin}: damaged gzip file")
        return self._next_piece()

    def _next_piece(self) -> bytes:
        piece = bytes(self._content[self._offset : self._offset + CHUNK])
        self._offset += len(piece)
        return piece

    def _next_member(self) -> bool:
        """After a member's end: start the next one if gzip follows (NUL padding allowed)."""
        rest = self._inflater.unused_data.lstrip(b"\x00")
        while len(rest) < 2 and self._offset < len(self._content):
            rest = (rest + self._next_piece()).lstrip(b"\x00")
        if rest[:2] != GZIP_MAGIC:
            return False
        self._inflater = isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS)
        self._carried = rest
        return True
