"""A fake PHE coronavirus API v2: a real HTTP server on 127.0.0.1 that speaks the real protocol.

``GET /v2/data?areaType=msoa&areaCode=...&format=csv`` answers ``303 See Other`` to a cached
download, ``/downloads/msoa_<release>.csv?<same query>``, which answers ``200 text/csv`` with
``Last-Modified`` (16:00 UK on the release day) and ``Content-Disposition: attachment;
filename="msoa_<release>.csv"``. Rows are filtered by ``areaCode`` (a region, UTLA or LTLA code)
as the real API did; with nothing published, or no matching rows, the API answers ``204``.

Faults are scripted per request: ``api.fail_next("429", times=2)`` makes the next two requests
fail (or the next two downloads, with ``on="download"``), after which it answers normally::

    with FakePheApi() as api:
        api.publish(csv_text, release="2020-11-30")
        api.fail_next("429", retry_after=1)
        fetch_url(api.base_url + "?areaCode=E06000005", policy)
        assert len(api.requests) == 3  # 429, then 303 + download

All public methods are thread-safe: ``publish`` may be called while a client is fetching.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.fakes.local_server import LocalServer, QuietHandler, RecordedRequest

FaultKind = Literal["429", "500", "204", "truncated", "html", "slow", "drop"]
FaultTarget = Literal["any", "api", "download"]

API_PATH = "/v2/data"
DOWNLOADS = "/downloads/"
AREA_COLUMNS = ("regionCode", "UtlaCode", "LtlaCode")
UK = ZoneInfo("Europe/London")
CSV_HEADER = (
    b"regionCode,regionName,UtlaCode,UtlaName,LtlaCode,LtlaName,areaType,areaCode,areaName,date,"
    b"newCasesBySpecimenDateRollingSum,newCasesBySpecimenDateRollingRate,"
    b"newCasesBySpecimenDateChange,newCasesBySpecimenDateChangePercentage\n"
)
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
    b"<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>\n"
)


@dataclass(frozen=True)
class _Release:
    content: str
    last_modified: str
    content_disposition: bool


@dataclass(frozen=True)
class _Fault:
    kind: FaultKind
    retry_after: str
    delay: float
    path_prefix: str


class FakePheApi(LocalServer["_Fault"]):
    """The fake API, serving from the moment it is created until ``close()`` (or the ``with``)."""

    def __init__(self) -> None:
        self._releases: dict[str, _Release] = {}
        self._latest: str | None = None
        super().__init__(_Handler)
        self.base_url = self.root_url + API_PATH

    def publish(
        self, data: bytes | str, release: str | dt.date = "2020-11-30", *,
        content_disposition: bool = True,
    ) -> None:  # fmt: skip
        """Make ``data`` (a PHE MSOA CSV) the latest release; older ones stay downloadable and
        can be asked for with ``release=YYYY-MM-DD``, as on the real API. Without
        ``content_disposition`` the download only carries ``Last-Modified``.
        """
        day = dt.date.fromisoformat(str(release))
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        modified = dt.datetime.combine(day, dt.time(16), tzinfo=UK).astimezone(dt.UTC)
        stored = _Release(text, email.utils.format_datetime(modified, usegmt=True),
                          content_disposition)  # fmt: skip
        with self._lock:
            self._releases[day.isoformat()] = stored
            self._latest = day.isoformat()

    def fail_next(
        self, kind: FaultKind, times: int = 1, *, on: FaultTarget = "any",
        retry_after: int | str = 1, delay: float = 1.0,
    ) -> None:  # fmt: skip
        """Make the next ``times`` requests fail with ``kind`` (queued after earlier faults).

        ``on`` limits the fault to API calls or to downloads (the requests after a 303).
        ``retry_after`` is the 429's Retry-After header; ``delay`` how long "slow" waits before
        answering normally. "truncated" promises more bytes than it sends, then hangs up;
        "drop" hangs up without answering; "html" is a 200 text/html error page.
        """
        prefix = {"any": "/", "api": API_PATH, "download": DOWNLOADS}[on]
        fault = _Fault(kind, str(retry_after), delay, prefix)
        with self._lock:
            self._faults.extend([fault] * times)

    def _fault_applies(self, fault: _Fault, request: RecordedRequest) -> bool:
        return request.path.startswith(fault.path_prefix)

    # -- called from the handler threads

    def _answer(self, path: str, query: dict[str, list[str]], raw_query: str) -> _Answer:
        """The fault-free answer to a GET."""
        with self._lock:
            latest, releases = self._latest, dict(self._releases)
        if path == API_PATH:
            release = query.get("release", [latest])[0]
            if release not in releases or _rows(releases[release].content, query) is None:
                return _Answer(204)
            location = f"{DOWNLOADS}msoa_{release}.csv?{raw_query}"
            return _Answer(303, {"Location": location})
        name = path.removeprefix(DOWNLOADS)
        stored = releases.get(name.removeprefix("msoa_").removesuffix(".csv"))
        if not path.startswith(DOWNLOADS) or stored is None:
            return _Answer(404, {"Content-Type": "application/json"}, b'{"response": "Not found"}')
        headers = {"Content-Type": "text/csv; charset=utf-8", "Last-Modified": stored.last_modified}
        if stored.content_disposition:
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return _Answer(200, headers, (_rows(stored.content, query) or "").encode("utf-8"))


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: dict[str, str] | None = None
    body: bytes = b""


def _rows(content: str, query: dict[str, list[str]]) -> str | None:
    """The header plus the rows for the query's areaCode (all rows without one); None if none."""
    lines = content.splitlines(keepends=True)
    if not lines:
        return None
    header = next(csv.reader(lines[:1]))
    columns = [header.index(name) for name in AREA_COLUMNS if name in header]
    codes = set(query.get("areaCode", []))
    rows = [
        line for line in lines[1:]
        if line.strip() and (not codes or codes & {next(csv.reader([line]))[i] for i in columns})
    ]  # fmt: skip
    return "".join(lines[:1] + rows) if rows else None


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        api: FakePheApi = self.server.api
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        fault = api._record(RecordedRequest("GET", url.path, query, dict(self.headers.items())))
        if fault is None or (fault.kind == "slow" and not api._closing.wait(fault.delay)):
            answer = api._answer(url.path, query, url.query)
            self._send(answer.status, answer.headers, answer.body)
        elif fault.kind in ("drop", "slow"):  # a slow answer is dropped if the server closes
            self.close_connection = True
        elif fault.kind == "truncated":
            self._send(200, {"Content-Type": "text/csv", "Content-Length": "100000"}, CSV_HEADER)
            self.close_connection = True
        elif fault.kind == "429":
            headers = {"Content-Type": "application/json", "Retry-After": fault.retry_after}
            self._send(429, headers, b'{"response": "Too many requests"}')
        elif fault.kind == "500":
            self._send(500, {"Content-Type": "application/json"}, b'{"response": "Server error"}')
        elif fault.kind == "204":
            self._send(204)
        else:  # "html"
            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, HTML_ERROR_PAGE)

    def _send(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.send_response(status)
        headers = {"Content-Length": str(len(body))} | (headers or {})
        if status == 204:
            del headers["Content-Length"]
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
