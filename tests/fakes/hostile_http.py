"""A hostile HTTP server on 127.0.0.1: answers a download as an attacker or a broken proxy might.

Each path (and any path below it, for a client that adds its own) is one kind of hostility,
generated as it is sent (nothing big is held in memory):

- ``/gzip-bomb``: ``200`` with ``Content-Encoding: gzip``, a few MB on the wire that inflate
  to ``bomb_mb`` megabytes of CSV-looking zeros;
- ``/file-bomb.csv.gz``: the same bytes as a plain gzip file (no ``Content-Encoding``);
- ``/endless``: a chunked body that never ends;
- ``/slow-headers``: the status line, then one header byte every ``drip`` seconds, for ever;
- ``/slow-body``: headers promising a large body, then one byte every ``drip`` seconds;
- ``/bad-redirect``: ``302`` to a host no resolver takes (an empty label: ``a..b``).

Every loop stops when the client hangs up or the server closes (``close()`` hangs up on open
connections and waits for its handler threads), so a test is bounded in time whatever the
client does::

    with HostileHttp(bomb_mb=64) as server:
        fetch_url(server.url("/gzip-bomb"), policy)  # refused at PATCHBOT_MAX_SOURCE_MB
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from tests.fakes.local_server import LocalServer, QuietHandler, RecordedRequest

PIECE = 1024 * 1024
# PHE's whole header: a reader that checks the header first reads on, to the size limit
CSV_HEADER = (
    b"regionCode,regionName,UtlaCode,UtlaName,LtlaCode,LtlaName,areaType,areaCode,areaName,date,"
    b"newCasesBySpecimenDateRollingSum,newCasesBySpecimenDateRollingRate,"
    b"newCasesBySpecimenDateChange,newCasesBySpecimenDateChangePercentage\n"
)


def gzip_bomb(megabytes: int) -> Iterator[bytes]:
    """A gzip stream inflating to ``megabytes`` MB (a CSV header, then rows of zeros: rows, so
    that a reader streaming the CSV meets the size limit, not a line too long to parse)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    yield squeezer.compress(CSV_HEADER)
    row = b"0,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
    zeros = row * (PIECE // len(row))
    for _ in range(megabytes):
        piece = squeezer.compress(zeros)
        if piece:
            yield piece
    yield squeezer.flush()


class HostileHttp(LocalServer[None]):
    def __init__(self, bomb_mb: int = 64, drip: float = 0.2) -> None:
        self.bomb = b"".join(gzip_bomb(bomb_mb))  # about 1 kB per MB inflated
        self.drip = drip
        super().__init__(_Handler)

    def url(self, path: str) -> str:
        return self.root_url + path

    def _fault_applies(self, fault: None, request: RecordedRequest) -> bool:
        return False


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        api: HostileHttp = self.server.api
        api._record(RecordedRequest("GET", self.path, {}, dict(self.headers.items())))
        self.close_connection = True
        if self.path.startswith("/slow-headers"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(b"X-Slow: " + b"a" * 10_000_000)
            return
        if self.path.startswith("/slow-body"):
            self._headers({"Content-Type": "text/csv", "Content-Length": "100000000"})
            self._drip(CSV_HEADER * 1_000_000)
            return
        if self.path.startswith("/bad-redirect"):
            self.send_response(302)
            self.send_header("Location", "http://a..b/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/endless"):
            self._headers({"Content-Type": "text/csv", "Transfer-Encoding": "chunked"})
            self._endless()
            return
        encoding = {"Content-Encoding": "gzip"} if self.path.startswith("/gzip-bomb") else {}
        kind = "text/csv" if encoding else "application/gzip"
        self._headers({"Content-Type": kind, "Content-Length": str(len(api.bomb))} | encoding)
        self.wfile.write(api.bomb)

    def _headers(self, headers: dict[str, str]) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()

    def _drip(self, data: bytes) -> None:
        api: HostileHttp = self.server.api
        for byte in data:
            if api._closing.wait(api.drip):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client hung up
                return

    def _endless(self) -> None:
        api: HostileHttp = self.server.api
        chunk = CSV_HEADER * (PIECE // len(CSV_HEADER))
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not api._closing.is_set():
            try:
                self.wfile.write(framed)
            except OSError:
                return
