"""Getting a source's bytes: a local file, or an HTTP GET that is retried with care, both
bounded in size and time (``bot.sources.downloads``).

The HTTP client follows redirects (PHE's API answered 303 to a cached file), treats 204 as "no
data", honours 429 + Retry-After, and retries timeouts, dropped connections and server errors a
bounded number of times before stopping with a clear error.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import requests
from urllib3.exceptions import LocationValueError

from bot import __version__
from bot.backoff import Backoff
from bot.errors import PatchbotError
from bot.sources import HttpPolicy, NoDataError, RawData
from bot.sources.downloads import (
    Watchdog,
    bounded_session,
    read_body,
    stalled,
)
from bot.sources.files import release_from_name

log = logging.getLogger(__name__)

UK = ZoneInfo("Europe/London")


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


def _get(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    policy: HttpPolicy,
    watchdog: Watchdog,
) -> tuple[requests.Response, bytes]:
    """One GET, its body read whole within the size limit; past the deadline, one line."""
    try:
        with session.get(url, headers=headers, timeout=policy.timeout, stream=True) as response:
            return response, read_body(response, f"source: {url}", policy.max_bytes)
    finally:
        if watchdog.expired:  # it hung up: whatever came is not the whole answer
            raise stalled(f"source: {url}", policy.deadline) from None


def fetch_url(
    url: str,
    policy: HttpPolicy,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    accept: str = "text/csv",
) -> RawData:
    """GET one file, retrying what is worth retrying; every failure ends in a PatchbotError."""
    session = session or bounded_session()
    headers = {"User-Agent": f"patchbot/{__version__}", "Accept": accept}
    attempts = policy.retries + 1
    problem = ""
    for attempt in range(1, attempts + 1):
        wait = Backoff(policy.backoff).wait(attempt)
        try:
            with Watchdog(policy.deadline) as watchdog:
                response, content = _get(session, url, headers, policy, watchdog)
        except requests.Timeout:
            problem = f"no answer within {policy.timeout:g} seconds"
        except requests.exceptions.ChunkedEncodingError:
            problem = "the connection dropped mid-download (truncated body)"
        except requests.ConnectionError as error:
            problem = f"cannot connect ({type(error).__name__})"
        except requests.TooManyRedirects:
            raise PatchbotError(f"source: {url} redirects in a loop") from None
        # a malformed URL or host (urllib3 finds some only when connecting), an unusable answer
        except (requests.RequestException, LocationValueError) as error:
            raise PatchbotError(f"source: cannot fetch {url}: {type(error).__name__}") from None
        else:
            status = response.status_code
            if status == 204:
                raise NoDataError(f"source: {url} answered 204 No Content: no data yet")
            if status == 200:
                return RawData(content, url, _release_from_response(response), policy.max_bytes)
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
