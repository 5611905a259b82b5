"""How ``patchbot run`` hears Slack: Socket Mode (``SLACK_APP_TOKEN``; no public URL, the
usual choice for a newsroom's internal app) or HTTP (``PATCHBOT_SLACK_MODE=http``,
``SLACK_SIGNING_SECRET``, ``PATCHBOT_SLACK_PORT``, path ``/slack/events``).

Either runs in the process that posts, beside the schedule, so the ledger has one owner. Over
HTTP every request's signature and timestamp are verified (slack-bolt): a forged or stale
request is refused with 401, changes nothing, and is logged once. Requests are bounded in size
and in the time their body may take to arrive.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.delivery import target_for
from bot.delivery.slack import Slack
from bot.errors import PatchbotError
from bot.logs import step
from bot.review.app import BOLT_LOG, build_app
from bot.review.stories import ReviewedStories
from bot.settings import Settings, SlackMode

EVENTS_PATH = "/slack/events"
BODY_LIMIT = 1_000_000  # bytes: an interaction payload is a few kilobytes
READ_TIMEOUT = 10  # seconds for a request to arrive in full

Stop = Callable[[], None]


def listening_mode(settings: Settings) -> SlackMode | None:
    """socket, http, or None (no review buttons, nothing to listen for)."""
    mode = settings.slack_mode
    if mode is None:
        if settings.slack_app_token:
            return SlackMode.SOCKET
        return SlackMode.HTTP if settings.slack_signing_secret else None
    if mode == SlackMode.SOCKET and not settings.slack_app_token:
        raise PatchbotError(
            "SLACK_APP_TOKEN: not set; PATCHBOT_SLACK_MODE=socket needs the app-level token "
            "(xapp-..., README 'Review in Slack')"
        )
    if mode == SlackMode.HTTP and not settings.slack_signing_secret:
        raise PatchbotError(
            "SLACK_SIGNING_SECRET: not set; PATCHBOT_SLACK_MODE=http needs the app's signing "
            "secret (README 'Review in Slack')"
        )
    return mode


def start_listening(settings: Settings) -> Stop | None:
    """Start hearing reporters' clicks, as the settings say; a function that stops it, or
    None when review is not configured."""
    mode = listening_mode(settings)
    if mode is None:
        return None
    slack = target_for(settings)
    assert isinstance(slack, Slack)
    stories = ReviewedStories(slack, settings.state_dir)
    if mode == SlackMode.SOCKET:
        return _socket_mode(build_app(slack, stories, None), settings)
    secret = settings.slack_signing_secret
    assert secret is not None  # listening_mode: http needs it
    return _http(build_app(slack, stories, secret), SignatureVerifier(secret), settings.slack_port)


def _socket_mode(app: App, settings: Settings) -> Stop:
    from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler
    from slack_sdk.errors import SlackApiError, SlackClientError

    handler = SocketModeHandler(app, settings.slack_app_token, logger=BOLT_LOG)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except (SlackApiError, SlackClientError, OSError) as error:
        # Posting goes on; the client keeps trying to reconnect.
        problem = f"{type(error).__name__}: check SLACK_APP_TOKEN and connections:write"
        step("listen", logging.WARNING, mode=SlackMode.SOCKET, outcome="error", problem=problem)
    else:
        step("listen", mode=SlackMode.SOCKET)
    return handler.close


def _http(app: App, verifier: SignatureVerifier, port: int) -> Stop:
    server = _EventsServer(("0.0.0.0", port), _EventsHandler)
    server.app = app
    server.verifier = verifier
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="patchbot-slack-http"
    )
    thread.start()
    step("listen", mode=SlackMode.HTTP, port=server.server_port, path=EVENTS_PATH)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return stop


class _EventsServer(ThreadingHTTPServer):
    daemon_threads = True
    app: App
    verifier: SignatureVerifier  # checked before a byte of the body is parsed


class _EventsHandler(BaseHTTPRequestHandler):
    server: _EventsServer
    timeout = READ_TIMEOUT

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path != EVENTS_PATH:
            self._reply(404, b"")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= BODY_LIMIT:
            self._reply(413, b"")
            return
        raw = self._body(length)
        if raw is None:
            self._refuse(408, "the request did not arrive in time")
            return
        body = raw.decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {
            name.lower(): value for name, value in self.headers.items()
        }
        stamp, signature = (
            self.headers.get("X-Slack-Request-Timestamp"),
            self.headers.get("X-Slack-Signature"),
        )
        if not self.server.verifier.is_valid(body, stamp, signature):
            self._refuse(401, "bad or stale Slack signature")
            return
        try:
            response = self.server.app.dispatch(
                BoltRequest(body=body, query=url.query, headers=headers)
            )
        except ValueError:  # signed, yet not the form-encoded JSON Slack sends
            self._refuse(400, "a signed request Patchbot cannot read")
            return
        self._reply(response.status, response.body.encode(), response.headers)

    def _body(self, length: int) -> bytes | None:
        """The request's body, or None when it has not arrived in full within READ_TIMEOUT
        (a per-read timeout alone lets a client drip a byte at a time for ever)."""
        deadline = time.monotonic() + READ_TIMEOUT
        pieces: list[bytes] = []
        left = length
        while left > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.connection.settimeout(remaining)
            try:
                piece = self.rfile.read1(min(left, 65536))
            except TimeoutError:
                return None
            if not piece:
                return None
            pieces.append(piece)
            left -= len(piece)
        return b"".join(pieces)

    def _refuse(self, status: int, why: str) -> None:
        step("review", logging.WARNING, outcome="refused", why=why, client=self.client_address[0])
        self._reply(status, b"")

    def _reply(
        self, status: int, data: bytes, headers: dict[str, Sequence[str]] | None = None
    ) -> None:
        self.send_response(status)
        for name, values in (headers or {}).items():
            if name.lower() != "content-length":
                for value in values:
                    self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """One line per refused request is ours; nothing per request otherwise."""
