"""A fake Slack Socket Mode endpoint: the WebSocket (RFC 6455) that apps.connections.open hands
out, on 127.0.0.1, speaking to slack_sdk's own Socket Mode client unchanged.

As on Slack, it greets each connection with ``hello``, answers pings with pongs, delivers
envelopes (``{"envelope_id", "type": "interactive", "payload", ...}``) and records the acks
the app sends back (``{"envelope_id": ...}``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from typing import Any, Self

JSON = dict[str, Any]
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._serial = itertools.count(1)
        self.acks: list[str] = []
        self.connections = 0  # handshakes completed
        self._closing = threading.Event()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake-ticket"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        for thread in [self._accepting, *self._threads]:
            thread.join(5)

    def wait_connected(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._open:
                    return
            time.sleep(0.02)
        raise AssertionError("no Socket Mode client connected")

    def deliver(self, payload: JSON, kind: str = "interactive") -> str:
        """Send an envelope to the newest connection; its envelope_id."""
        self.wait_connected()
        envelope_id = f"envelope-{next(self._serial)}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind == "interactive"}  # fmt: skip
        with self._lock:
            _send(self._open[-1], TEXT, json.dumps(envelope).encode())
        return envelope_id

    def acked(self, envelope_id: str) -> bool:
        with self._lock:
            return envelope_id in self.acks

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            if not _handshake(connection):
                return
            with self._lock:
                self._open.append(connection)
                self.connections += 1
                hello = {"type": "hello", "num_connections": 1,
                         "connection_info": {"app_id": "A0PATCHBOT"}}  # fmt: skip
                _send(connection, TEXT, json.dumps(hello).encode())
            while not self._closing.is_set():
                opcode, data = _receive(connection)
                if opcode == CLOSE:
                    with self._lock:
                        _send(connection, CLOSE, data[:2])
                    return
                if opcode == PING:
                    with self._lock:
                        _send(connection, PONG, data)
                elif opcode == TEXT:
                    message = json.loads(data)
                    with self._lock:
                        self.acks.append(str(message.get("envelope_id")))
        except (OSError, ConnectionError, ValueError):
            return
        finally:
            with self._lock:
                if connection in self._open:
                    self._open.remove(connection)
            connection.close()


def _handshake(connection: socket.socket) -> bool:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = connection.recv(4096)
        if not chunk:
            return False
        request += chunk
    headers = {}
    for line in request.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    key = headers.get("sec-websocket-key", "")
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    connection.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )
    return True


def _exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _receive(connection: socket.socket) -> tuple[int, bytes]:
    """One frame from the client (clients mask every frame)."""
    first, second = _exactly(connection, 2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _exactly(connection, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _exactly(connection, 8))
    mask = _exactly(connection, 4) if second & 0x80 else b"\0\0\0\0"
    payload = _exactly(connection, length)
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _send(connection: socket.socket, opcode: int, payload: bytes) -> None:
    """One unmasked frame, as a server sends them."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    connection.sendall(header + payload)
