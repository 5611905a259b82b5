"""Kept-alive HTTP connections for Patchbot's Slack calls: one per host, not one per call.

slack-sdk sends every call through urllib, which asks for ``Connection: close``: each of a
post's forty-odd calls would open a new connection, and against the real Slack pay a TLS
handshake each. Here a connection goes back to its host's idle list once its whole answer is
read (unless the server said it will close), and the next call takes it.

- An idle connection the server closed meanwhile (its socket readable before anything is sent:
  the server's end-of-file) is dropped, never written to. If one fails anyway, the failure is
  raised as before, never hidden by sending again: a post may have landed, so the courier looks
  its idempotency key up first.
- Behind a proxy (``http_proxy``/``https_proxy`` not bypassed by ``no_proxy``) ``send`` returns
  None and the caller goes through urllib, which speaks to proxies.
- A non-2xx answer is raised as urllib's ``HTTPError``, as ``urlopen`` does, so slack-sdk's
  rate-limit handling and Patchbot's messages see what they saw before. A redirect is never
  followed (the token would go with it).
- A connection idle for more than ``MAX_IDLE_SECONDS`` is not used again; connections left
  idle are closed when the pool is dropped or at exit.
"""

from __future__ import annotations

import http.client
import selectors
import ssl
import threading
import time
import urllib.request
import weakref
from dataclasses import dataclass
from email.message import Message
from io import BytesIO
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request

MAX_IDLE_PER_HOST = 4  # more only when several threads call at once
# Older idle connections are not trusted: a NAT or firewall may have dropped one silently, and
# writing to it would wait out the timeout (the service and review keep a client for hours).
MAX_IDLE_SECONDS = 30.0
_Host = tuple[str, str, int]  # scheme, host name, port


@dataclass(frozen=True)
class Answer:
    """A 2xx answer, read whole."""

    status: int
    headers: Message
    body: bytes


class KeptConnections:
    """Idle connections by host, shared safely between threads."""

    def __init__(self, timeout: float, context: ssl.SSLContext | None = None) -> None:
        self.timeout, self.context = timeout, context
        self._idle: dict[_Host, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()
        weakref.finalize(self, _close_all, self._idle)

    def send(self, request: Request) -> Answer | None:
        """Send an http(s) request and read its answer; None if it must go through a proxy."""
        parts = urlsplit(request.full_url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        if scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {scheme}:")
        if _proxied(scheme, request.host):
            return None
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as error:  # a port out of range or not a number
            raise http.client.InvalidURL(f"{error} in {scheme}://{parts.netloc}") from None
        key = (scheme, host, port)
        connection = self._take(key)
        target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        headers = dict(request.header_items())
        try:
            connection.request(request.get_method(), target, body=request.data, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        except BaseException:
            connection.close()  # half-used: never handed out again
            raise
        ok = 200 <= answer.status < 300
        if ok and not response.will_close:  # a 1xx or an error: the connection is not reused
            self._give_back(key, connection)
        else:
            connection.close()
        if not ok:
            body = BytesIO(answer.body)
            raise HTTPError(request.full_url, answer.status, response.reason, answer.headers, body)
        return answer

    def _take(self, key: _Host) -> http.client.HTTPConnection:
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                connection, since = idle.pop()
                if time.monotonic() - since < MAX_IDLE_SECONDS and _still_open(connection):
                    return connection
                connection.close()
        scheme, host, port = key
        if scheme == "https":
            context = self.context
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _give_back(self, key: _Host, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE_PER_HOST:
                idle.append((connection, time.monotonic()))
                return
        connection.close()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection has nothing to read; if it has, the server closed it (or broke the
    protocol): either way it is not to be used."""
    if connection.sock is None:
        return False
    try:  # a selector, not select(): that cannot take a file descriptor of 1024 or more
        with selectors.DefaultSelector() as selector:
            selector.register(connection.sock, selectors.EVENT_READ)
            return not selector.select(timeout=0)
    except (OSError, ValueError):
        return False


def _proxied(scheme: str, host: str) -> bool:
    """Whether urllib would send this through a proxy (the environment's settings)."""
    return scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(host)


def _close_all(idle: dict[_Host, list[tuple[http.client.HTTPConnection, float]]]) -> None:
    for connections in idle.values():
        for connection, _since in connections:
            connection.close()
    idle.clear()
