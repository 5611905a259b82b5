"""What the fake data APIs share: a threaded HTTP server on 127.0.0.1 that records every
request, hands out the faults a test scripted, and on ``close()`` hangs up on open connections
and waits for its handler threads."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar

F = TypeVar("F")  # a fake's scripted fault


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``query`` keeps repeated parameters as lists."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class LocalServer(Generic[F]):
    """Serving from the moment it is created until ``close()`` (or the end of the ``with``)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._faults: list[F] = []
        self._requests: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._server = Server(("127.0.0.1", 0), handler)
        self._server.api = self
        self.root_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def close(self) -> None:
        """Stop serving, hang up on open connections and wait for the handler threads."""
        with self._lock:
            self._closing.set()
            connections = list(self._connections)
        self._server.shutdown()
        for connection in connections:
            hang_up(connection)
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _fault_applies(self, fault: F, request: RecordedRequest) -> bool:
        """Whether a scripted fault is for this request (each fake says)."""
        raise NotImplementedError

    # -- called from the handler threads

    def _connected(self, connection: socket.socket, is_open: bool) -> None:
        with self._lock:
            if not is_open:
                self._connections.discard(connection)
            elif self._closing.is_set():
                hang_up(connection)
            else:
                self._connections.add(connection)

    def _record(self, request: RecordedRequest) -> F | None:
        """Record the request; the first scripted fault for it, taken off the queue."""
        with self._lock:
            self._requests.append(request)
            for index, fault in enumerate(self._faults):
                if self._fault_applies(fault, request):
                    return self._faults.pop(index)
            return None


def hang_up(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already gone
        connection.shutdown(socket.SHUT_RDWR)


class Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() waits for the handler threads
    api: Any  # the fake it serves (a LocalServer)

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client hung up: fine
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive like the real APIs, connections known to the fake, no logging."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed ACKs
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.api._connected(self.connection, is_open=True)

    def finish(self) -> None:
        self.server.api._connected(self.connection, is_open=False)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet
