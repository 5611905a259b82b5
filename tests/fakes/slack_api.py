"""A fake Slack Web API server that the real ``slack_sdk.WebClient`` can talk to.

    with FakeSlack(channels={"newsroom": "C0NEWSROOM"}) as slack:
        client = WebClient(token="xoxb-test-token", base_url=slack.base_url, timeout=2)
        client.chat_postMessage(channel="#newsroom", text="Hello")
        assert slack.messages("C0NEWSROOM")[0].text == "Hello"

It speaks the wire protocol slack_sdk uses: every call is a POST to ``<base_url><method>``
with a ``Bearer`` token, a form-encoded or JSON body, and a JSON reply that is HTTP 200 even
for API errors (``{"ok": false, "error": ...}``). ``files_upload_v2`` gets an upload URL
pointing back at this server (recorded under the pseudo-method ``UPLOAD``).

Scripted outcomes (see ``FakeSlack.script``): ``"ok"``, ``"ratelimited"`` (HTTP 429 with
``Retry-After``), an HTTP status such as ``"500"``, ``"drop"`` (close the connection before
handling the call), ``"drop_after"`` (handle it, then close without replying, as when
Slack posted the message but the response was lost), or any Slack error code.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any]
UPLOAD = "upload"
"""Pseudo method name for POSTs to the upload URLs returned by files.getUploadURLExternal."""
TEAM_ID, BOT_USER_ID, BOT_ID = "T0PATCHBOT", "U0PATCHBOT", "B0PATCHBOT"


@dataclass(frozen=True)
class Call:
    """One HTTP request received, including ones that were faulted or rejected."""

    method: str
    params: JSON  # form fields (all str) or the decoded JSON body
    token: str | None  # from the Authorization header, else a ``token`` parameter
    at: float  # time.monotonic() on arrival
    outcome: str  # "ok", the Slack error code returned, or the scripted fault


@dataclass
class Message:
    """A message as it currently stands in a channel (chat.update edits it in place)."""

    channel: str
    ts: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    thread_ts: str | None = None
    file_ids: list[str] = field(default_factory=list)
    edits: int = 0


@dataclass
class FakeFile:
    """A file created by files.getUploadURLExternal and filled in by the upload POST."""

    id: str
    filename: str
    length: int  # as declared to getUploadURLExternal
    alt_txt: str | None = None
    content: bytes | None = None  # None until the bytes are uploaded
    title: str | None = None  # set by files.completeUploadExternal
    shares: list[tuple[str, str | None]] = field(default_factory=list)  # (channel, thread_ts)


class SlackError(Exception):
    """An API error; rendered as ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, status: int = 200, **extra: Any) -> None:
        super().__init__(code)
        self.code, self.status, self.extra = code, status, extra


