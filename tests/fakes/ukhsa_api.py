"""A fake UKHSA data dashboard API: a real HTTP server on 127.0.0.1 speaking the real protocol.

It ingests real UKHSA files (the dashboard's own ingestion format, ``tests/data/ukhsa/``) as the
real API does (``scripts/build_ukhsa_sample.api_rows``) and serves them as the API's routes do,
also under ``/v2``: ``/themes/``, ``/themes/{theme}/sub_themes/``, ``.../topics``,
``.../geography_types``, ``.../geographies``, ``.../metrics`` (each ``[{"name", "link"}]``) and
``.../metrics/{metric}``, the time series: ``{"count", "next", "previous", "results"}``, oldest
first, ``page_size`` 5 by default and at most 365, ``page=N``, exact-match filters. Names in the
path are URL-encoded. Without ``format=json`` or ``Accept: application/json`` the answer is the
HTML "browsable API" page, status 200, as on the real API.

Faults are scripted per request, like the fake PHE API: ``api.fail_next("403", times=4)``; a
refresh that revises a figure is ``api.revise("Darlington", "2023-10-30", 3)``; a recent
figure still in the reporting delay is ``api.mark_provisional("Darlington", "2023-10-30")``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from scripts.build_ukhsa_sample import api_rows
from tests.fakes.local_server import LocalServer, QuietHandler, RecordedRequest

FaultKind = Literal["403", "429", "500", "slow", "truncated", "cut-json", "html", "drop"]
DATA = Path(__file__).resolve().parent.parent / "data" / "ukhsa"
LEVELS = ("themes", "sub_themes", "topics", "geography_types", "geographies", "metrics")
KEYS = ("theme", "sub_theme", "topic", "geography_type", "geography", "metric")
FILTERS = ("stratum", "sex", "age", "year", "epiweek", "date", "in_reporting_delay_period")
DEATHS = "COVID-19_deaths_ONSByWeek"
DEFAULT_PAGE_SIZE = 5
MAX_PAGE_SIZE = 365
BROWSABLE_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>UKHSA Data Dashboard API</title></head>\n"
    b'<body><div class="response-info"><pre>HTTP 200 OK\nAllow: GET, HEAD, OPTIONS\n'
    b"Content-Type: application/json</pre></div></body></html>\n"
)
FIREWALL_PAGE = (
    b"<html><head><title>403 Forbidden</title></head><body>Request blocked.</body></html>\n"
)


@dataclass(frozen=True)
class _Fault:
    kind: FaultKind
    retry_after: str
    delay: float
    path_part: str


class FakeUkhsaApi(LocalServer["_Fault"]):
    """The fake API, serving from the moment it is created until ``close()`` (or the ``with``)."""

    def __init__(self, files: Iterable[Path] | None = None) -> None:
        """Serving ``files`` (default: every file in tests/data/ukhsa)."""
        self._rows: list[dict[str, Any]] = []
        self._series: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        super().__init__(_Handler)
        self.base_url = self.root_url
        self.ingest(sorted(DATA.glob("*.json")) if files is None else files)

    # -- what the test scripts

    def ingest(self, files: Iterable[Path]) -> None:
        """Load real UKHSA files (replacing any series of the same geography and metric)."""
        self.ingest_rows([row for path in files for row in api_rows(json.loads(path.read_text()))])

    def ingest_rows(self, rows: list[dict[str, Any]]) -> None:
        """Serve rows already in the API's shape (e.g. the bundled sample's)."""
        fresh = {(row["geography"], row["metric"]) for row in rows}
        with self._lock:
            kept = [r for r in self._rows if (r["geography"], r["metric"]) not in fresh]
            self._rows = kept + rows
            self._series = {}
            for row in self._rows:  # each series by its path, for the leaf of the tree
                self._series.setdefault(tuple(row[key] for key in KEYS), []).append(row)

    def revise(self, geography: str, date: str, value: float, provisional: bool = False) -> None:
        """A refresh: the figure of ``geography`` for the week beginning ``date`` changes."""
        self._update(
            geography, date, metric_value=float(value), in_reporting_delay_period=provisional
        )

    def mark_provisional(self, geography: str, date: str) -> None:
        """The figure is flagged as still in its reporting delay (subject to change)."""
        self._update(geography, date, in_reporting_delay_period=True)

    def _update(self, geography: str, date: str, **fields: Any) -> None:
        with self._lock:
            found = [r for r in self._rows if r["geography"] == geography and r["date"] == date]
            assert found, f"no row for {geography} on {date}"
            for row in found:
                row.update(fields)

    def rows(
        self, geography: str, metric: str = "COVID-19_deaths_ONSByWeek"
    ) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(r) for r in self._rows if r["geography"] == geography and r["metric"] == metric
            ]

    def fail_next(
        self, kind: FaultKind, times: int = 1, *, on: str = "/", retry_after: int | str = 1,
        delay: float = 1.0,
    ) -> None:  # fmt: skip
        """Make the next ``times`` requests whose path contains ``on`` fail with ``kind``.

        "403" is the firewall's HTML refusal; "429" carries ``Retry-After``; "slow" answers
        normally after ``delay`` seconds; "truncated" promises more bytes than it sends, then
        hangs up; "cut-json" sends half a JSON body with a matching length; "html" is the
        browsable page; "drop" hangs up without answering.
        """
        with self._lock:
            self._faults.extend([_Fault(kind, str(retry_after), delay, on)] * times)

    def series_requests(self) -> list[RecordedRequest]:
        """The requests for a time series (a path ending in ``/metrics/{metric}``)."""
        return [r for r in self.requests if "/metrics/" in r.path]

    def _fault_applies(self, fault: _Fault, request: RecordedRequest) -> bool:
        return fault.path_part in request.path

    # -- called from the handler threads

    def _answer(self, path: str, query: dict[str, list[str]], root: str) -> tuple[int, Any]:
        """(status, JSON) for a route; 404 for anything else, as the API."""
        names = [unquote(part) for part in path.removeprefix("/v2").split("/")[1:]]
        slash = names[-1:] == [""]  # only the themes and sub-themes lists end in one
        names = names[:-1] if slash else names
        levels, chosen = names[0::2], names[1::2]
        is_list = len(names) % 2 == 1
        if (
            levels != list(LEVELS[: len(levels)])
            or len(chosen) > len(KEYS)
            or slash != (is_list and levels[-1] in ("themes", "sub_themes"))
        ):
            return 404, {"detail": "Not found."}
        with self._lock:
            if len(chosen) == len(KEYS):
                rows = list(self._series.get(tuple(chosen), []))
            else:
                wanted = dict(zip(KEYS, chosen, strict=False))  # the levels named so far
                rows = [r for r in self._rows if all(r[k] == v for k, v in wanted.items())]
        if not rows:
            return 404, {"detail": "Not found."}
        if len(chosen) == len(KEYS):
            return self._page(rows, query, root + path)
        if is_list:  # the names of the next key down
            key = KEYS[len(chosen)]
            listed = sorted({str(r[key]) for r in rows})
            link = root + path.rstrip("/")
            return 200, [{"name": name, "link": f"{link}/{quote(name)}"} for name in listed]
        return 200, {"name": chosen[-1]}  # a detail level

    @staticmethod
    def _page(rows: list[dict[str, Any]], query: dict[str, list[str]], url: str) -> tuple[int, Any]:
        for name in FILTERS:
            if name in query:
                wanted = query[name][0]
                rows = [r for r in rows if str(r[name]).lower() == wanted.lower()]
        rows = sorted(rows, key=lambda r: str(r["date"]))
        try:
            size = min(int(query.get("page_size", [DEFAULT_PAGE_SIZE])[0]), MAX_PAGE_SIZE)
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            return 404, {"detail": "Invalid page."}
        pages = max(1, -(-len(rows) // size))
        if not 1 <= page <= pages:
            return 404, {"detail": "Invalid page."}

        def link(number: int) -> str | None:
            if not 1 <= number <= pages:
                return None
            rest = {k: v[0] for k, v in query.items() if k != "page"}
            return f"{url}?{urlencode({**rest, **({'page': number} if number > 1 else {})})}"

        return 200, {
            "count": len(rows),
            "next": link(page + 1),
            "previous": link(page - 1) if page > 1 else None,
            "results": rows[(page - 1) * size : page * size],
        }


class _Handler(QuietHandler):
    @property
    def api(self) -> FakeUkhsaApi:
        api: FakeUkhsaApi = self.server.api
        return api

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        recorded = RecordedRequest("GET", url.path, query, dict(self.headers.items()))
        fault = self.api._record(recorded)
        if fault is not None and self._fault(fault):
            return
        wants_json = query.get("format") == ["json"] or "application/json" in self.headers.get(
            "Accept", ""
        )
        if not wants_json:
            self._send(200, "text/html; charset=utf-8", BROWSABLE_PAGE)
            return
        status, body = self.api._answer(url.path, query, f"http://{self.headers['Host']}")
        self._send(status, "application/json", json.dumps(body).encode())

    def _fault(self, fault: _Fault) -> bool:
        """Act out a fault; False when the request is then answered normally (slow)."""
        if fault.kind == "slow":
            return self.api._closing.wait(fault.delay)  # answered late, unless closing
        if fault.kind == "drop":
            self.close_connection = True
        elif fault.kind == "truncated":
            self._send(200, "application/json", b'{"count": 53, "next": null, "res', length=100_000)
            self.close_connection = True
        elif fault.kind == "cut-json":
            self._send(200, "application/json", b'{"count": 53, "next": null, "results": [{"th')
        elif fault.kind == "403":
            self._send(403, "text/html", FIREWALL_PAGE)
        elif fault.kind == "429":
            body = b'{"detail": "Request was throttled."}'
            self._send(429, "application/json", body, {"Retry-After": fault.retry_after})
        elif fault.kind == "500":
            self._send(500, "text/html", b"<h1>Server Error (500)</h1>")
        else:  # "html": a browsable page where JSON was asked for (a proxy, a login page)
            self._send(200, "text/html; charset=utf-8", BROWSABLE_PAGE)
        return True

    def _send(
        self, status: int, kind: str, body: bytes, headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
