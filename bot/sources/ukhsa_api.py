"""A client for the UKHSA data dashboard API (``api.ukhsa-dashboard.data.gov.uk``).

The API is a tree of lists, each level naming the next (themes, sub-themes, topics, geography
types, geographies, metrics), with a metric's time series at the leaf. Names, not codes, go in
the path, URL-encoded. Every answer is asked for as JSON (``Accept`` and ``format=json``): without
that the API answers 200 with its HTML "browsable API" page, which is refused here in one line,
as is any body that is not the JSON expected. A time series comes in pages, oldest first; every
page is followed (on the API's own host only, and a bounded number of them).

Timeouts, dropped or cut-off answers, 5xx, 429 and the firewall's 403 (it blocks an address
after about 2,000 requests in five minutes) are retried a bounded number of times with the
backoff every retry in Patchbot uses, then end in one ``PatchbotError``. Requests are paced so
that one process never sends more than ``REQUESTS_PER_WINDOW`` in five minutes.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from urllib3.exceptions import LocationValueError

from bot import __version__
from bot.backoff import Backoff
from bot.errors import PatchbotError
from bot.sources import HttpPolicy
from bot.sources.downloads import Watchdog, bounded_session, stalled

log = logging.getLogger(__name__)

PAGE_SIZE = 365  # the API's largest page: a weekly series for a year is one page
MAX_PAGES = 40  # a series longer than this many pages is not what Patchbot asked for
MAX_ANSWER_BYTES = 8 * 1024 * 1024  # a page of 365 rows is about 170 kB
REQUESTS_PER_WINDOW = 1000  # the firewall blocks at about 2,000 per address in five minutes
WINDOW_SECONDS = 300.0
FIREWALL = (
    "403 Forbidden: the API's firewall blocks an address after about 2,000 requests in five minutes"
)


class Pacer:
    """At most ``limit`` requests in any ``window`` seconds: waits (``sleep``) before one more."""

    def __init__(
        self,
        limit: int = REQUESTS_PER_WINDOW,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            if len(self._sent) >= self.limit:
                pause = self._sent[0] + self.window - now
                log.warning("ukhsa pacing: %d requests in %.0f s, waiting %.1f s",
                            len(self._sent), self.window, pause)  # fmt: skip
                self.sleep(pause)
                self._sent.popleft()
                now = self.clock()
            self._sent.append(now)


PACER = Pacer()  # one per process: the firewall counts every request from this machine


@dataclass(frozen=True)
class Route:
    """Where a topic's data is: the path of names down to a geography type."""

    theme: str
    sub_theme: str
    topic: str
    geography_type: str

    def names(self) -> tuple[str, ...]:
        return ("themes", self.theme, "sub_themes", self.sub_theme, "topics", self.topic,
                "geography_types", self.geography_type)  # fmt: skip


