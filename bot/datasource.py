"""Fetch PHE's MSOA case CSV: from the bundled sample, a local file, or over HTTP.

Returns raw bytes plus what the source says about its release; parsing and validation happen in
``bot.validate``. The HTTP client follows redirects (the API answered 303 to a cached file),
treats 204 as "no data", honours 429 + Retry-After, and retries timeouts, dropped connections and
server errors a bounded number of times before stopping with a clear error.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import requests

from bot import __version__
from bot.backoff import Backoff
from bot.errors import PatchbotError

log = logging.getLogger(__name__)

BUNDLED = "bundled"
PHE_API = "phe-api"
PHE_API_URL = "https://api.coronavirus.data.gov.uk/v2/data"
PHE_METRICS = (
    "newCasesBySpecimenDateRollingSum",
    "newCasesBySpecimenDateRollingRate",
    "newCasesBySpecimenDateChange",
    "newCasesBySpecimenDateChangePercentage",
)
UK = ZoneInfo("Europe/London")
_RELEASE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class NoDataError(PatchbotError):
    """The source answered, but has no data (PHE's API said 204 No Content)."""


@dataclass(frozen=True)
class RawData:
    content: bytes
    origin: str  # where it came from, for messages: a path, a URL, "bundled sample"
    release: dt.date | None  # the publication date, where the source gives one


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0  # seconds before the first retry, doubling each time
    max_wait: float = 300.0  # the longest Retry-After Patchbot will sit out


def release_from_name(name: str) -> dt.date | None:
    """PHE named its files ``msoa_<release>.csv``; so does the bundled sample."""
    match = _RELEASE_IN_NAME.search(name)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def bundled_sample() -> RawData:
    folder = resources.files("bot") / "data" / "sample"
    sample = next(item for item in folder.iterdir() if item.name.endswith(".csv.gz"))
    return RawData(sample.read_bytes(), "bundled sample", release_from_name(sample.name))


def read_file(path: Path) -> RawData:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise PatchbotError(f"source: file not found: {path}") from None
    except OSError as error:
        raise PatchbotError(f"source: cannot read {path}: {error.strerror}") from None
    return RawData(content, str(path), release_from_name(path.name))


def phe_api_urls(area_codes: Sequence[str], base_url: str = PHE_API_URL) -> list[str]:
    """One request per area code: the API took a single areaCode per call."""
    urls = []
    for code in area_codes:
        query = [("areaType", "msoa"), ("areaCode", code)]
        query += [("metric", metric) for metric in PHE_METRICS]
        query.append(("format", "csv"))
        urls.append(f"{base_url}?{urlencode(query)}")
    return urls


def _release_from_response(response: requests.Response) -> dt.date | None:
    disposition = response.headers.get("Content-Disposition", "")
    release = release_from_name(disposition)
    if release is not None:
        return release
    modified = response.headers.get("Last-Modified")
    if modified:
        try:
            return email.utils.parsedate_to_datetime(modified).astimezone(UK).date()
        except (TypeError, ValueError):
            log.warning("ignoring unreadable Last-Modified header %r", modified)
    return None


def _retry_after(response: requests.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:  # "-0000" or no zone at all: read as UTC, don't crash comparing
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def fetch_url(
    url: str,
    policy: HttpPolicy,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RawData:
    """GET one CSV, retrying what is worth retrying; every failure ends in a PatchbotError."""
    session = session or requests.Session()
    headers = {"User-Agent": f"patchbot/{__version__}", "Accept": "text/csv"}
    attempts = policy.retries + 1
    problem = ""
    for attempt in range(1, attempts + 1):
        wait = Backoff(policy.backoff).wait(attempt)
        try:
            response = session.get(url, headers=headers, timeout=policy.timeout)
            content = response.content  # reads the body: a cut-off body raises here
        except requests.Timeout:
            problem = f"no answer within {policy.timeout:g} seconds"
        except requests.exceptions.ChunkedEncodingError:
            problem = "the connection dropped mid-download (truncated body)"
        except requests.ConnectionError as error:
            problem = f"cannot connect ({type(error).__name__})"
        except requests.TooManyRedirects:
            raise PatchbotError(f"source: {url} redirects in a loop") from None
        except requests.RequestException as error:  # a malformed URL, an unusable answer
            raise PatchbotError(f"source: cannot fetch {url}: {type(error).__name__}") from None
        else:
            status = response.status_code
            if status == 204:
                raise NoDataError(f"source: {url} answered 204 No Content: no data yet")
            if status == 200:
                return RawData(content, url, _release_from_response(response))
            problem = f"HTTP {status} {response.reason}"
            if status == 429:
                wait = _retry_after(response, wait)
                if wait > policy.max_wait:
                    raise PatchbotError(
                        f"source: {url} is rate-limited (429) and asks to wait {wait:.0f} s, "
                        f"more than PATCHBOT_HTTP_MAX_WAIT={policy.max_wait:g}"
                    )
            elif status < 500:
                raise PatchbotError(f"source: {url} answered {problem}")
        if attempt < attempts:
            log.warning(
                "fetch attempt=%d/%d url=%s problem=%r retry_in=%.1fs",
                attempt, attempts, url, problem, wait,
            )  # fmt: skip
            sleep(wait)
    raise PatchbotError(f"source: {url} failed after {attempts} attempts: {problem}")


def _join_csvs(parts: list[RawData], origin: str) -> RawData:
    """Several API answers (one per area code) as one CSV with a single header."""
    content = parts[0].content.rstrip(b"\r\n")
    for part in parts[1:]:
        _header, _, body = part.content.partition(b"\n")
        if body.strip():
            content += b"\n" + body.rstrip(b"\r\n")
    releases = [part.release for part in parts if part.release is not None]
    return RawData(content + b"\n", origin, max(releases) if releases else None)


def fetch(
    source: str | None,
    api_area_codes: Callable[[], Sequence[str]],
    policy: HttpPolicy,
    api_base_url: str = PHE_API_URL,
) -> RawData:
    """Fetch from ``source``: None or "bundled", "phe-api", an http(s) URL, or a file path.

    ``api_area_codes`` is only called for "phe-api", to build the URLs from the patch.
    """
    if source is None or source == BUNDLED:
        return bundled_sample()
    if source == PHE_API:
        urls = phe_api_urls(api_area_codes(), api_base_url)
        session = requests.Session()
        parts = [fetch_url(url, policy, session) for url in urls]
        return _join_csvs(parts, f"PHE API ({api_base_url})")
    if source.startswith(("http://", "https://")):
        return fetch_url(source, policy)
    return read_file(Path(source).expanduser())
