"""Bounds on every download a source makes: a size, and an overall deadline (a local file's
bounds, and a gzip file's, are in ``bot.sources.files``).

- **Size** (``PATCHBOT_MAX_SOURCE_MB``): counted while the body streams in, after any
  ``Content-Encoding`` is undone (urllib3 inflates a chunk at a time), so neither an endless
  body nor a gzip bomb is ever held whole.
- **Time** (``PATCHBOT_HTTP_DEADLINE``): the per-read timeout cannot stop a server that sends a
  byte every few seconds, headers or body. A watchdog timer shuts down the sockets a download
  uses once its deadline passes; the blocked read returns and the download stops with one line.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from bot.errors import PatchbotError
from bot.sources.files import CHUNK, too_large

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
