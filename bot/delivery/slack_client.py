"""The Slack Web API as Patchbot calls it: slack-sdk's client, bounded and careful with the token.

- Every wait is bounded by ``SLACK_MAX_WAIT``: a 429 whose ``Retry-After`` asks for longer is
  not waited out (the story is kept for the next run), and no backoff is longer.
- Reads (``auth.test``, ``conversations.*``) are retried on server errors and dropped
  connections: repeating them is harmless. Posting calls are not retried here: the courier
  retries one only after the idempotency-key look-up says it did not land.
- Calls share kept-alive connections (``keepalive``: one per host, not one per call), through
  urllib only behind a proxy.
- A redirect is refused, never followed: it would take the ``Authorization`` header, and so the
  token, on to wherever it points.
- Errors name the method, the URL (without the token) and the setting to check.
"""

from __future__ import annotations

import http.client
import logging
import random
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from ssl import SSLContext
from typing import Any
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.file_upload_v2_result import FileUploadV2Result

from bot.backoff import Backoff
from bot.delivery.keepalive import KeptConnections
from bot.delivery.target import DeliveryFailure

RATE_LIMIT_RETRIES = 3  # a 429 means Slack did nothing: safe to retry inside slack-sdk
AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived"}
# Settings to fix, not worth another try: the run stops, naming the setting.
FATAL_ERRORS = AUTH_ERRORS | CHANNEL_ERRORS | {"missing_scope", "redirect"}
# Worth another try in the same run; anything else (say invalid_blocks) is kept for the next.
TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
READS = {"auth.test", "conversations.info", "conversations.list", "conversations.history",
         "conversations.replies"}  # fmt: skip
# slack-sdk logs a failed request at ERROR before raising it; the one line Patchbot prints says
# the same with the setting to check.
_SDK_LOG = logging.getLogger("bot.delivery.slack_sdk")
_SDK_LOG.setLevel(logging.CRITICAL)


class SlackFailure(DeliveryFailure):
    """A Slack call that failed, with Slack's error code: a bad token, channel or URL is fatal;
    server errors and dropped connections are transient."""

    def __init__(self, message: str, code: str, status: int | None = None) -> None:
        super().__init__(
            message,
            fatal=code in FATAL_ERRORS,
            transient=code in TRANSIENT_ERRORS or code == "connection" or (status or 0) >= 500,
        )
        self.code = code

    def explain(self, setting: str = "SLACK_CHANNEL") -> str:
        """One line; ``setting``: the setting that named the channel, for a channel error."""
        if self.code in AUTH_ERRORS:
            return f"SLACK_BOT_TOKEN: Slack refused the token ({self.code}); check it in .env"
        if self.code in CHANNEL_ERRORS:
            return (
                f"{setting}: {self} — check the channel name and invite the bot (/invite @Patchbot)"
            )
        if self.code == "missing_scope":
            return f"{self}: the Slack app lacks a scope (see README, 'Slack setup')"
        return str(self)


@dataclass(frozen=True)
class Identity:
    """Who Patchbot is in the workspace (from ``auth.test``): its messages are its own."""

    team_id: str
    user_id: str
    bot_id: str

    def sent(self, message: dict[str, Any]) -> bool:
        """Whether this app sent the message (a person or another app cannot)."""
        return bool(
            (self.bot_id and message.get("bot_id") == self.bot_id)
            or (self.user_id and message.get("user") == self.user_id)
        )


# What urllib adds to slack-sdk's uploads, and so what Slack's upload host has always had:
# sent the same over a kept connection, which adds nothing of its own.
UPLOAD_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "User-Agent": "Python-urllib/{}.{}".format(*sys.version_info[:2]),
}


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError: never sent on


class _WebClient(WebClient):
    """slack-sdk's client over kept-alive connections (``keepalive``), through urllib only
    behind a proxy; a redirect is refused either way, never followed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = KeptConnections(self.timeout, self.ssl)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not url.lower().startswith(("http://", "https://")):
            raise SlackRequestError(f"Invalid URL detected: {url}")
        answer = self.connections.send(req)
        if answer is None:
            return self._through_urllib(req)
        body = _decoded(answer.body, answer.headers)
        return {"status": answer.status, "headers": answer.headers, "body": body}

    def _through_urllib(self, req: Request) -> dict[str, Any]:
        handlers = [urllib.request.HTTPSHandler(context=self.ssl), _RefuseRedirects()]
        with urllib.request.build_opener(*handlers).open(req, timeout=self.timeout) as response:
            body = _decoded(response.read(), response.headers)
            return {"status": response.code, "headers": response.headers, "body": body}

    def _upload_file(
        self,
        *,
        url: str,
        data: bytes,
        logger: logging.Logger,
        timeout: int,
        proxy: str | None,
        ssl: SSLContext | None,
    ) -> FileUploadV2Result:
        """A file's bytes to the upload URL Slack gave (no token goes there)."""
        if not url.lower().startswith(("http://", "https://")):
            raise SlackRequestError(f"Invalid upload URL: {url}")
        request = Request(url, data=data, headers=UPLOAD_HEADERS, method="POST")
        answer = self.connections.send(request)
        if answer is None:
            response = self._through_urllib(request)
            return FileUploadV2Result(status=response["status"], body=response["body"])
        return FileUploadV2Result(status=answer.status, body=_decoded(answer.body, answer.headers))


