"""Bounds on every download and file a source reads: a size, and an overall deadline.

- **Size** (``PATCHBOT_MAX_SOURCE_MB``): counted while the body streams in, after any
  ``Content-Encoding`` is undone (urllib3 inflates a chunk at a time), and again while a gzip
  file is inflated (``gunzip``), so neither an endless body nor a gzip bomb is ever held whole.
- **Time** (``PATCHBOT_HTTP_DEADLINE``): the per-read timeout cannot stop a server that sends a
  byte every few seconds, headers or body. A watchdog timer shuts down the sockets a download
  uses once its deadline passes; the blocked read returns and the download stops with one line.
- **Local files** must be regular files: a FIFO would block for ever and ``/dev/zero`` never
  ends; a regular file larger than the limit is refused before it is read.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
import zlib
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from bot.errors import PatchbotError
from bot.sources import MEGABYTE

CHUNK = 256 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_current = threading.local()  # the watchdog of the download running in this thread, if any


class Watchdog:
    """Shuts down every socket this thread's download uses once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> Watchdog:
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        _current.watchdog = None
        self._timer.cancel()
        self._timer.join()  # never left running: a thread alive at exit can abort the process


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watch_current(sock: socket.socket | None) -> None:
    watchdog: Watchdog | None = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)  # connects first if need be
        _watch_current(self.sock)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        _watch_current(self.sock)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, its connections registered with the thread's ``Watchdog``."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def bounded_session() -> requests.Session:
    """A session whose downloads a ``Watchdog`` can cut short."""
    session = requests.Session()
    adapter = _WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def too_large(origin: str, limit: int) -> PatchbotError:
    return PatchbotError(
        f"{origin}: larger than PATCHBOT_MAX_SOURCE_MB={limit // MEGABYTE:,} MB (stopped "
        "reading there): not the file Patchbot expects, or raise the setting"
    )


def stalled(origin: str, deadline: float) -> PatchbotError:
    return PatchbotError(
        f"{origin} sent no complete answer within PATCHBOT_HTTP_DEADLINE={deadline:g} seconds "
        "(a stalled or very slow server)"
    )


def read_body(response: requests.Response, origin: str, limit: int) -> bytes:
    """The (decoded) body, stopping with one line once it passes ``limit`` bytes."""
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > limit:
            raise too_large(origin, limit)
    return bytes(body)


def gunzip(content: bytes, origin: str, limit: int) -> bytes:
    """``content`` inflated if it is gzip (members one after another, as gzip allows), never
    past ``limit`` bytes; anything else unchanged."""
    if content[:2] != GZIP_MAGIC:
        return content
    out = bytearray()
    rest = content
    try:
        while rest[:2] == GZIP_MAGIC:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pending = rest
            while pending and not inflater.eof:
                out += inflater.decompress(pending, CHUNK)
                if len(out) > limit:
                    raise too_large(origin, limit)
                pending = inflater.unconsumed_tail
            if not inflater.eof:
                raise PatchbotError(f"{origin}: damaged gzip file")
            rest = inflater.unused_data.lstrip(b"\x00")
    except zlib.error:
        raise PatchbotError(f"{origin}: damaged gzip file") from None
    return bytes(out)


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