class UkhsaClient:
    """GETs to one API (``base_url``), each retried as ``policy`` says, answers parsed as JSON."""

    def __init__(
        self,
        base_url: str,
        policy: HttpPolicy,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer = PACER,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.session = session or bounded_session()
        self.sleep = sleep
        self.pacer = pacer
        self.requests_sent = 0

    def url(self, *names: str) -> str:
        """The URL of a level of the tree: each name URL-encoded as one path segment."""
        return "/".join([self.base_url, *(quote(name, safe="") for name in names)])

    def names(self, *path: str) -> list[str]:
        """A list level: the names it lists."""
        url = self.url(*path)
        answer = self.get_json(url, {"format": "json"})
        items = answer if isinstance(answer, list) else None
        if items is None or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) for item in items
        ):
            raise PatchbotError(
                f"UKHSA API: {url} did not answer a list of names ({_shape(answer)})"
            )
        return [item["name"] for item in items]

    def series(self, url: str, filters: Mapping[str, str | int]) -> list[dict[str, Any]]:
        """Every row of a time series, following its pages (oldest first)."""
        query: dict[str, str | int] = {"format": "json", "page_size": PAGE_SIZE, **filters}
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        page_url: str | None = url
        while page_url is not None:
            if len(seen) >= MAX_PAGES or page_url in seen:
                raise PatchbotError(f"UKHSA API: {url} keeps paging (more than {len(seen)} pages)")
            seen.add(page_url)
            page = self.get_json(page_url, query if page_url == url else None)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise PatchbotError(
                    f"UKHSA API: {page_url} is not a page of a time series ({_shape(page)})"
                )
            rows += page["results"]
            page_url = self._next(url, page.get("next"))
        return rows

    def _next(self, first: str, link: object) -> str | None:
        """The next page's URL, on the API's own host only."""
        if link is None:
            return None
        if not isinstance(link, str) or urlsplit(link)[:2] != urlsplit(self.base_url)[:2]:
            raise PatchbotError(f"UKHSA API: {first}: the next page is not on the API: {link!r}")
        return link

    def get_json(self, url: str, params: Mapping[str, str | int] | None = None) -> Any:
        """One GET answered with JSON, retried with backoff on what may pass."""
        attempts = self.policy.retries + 1
        backoff = Backoff(self.policy.backoff, cap=self.policy.max_wait)
        problem = ""
        for attempt in range(1, attempts + 1):
            wait = backoff.wait(attempt)
            answer, problem, wait = self._attempt(url, params, wait)
            if answer is not None:
                return answer.parsed(url)
            if attempt < attempts:
                log.warning("ukhsa attempt=%d/%d url=%s problem=%r retry_in=%.1fs",
                            attempt, attempts, url, problem, wait)  # fmt: skip
                self.sleep(wait)
        raise PatchbotError(f"UKHSA API: {url} failed after {attempts} attempts: {problem}")

    def _attempt(
        self, url: str, params: Mapping[str, str | int] | None, wait: float
    ) -> tuple[_Answer | None, str, float]:
        """(the answer, or None with what went wrong and how long to wait before retrying)."""
        self.pacer.wait_turn()
        self.requests_sent += 1
        headers = {"User-Agent": f"patchbot/{__version__}", "Accept": "application/json"}
        try:
            with Watchdog(self.policy.deadline) as watchdog:
                try:
                    response = self.session.get(
                        url, params=params, headers=headers, timeout=self.policy.timeout,
                        stream=True,
                    )  # fmt: skip
                    with response:
                        body = _read_bounded(response, url)
                finally:
                    if watchdog.expired:  # it hung up: what came is not the whole answer
                        raise stalled(f"UKHSA API: {url}", self.policy.deadline) from None
        except requests.Timeout:
            return None, f"no answer within {self.policy.timeout:g} seconds", wait
        except requests.exceptions.ChunkedEncodingError:
            return None, "the connection dropped mid-answer (truncated body)", wait
        except requests.ConnectionError as error:
            return None, f"cannot connect ({type(error).__name__})", wait
        # a malformed URL or host (a redirect's too: urllib3 finds some only when connecting)
        except (requests.RequestException, LocationValueError) as error:
            raise PatchbotError(f"UKHSA API: cannot fetch {url}: {type(error).__name__}") from None
        status = response.status_code
        if status == 200:
            return _Answer(body, response.headers.get("Content-Type", "")), "", wait
        if status == 403:
            return None, FIREWALL, wait
        if status == 429:
            return None, "HTTP 429 Too Many Requests", self._retry_after(url, response, wait)
        if status < 500:
            raise PatchbotError(f"UKHSA API: {url} answered HTTP {status} {response.reason}")
        return None, f"HTTP {status} {response.reason}", wait

    def _retry_after(self, url: str, response: requests.Response, wait: float) -> float:
        value = response.headers.get("Retry-After", "").strip()
        asked = float(value) if value.isdigit() else wait
        if asked > self.policy.max_wait:
            raise PatchbotError(
                f"UKHSA API: {url} is rate-limited (429) and asks to wait {asked:.0f} s, more "
                f"than PATCHBOT_HTTP_MAX_WAIT={self.policy.max_wait:g}"
            )
        return asked


def _read_bounded(response: requests.Response, url: str) -> bytes:
    """The body, refusing one larger than ``MAX_ANSWER_BYTES`` (a truncated one raises)."""
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise PatchbotError(
                f"UKHSA API: {url} answered more than {MAX_ANSWER_BYTES // 1024 // 1024} MB: "
                "not a page Patchbot asked for"
            )
    return bytes(body)


@dataclass(frozen=True)
class _Answer:
    body: bytes
    content_type: str

    def parsed(self, url: str) -> Any:
        """The body as JSON; an HTML page or anything else is one clear error."""
        kind = self.content_type.split(";")[0].strip().lower()
        if kind == "text/html" or self.body.lstrip()[:1] == b"<":
            raise PatchbotError(
                f"UKHSA API: {url} answered an HTML page, not JSON: is PATCHBOT_UKHSA_API_URL "
                "the API (https://api.ukhsa-dashboard.data.gov.uk), not the dashboard's website?"
            )
        try:
            return json.loads(self.body)
        except ValueError:  # also a body that is not UTF-8
            raise PatchbotError(
                f"UKHSA API: {url} did not answer JSON ({len(self.body):,} bytes of "
                f"{kind or 'no stated type'})"
            ) from None


def _shape(answer: object) -> str:
    if isinstance(answer, dict):
        return "an object with " + (", ".join(sorted(map(str, answer))[:6]) or "no keys")
    return f"a {type(answer).__name__}"