class UndecodableAnswer(http.client.HTTPException):
    """An answer in a charset Python does not know, or not valid in the one it names."""


def _decoded(body: bytes, headers: Message) -> str:
    """An answer's text. One that cannot be decoded is a broken answer, as a cut-off one is
    (the call may have been handled: a post is looked up before it is sent again)."""
    charset = headers.get_content_charset() or "utf-8"
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        raise UndecodableAnswer(f"an answer not decodable as {charset!r}") from None


class _BoundedRateLimit(RateLimitErrorRetryHandler):
    """Waits out a 429 as slack-sdk does, unless ``Retry-After`` asks for more than ``max_wait``
    seconds: then the 429 comes back as an error at once."""

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after(response.headers) + 1 <= self.max_wait  # slack-sdk adds up to 1 s

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Waits as slack-sdk does (``Retry-After`` and up to a second more), but takes a
        ``Retry-After`` of 1.5 or -5 as a wait: slack-sdk's ``int()`` and ``sleep`` raised."""
        if response is None:
            raise error or RuntimeError("no answer to retry")
        state.next_attempt_requested = True
        time.sleep(max(0.0, retry_after(response.headers)) + random.random())
        state.increment_current_attempt()


def retry_after(headers: Any) -> float:
    """Seconds a 429 asks to wait (``Retry-After``; 1 when it does not say)."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list) else value
            try:
                return float(text)
            except (TypeError, ValueError):
                break
    return 1.0


class SlackClient:
    """Slack Web API calls, with errors turned into ``SlackFailure``."""

    def __init__(
        self,
        token: str,
        base_url: str,
        timeout: float = 30.0,
        retries: int = 2,
        backoff: float = 2.0,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url, self.max_wait = base_url, max_wait
        self.retries, self.backoff, self.sleep = retries, Backoff(backoff, cap=max_wait), sleep
        self.web = _WebClient(
            token=token,
            base_url=base_url,
            timeout=int(max(1, timeout)),
            logger=_SDK_LOG,
            retry_handlers=[_BoundedRateLimit(RATE_LIMIT_RETRIES, max_wait)],
        )
        self._identity: Identity | None = None

    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call a Web API method; a read is retried (``SLACK_RETRIES``) if Slack failed."""
        attempts = self.retries + 1 if method in READS else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._call_once(method, **kwargs)
            except SlackFailure as failure:
                if not failure.transient or attempt == attempts:
                    raise
                self.sleep(self.backoff.wait(attempt))
        raise AssertionError("unreachable")

    def _call_once(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Through slack-sdk's own method (which picks JSON or form)."""
        function = getattr(self.web, method.replace(".", "_"))
        try:
            response = function(**kwargs)
        except SlackApiError as error:
            raise self._api_failure(method, error.response.status_code, error.response) from None
        except (SlackRequestError, OSError, http.client.HTTPException) as error:
            cannot = isinstance(error, OSError | SlackRequestError | http.client.InvalidURL)
            what = "cannot connect to" if cannot else "a broken answer from"
            raise SlackFailure(
                f"Slack {method}: {what} {self.base_url} "
                f"({type(error).__name__}); check SLACK_API_URL and the network",
                "connection",
            ) from None
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data

    def _api_failure(self, method: str, status: int, response: Any) -> SlackFailure:
        headers = {name.lower(): value for name, value in dict(response.headers or {}).items()}
        if 300 <= status < 400:
            where = headers.get("location", "elsewhere")
            return SlackFailure(
                f"SLACK_API_URL: Slack {method} at {self.base_url} answered {status}, a redirect "
                f"to {where}; refused, so the token is not sent on (check the URL)",
                "redirect",
            )
        if status == 429:
            wait = retry_after(response.headers)
            return SlackFailure(
                f"Slack {method}: rate-limited (429), asks to wait {wait:g} s, more than "
                f"SLACK_MAX_WAIT={self.max_wait:g}",
                "ratelimited",
            )
        data = response.data if isinstance(response.data, dict) else {}
        code = str(data.get("error") or f"HTTP {status}")
        return SlackFailure(f"Slack {method}: {code}", code, status)

    def identity(self) -> Identity:
        """Who the token is (``auth.test``, once): this also checks the token works."""
        if self._identity is None:
            data = self.call("auth.test")
            self._identity = Identity(
                str(data.get("team_id", "")), str(data.get("user_id", "")),
                str(data.get("bot_id", "")),
            )  # fmt: skip
        return self._identity

    def pages(self, method: str, query: dict[str, Any], pages: int) -> Iterator[dict[str, Any]]:
        """A paged read, page by page, at most ``pages`` pages."""
        query = dict(query)
        for _page in range(pages):
            data = self.call(method, **query)
            yield data
            cursor = data.get("response_metadata", {}).get("next_cursor", "")
            if not cursor:
                return
            query["cursor"] = cursor