class FakeSlack:
    """An in-process Slack Web API on 127.0.0.1 with an inspectable workspace model."""

    def __init__(
        self,
        token: str = "xoxb-test-token",
        channels: Mapping[str, str] | None = None,
        retry_after: int = 1,
    ) -> None:
        """``channels`` maps names (without ``#``) to IDs; only these channels exist."""
        self.token, self.retry_after = token, retry_after
        self._channels = dict(channels or {"newsroom": "C0NEWSROOM"})
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._messages: dict[str, list[Message]] = {cid: [] for cid in self._channels.values()}
        self._files: dict[str, FakeFile] = {}
        self._script: list[tuple[str, str | None]] = []
        self._always: dict[str, str] = {}
        self._serial = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Callable[[JSON], JSON]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "conversations.info": self._conversation_info,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        """Start serving on an ephemeral port in a daemon thread."""
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the server and release its socket."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the server must be running)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """Pass as ``WebClient(base_url=...)``; ends with ``/`` as slack_sdk requires."""
        return f"{self.url}/api/"

    # -- scripting -------------------------------------------------------------------------
    def script(self, *outcomes: str, method: str | None = None) -> None:
        """Queue outcomes for the next calls (of ``method`` only, if given), in order."""
        with self._lock:
            self._script.extend((outcome, method) for outcome in outcomes)

    def fail_always(self, method: str, error: str) -> None:
        """Make every call of ``method`` end in ``error`` (a fault or Slack error code)."""
        with self._lock:
            self._always[method] = error

    def clear_faults(self) -> None:
        """Forget scripted and permanent faults."""
        with self._lock:
            self._script.clear()
            self._always.clear()

    # -- inspection ------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        """Requests received so far, oldest first, optionally for one method."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str) -> list[Message]:
        """Messages in a channel (name, ``#name`` or ID), oldest first, replies included."""
        with self._lock:
            return list(self._messages[self._channel_id(channel, names=True)])

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Replies to the message ``ts`` in ``channel``, oldest first."""
        return [m for m in self.messages(channel) if m.thread_ts == ts]

    @property
    def files(self) -> dict[str, FakeFile]:
        """Files by ID, including ones whose upload never completed."""
        with self._lock:
            return dict(self._files)

    # -- request handling (called from server threads) ------------------------------------
    def _serve(self, method: str, params: JSON, token: str | None) -> tuple[int, JSON | None]:
        """Return (HTTP status, body); body None means drop the connection."""
        with self._lock:
            outcome = self._always.get(method) or self._pop_scripted(method)
            status, body = 200, None
            if outcome == "ratelimited":
                status, body = 429, {"ok": False, "error": "ratelimited"}
            elif outcome.isdigit():
                status, body = int(outcome), {"ok": False, "error": "internal_error"}
            elif outcome not in ("ok", "drop", "drop_after"):
                body = {"ok": False, "error": outcome}
            elif outcome != "drop":
                try:
                    self._check_auth(method, token)
                    handler = self._handlers.get(method, self._unknown_method)
                    body = {"ok": True, **handler(params)}
                except SlackError as err:
                    status, body = err.status, {"ok": False, "error": err.code, **err.extra}
                    outcome = outcome if outcome == "drop_after" else err.code
                body = None if outcome == "drop_after" else body
            self._calls.append(Call(method, params, token, time.monotonic(), outcome))
            return status, body

    def _pop_scripted(self, method: str) -> str:
        for i, (outcome, only) in enumerate(self._script):
            if only is None or only == method:
                del self._script[i]
                return outcome
        return "ok"

    def _check_auth(self, method: str, token: str | None) -> None:
        if method == UPLOAD:  # upload URLs are pre-signed; slack_sdk sends no token there
            return
        if not token:
            raise SlackError("not_authed")
        if token != self.token:
            raise SlackError("invalid_auth")

    def _channel_id(self, value: object, *, names: bool) -> str:
        """Resolve a channel; only chat.postMessage-style methods accept names."""
        text = str(value or "")
        if text in self._messages:
            return text
        if names and text.removeprefix("#") in self._channels:
            return self._channels[text.removeprefix("#")]
        raise SlackError("channel_not_found")

    def _next_ts(self) -> str:
        n = next(self._serial)
        return f"{1_700_000_000 + n // 10_000}.{n % 10_000 * 100:06d}"

    def _find(self, channel: str, ts: object) -> Message:
        for message in self._messages[channel]:
            if message.ts == ts:
                return message
        raise SlackError("message_not_found")

    # -- API methods -----------------------------------------------------------------------
    def _unknown_method(self, params: JSON) -> JSON:
        raise SlackError("unknown_method")

    def _auth_test(self, params: JSON) -> JSON:
        return {
            "url": "https://patchbot-test.slack.com/", "team": "Patchbot Test",
            "user": "patchbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
        }  # fmt: skip

    def _post_message(self, params: JSON) -> JSON:
        channel = self._channel_id(params.get("channel"), names=True)
        text, blocks = _text(params.get("text")), _blocks(params.get("blocks"))
        if not text and not blocks:
            raise SlackError("no_text")
        thread_ts = params.get("thread_ts") or None
        message = Message(channel, self._next_ts(), text, blocks, thread_ts and str(thread_ts))
        self._messages[channel].append(message)
        return {"channel": channel, "ts": message.ts, "message": _render(message)}

    def _update(self, params: JSON) -> JSON:
        message = self._find(self._channel_id(params.get("channel"), names=False), params.get("ts"))
        if "text" not in params and "blocks" not in params:
            raise SlackError("no_text")
        if "blocks" in params:  # absent fields keep their old value, as on Slack
            message.blocks = _blocks(params["blocks"])
        if "text" in params:
            message.text = _text(params["text"])
        message.edits += 1
        return {"channel": message.channel, "ts": message.ts, "text": message.text,
                "message": _render(message)}  # fmt: skip

    def _conversation_info(self, params: JSON) -> JSON:
        cid = self._channel_id(params.get("channel"), names=False)
        name = next(name for name, id_ in self._channels.items() if id_ == cid)
        return {"channel": {"id": cid, "name": name, "is_channel": True, "is_member": True}}

    def _get_upload_url(self, params: JSON) -> JSON:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._serial):010d}"
        self._files[file_id] = FakeFile(
            file_id, str(params["filename"]), int(params["length"]), params.get("alt_txt")
        )
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, content: bytes) -> None:
        with self._lock:
            if file_id in self._files:
                self._files[file_id].content = content

    def _complete_upload(self, params: JSON) -> JSON:
        try:
            items = params["files"]
            items = json.loads(items) if isinstance(items, str) else items
            ids_titles = [(str(item["id"]), item.get("title")) for item in items]
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise SlackError("invalid_arguments") from err
        # Slack wants channel IDs here: files_upload_v2(channel="#name") fails for real.
        targets = [c for c in str(params.get("channels") or "").split(",") if c]
        targets = [self._channel_id(c, names=False) for c in [params.get("channel_id"), *targets]
                   if c]  # fmt: skip
        files = [self._files.get(file_id) for file_id, _ in ids_titles]
        if any(f is None or f.content is None for f in files):
            raise SlackError("file_not_found")
        thread_ts = params.get("thread_ts") or None
        for (_, title), f in zip(ids_titles, files, strict=True):
            assert f is not None
            f.title = title or f.filename
            f.shares += [(channel, thread_ts) for channel in targets]
        for channel in targets:
            self._messages[channel].append(Message(
                channel, self._next_ts(), _text(params.get("initial_comment")),
                thread_ts=thread_ts, file_ids=[file_id for file_id, _ in ids_titles]))  # fmt: skip
        return {"files": [_file_json(f) for f in files if f is not None]}


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    if len(text) > 40_000:
        raise SlackError("msg_too_long")
    return text


def _blocks(raw: object) -> list[JSON]:
    """Parse and check blocks against the Block Kit limits Patchbot can plausibly hit."""
    if raw is None:
        return []
    try:
        blocks = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as err:
        raise SlackError("invalid_blocks_format") from err
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise SlackError("invalid_blocks_format")
    errors = ["must be less than 51 items [json-pointer:/blocks]"] if len(blocks) > 50 else []
    for i, block in enumerate(blocks):
        where, text = f"[json-pointer:/blocks/{i}/text", block.get("text")
        text = text if isinstance(text, dict) else {}
        if not isinstance(block.get("type"), str):
            errors.append(f"missing required field: type [json-pointer:/blocks/{i}]")
        elif block["type"] == "section" and len(str(text.get("text", ""))) > 3000:
            errors.append(f"must be less than 3001 characters {where}/text]")
        elif block["type"] == "header" and text.get("type") != "plain_text":
            errors.append(f"must be a valid enum value {where}/type]")
        elif block["type"] == "header" and len(str(text.get("text", ""))) > 150:
            errors.append(f"must be less than 151 characters {where}/text]")
    if errors:
        messages = [f"[ERROR] {e}" for e in errors]
        raise SlackError("invalid_blocks", errors=errors, response_metadata={"messages": messages})
    return blocks


def _render(message: Message) -> JSON:
    rendered: JSON = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "team": TEAM_ID,
                      "text": message.text, "ts": message.ts, "blocks": message.blocks}  # fmt: skip
    if message.thread_ts:
        rendered["thread_ts"] = message.thread_ts
    if message.edits:
        rendered["edited"] = {"user": BOT_USER_ID, "ts": message.ts}
    return rendered


def _file_json(f: FakeFile) -> JSON:
    mimetype = mimetypes.guess_type(f.filename)[0] or "application/octet-stream"
    return {"id": f.id, "name": f.filename, "title": f.title, "mimetype": mimetype,
            "size": len(f.content or b""), "alt_txt": f.alt_txt}  # fmt: skip


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/upload/"):
            method, params, token = UPLOAD, {"file_id": url.path.removeprefix("/upload/")}, None
        elif url.path.startswith("/api/"):
            method, params = url.path.removeprefix("/api/"), dict(parse_qsl(url.query))
            if self.headers.get_content_type() == "application/json" and body:
                params.update(json.loads(body))
            elif body:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ") if auth else params.pop("token", None)
        else:
            self.send_error(404)
            return
        status, payload = self.server.fake._serve(method, params, token)
        if payload is None:  # "drop": close the connection without a response
            self.close_connection = True
            return
        if method == UPLOAD and payload["ok"]:
            self.server.fake._upload(params["file_id"], body)
            self._reply(status, f"OK - {len(body)}".encode(), "text/plain")
            return
        self._reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    do_GET = do_POST

    def _reply(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", str(self.server.fake.retry_after))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""
