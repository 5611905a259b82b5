"""A fake Slack Web API server that the real ``slack_sdk.WebClient`` talks to unchanged.

Like Slack, every call is a POST to ``<base_url><method>`` with a Bearer token and a form or
JSON body, answered with JSON that is HTTP 200 even for API errors. Upload URLs handed out by
files.getUploadURLExternal point back here; requests to them are recorded as method ``UPLOAD``.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.local_server import QuietHandler, Server, hang_up

JSON = dict[str, Any]
UPLOAD = "upload"
# Outcomes where the call is handled first and the answer goes wrong after
AFTER = ("drop_after", "hang_after", "cut_after", "garbled_after", "unknown_charset_after")
TEAM_ID, BOT_USER_ID, BOT_ID = "T0PATCHBOT", "U0PATCHBOT", "B0PATCHBOT"
AUTH_TEST = {"url": "https://patchbot-test.slack.com/", "team": "Patchbot Test", "user": "patchbot",
             "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}  # fmt: skip


@dataclass(frozen=True)
class Call:
    """One request received, including faulted and rejected ones."""

    method: str
    # form fields (str values) or the decoded JSON body; UPLOAD: file_id, content, content_type
    params: JSON
    token: str | None  # from the Authorization header, else a ``token`` parameter
    at: float  # time.monotonic() on arrival
    outcome: str  # "ok", the Slack error code returned, or the scripted fault


@dataclass
class Message:
    """A message as it stands now (chat.update edits it in place)."""

    channel: str
    ts: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    thread_ts: str | None = None
    file_ids: list[str] = field(default_factory=list)  # set on file-share messages
    metadata: JSON | None = None  # {"event_type": ..., "event_payload": {...}}
    edits: int = 0
    user: str = BOT_USER_ID  # who wrote it: the bot, unless ``post_as`` said otherwise
    bot_id: str | None = BOT_ID


@dataclass
class FakeFile:
    """A file announced by files.getUploadURLExternal."""

    id: str
    filename: str
    length: int  # as declared by the client
    alt_txt: str | None = None
    content: bytes | None = None  # None until the bytes are POSTed to the upload URL
    title: str | None = None  # set by files.completeUploadExternal
    shares: list[tuple[str, str | None]] = field(default_factory=list)  # (channel, thread_ts)


class _ApiError(Exception):
    def __init__(self, code: str, status: int = 200, **extra: Any) -> None:
        super().__init__(code)
        self.code, self.status, self.extra = code, status, extra


class FakeSlack:
    """A Slack workspace on 127.0.0.1 with scriptable faults and an inspectable model.

    Outcomes for ``script``/``fail_always``: ``"ok"``; ``"ratelimited"`` (HTTP 429 with a
    Retry-After header); an HTTP status such as ``"500"``; ``"drop"`` (close the connection
    without handling the call); ``"hang_after"`` (handle it, then hold the connection without
    replying until the fake stops, so a test can kill the client mid-call);
    ``"drop_after"`` (handle it, then close without replying, as
    when Slack posted the message but the response was lost); ``"cut_after"`` (handle it, then
    send half the answer and close); ``"garbled_after"`` and ``"unknown_charset_after"``
    (handle it, then answer in bytes that are not UTF-8, or in a charset nobody knows);
    ``"302"`` (a redirect to
    ``redirect_to``); or any Slack error code, which is returned as
    ``{"ok": false, "error": code}``.
    """

    def __init__(
        self,
        token: str = "xoxb-test-token",
        channels: Mapping[str, str] | None = None,
        retry_after: float = 1,
        app_token: str = "xapp-1-test-app-token",
    ) -> None:
        """``channels`` maps names (without ``#``) to IDs; no other channel exists.
        ``app_token``: the app-level token apps.connections.open takes (and nothing else)."""
        self.token, self.retry_after, self.app_token = token, retry_after, app_token
        self.socket_url = "ws://127.0.0.1:9/link"  # apps.connections.open's answer (a test's)
        self.ephemeral: list[JSON] = []  # chat.postEphemeral: {"channel", "user", "text"}
        self.views: list[JSON] = []  # views.open: the modals opened
        self.redirect_to = "http://127.0.0.1:9/api/elsewhere"  # where a scripted 3xx points
        self._channels = dict(channels or {"newsroom": "C0NEWSROOM"})
        self._messages: dict[str, list[Message]] = {c: [] for c in self._channels.values()}
        self._files: dict[str, FakeFile] = {}
        self._calls: list[Call] = []
        self._script: list[tuple[str, str | None]] = []
        self._always: dict[str, str] = {}
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()  # connections now open
        self.connections = 0  # connections accepted so far
        self._stopping = threading.Event()  # releases "hang_after" connections
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Callable[[JSON], JSON]] = {
            "auth.test": lambda params: dict(AUTH_TEST),
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._open_view,
            "apps.connections.open": lambda params: {"url": self.socket_url},
            "files.getUploadURLExternal": self._get_upload_url,
            UPLOAD: self._receive_upload,
            "files.completeUploadExternal": self._complete_upload,
            "conversations.info": self._conversation_info,
            "conversations.list": self._conversation_list,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
        }

    def __enter__(self) -> Self:
        """Serve on an ephemeral port from a daemon thread."""
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop serving and close the listening socket."""
        self._stopping.set()
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """For ``WebClient(base_url=...)``; ends with "/" as slack_sdk requires."""
        return f"{self.url}/api/"

    def script(self, *outcomes: str, method: str | None = None) -> None:
        """Queue outcomes for the next calls (only calls of ``method``, if given)."""
        with self._lock:
            self._script.extend((outcome, method) for outcome in outcomes)

    def fail_always(self, method: str, outcome: str) -> None:
        """Give every call of ``method`` this outcome until ``clear_faults``."""
        with self._lock:
            self._always[method] = outcome

    def clear_faults(self) -> None:
        with self._lock:
            self._script.clear()
            self._always.clear()

    def calls(self, method: str | None = None) -> list[Call]:
        """Requests received so far, oldest first, optionally only those for ``method``."""
        with self._lock:
            return [c for c in self._calls if method in (None, c.method)]

    def messages(self, channel: str) -> list[Message]:
        """Messages in a channel (name, "#name" or ID), oldest first, thread replies included."""
        with self._lock:
            try:
                return list(self._messages[self._channel_id(channel, names=True)])
            except _ApiError:
                raise KeyError(f"no channel {channel!r} in this FakeSlack") from None

    def post_as(
        self, channel: str, user: str, metadata: JSON, bot_id: str | None = None
    ) -> Message:
        """A message someone else (a person, another app) wrote in the channel."""
        with self._lock:
            channel_id = self._channel_id(channel, names=True)
            message = Message(channel_id, self._next_ts(), "copied", metadata=metadata)
            message.user, message.bot_id = user, bot_id
            self._messages[channel_id].append(message)
            return message

    def hang_up_idle(self) -> None:
        """Close every open connection, as Slack does to one left idle a while."""
        with self._lock:
            for connection in self._open:
                hang_up(connection)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def _connected(self, connection: socket.socket, is_open: bool) -> None:
        with self._lock:
            if is_open:
                self.connections += 1
                self._open.add(connection)
            else:
                self._open.discard(connection)

    @property
    def files(self) -> dict[str, FakeFile]:
        """Files by ID, including ones never uploaded or never completed."""
        with self._lock:
            return dict(self._files)

    def _serve(self, method: str, params: JSON, token: str | None) -> tuple[int, JSON | None, str]:
        """Handle one request: (HTTP status, body or None to send nothing, the outcome)."""
        with self._lock:
            outcome = self._always.get(method) or self._next_scripted(method)
            status, body = 200, None
            if outcome == "ratelimited":
                status, body = 429, {"ok": False, "error": "ratelimited"}
            elif outcome.isdigit():
                status, body = int(outcome), {"ok": False, "error": "internal_error"}
            elif outcome not in ("ok", "drop", *AFTER):
                body = {"ok": False, "error": outcome}
            elif outcome != "drop":
                try:
                    if method != UPLOAD and not token:  # upload URLs need no token
                        raise _ApiError("not_authed")
                    wanted = self.app_token if method == "apps.connections.open" else self.token
                    if method != UPLOAD and token != wanted:
                        raise _ApiError("invalid_auth")
                    if method not in self._handlers:
                        raise _ApiError("unknown_method")
                    body = {"ok": True, **self._handlers[method](params)}
                except _ApiError as err:
                    status, body = err.status, {"ok": False, "error": err.code, **err.extra}
                    outcome = outcome if outcome in AFTER else err.code
                except (ValueError, TypeError, KeyError):  # e.g. limit="many"
                    body, outcome = {"ok": False, "error": "invalid_arguments"}, "invalid_arguments"
                body = None if outcome in ("drop_after", "hang_after") else body
            self._calls.append(Call(method, params, token, time.monotonic(), outcome))
            return status, body, outcome

    def _next_scripted(self, method: str) -> str:
        for i, (outcome, only) in enumerate(self._script):
            if only in (None, method):
                del self._script[i]
                return outcome
        return "ok"

    def _channel_id(self, value: object, *, names: bool) -> str:
        text = str(value or "")
        if text in self._messages:
            return text
        if names and text.removeprefix("#") in self._channels:
            return self._channels[text.removeprefix("#")]
        raise _ApiError("channel_not_found")

    def _next_ts(self) -> str:
        n = next(self._serial)  # "1700000000.000100", "1700000000.000200", ...
        return f"{1_700_000_000 + n // 10_000}.{n % 10_000 * 100:06d}"

    def _post_message(self, params: JSON) -> JSON:
        channel = self._channel_id(params.get("channel"), names=True)
        text, blocks = _text(params.get("text")), _blocks(params.get("blocks"))
        if not text and not blocks:
            raise _ApiError("no_text")
        thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
        message = Message(channel, self._next_ts(), text, blocks, thread_ts)
        message.metadata = _metadata(params.get("metadata"))
        self._messages[channel].append(message)
        return {"channel": channel, "ts": message.ts, "message": self._render(message)}

    def _update(self, params: JSON) -> JSON:
        channel = self._channel_id(params.get("channel"), names=False)  # Slack: IDs only
        found = [m for m in self._messages[channel] if m.ts == params.get("ts")]
        if not found:
            raise _ApiError("message_not_found")
        if "text" not in params and "blocks" not in params:
            raise _ApiError("no_text")
        message = found[0]  # fields left out keep their old value, as on Slack
        message.blocks = _blocks(params["blocks"]) if "blocks" in params else message.blocks
        message.text = _text(params["text"]) if "text" in params else message.text
        if "metadata" in params:
            message.metadata = _metadata(params["metadata"])
        message.edits += 1
        rendered = self._render(message)
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": rendered}

    def _post_ephemeral(self, params: JSON) -> JSON:
        channel = self._channel_id(params.get("channel"), names=True)
        if not params.get("user"):
            raise _ApiError("user_not_in_channel")
        text = _text(params.get("text"))
        if not text and not params.get("blocks"):
            raise _ApiError("no_text")
        self.ephemeral.append({"channel": channel, "user": str(params["user"]), "text": text})
        return {"message_ts": self._next_ts()}

    def _open_view(self, params: JSON) -> JSON:
        """A modal, checked against Slack's limits: a trigger, a title of at most 24
        characters, at most 100 blocks, inputs of at most 3,000 characters."""
        if not params.get("trigger_id"):
            raise _ApiError("invalid_trigger_id")
        raw = params.get("view")
        try:
            view = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError as err:
            raise _ApiError("invalid_arguments") from err
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise _ApiError("invalid_arguments")
        errors = []
        if len(view.get("title", {}).get("text", "")) > 24:
            errors.append("must be less than 25 characters [json-pointer:/view/title/text]")
        if len(view.get("blocks", [])) > 100:
            errors.append("must be less than 101 items [json-pointer:/view/blocks]")
        for i, block in enumerate(view.get("blocks", [])):
            element = block.get("element") or {}
            if len(str(element.get("initial_value", ""))) > int(element.get("max_length", 3000)):
                errors.append(f"initial_value too long [json-pointer:/view/blocks/{i}]")
            if int(element.get("max_length", 0)) > 3000:
                errors.append(f"max_length above 3000 [json-pointer:/view/blocks/{i}]")
        if errors:
            raise _ApiError("invalid_arguments", response_metadata={"messages": errors})
        self.views.append(view)
        return {"view": {"id": f"V{next(self._serial):010d}", **view}}

    def _conversation_info(self, params: JSON) -> JSON:
        return {"channel": self._channel_json(self._channel_id(params.get("channel"), names=False))}

    def _conversation_list(self, params: JSON) -> JSON:
        cursor, limit = str(params.get("cursor") or "offset:0"), int(params.get("limit") or 100)
        if not cursor.startswith("offset:") or not cursor[7:].isdigit():
            raise _ApiError("invalid_cursor")
        start, ids = int(cursor[7:]), list(self._messages)
        next_cursor = f"offset:{start + limit}" if start + limit < len(ids) else ""
        page = [self._channel_json(c) for c in ids[start : start + limit]]
        return {"channels": page, "response_metadata": {"next_cursor": next_cursor}}

    def _history(self, params: JSON) -> JSON:
        """Top-level messages, newest first (thread replies are only in conversations.replies)."""
        channel = self._channel_id(params.get("channel"), names=False)
        return self._page([m for m in self._messages[channel][::-1] if not m.thread_ts], params)

    def _replies(self, params: JSON) -> JSON:
        """The parent, then its replies, oldest first."""
        channel = self._channel_id(params.get("channel"), names=False)
        thread = [m for m in self._messages[channel] if params.get("ts") in (m.ts, m.thread_ts)]
        if not thread:
            raise _ApiError("thread_not_found")
        return self._page(thread, params)

    def _page(self, messages: list[Message], params: JSON) -> JSON:
        limit = int(params.get("limit") or 100)
        metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        rendered = [self._render(m, metadata) for m in messages[:limit]]
        return {"messages": rendered, "has_more": len(messages) > limit}

    def _channel_json(self, channel_id: str) -> JSON:
        name = next(name for name, cid in self._channels.items() if cid == channel_id)
        return {"id": channel_id, "name": name, "is_channel": True, "is_archived": False,
                "is_member": True}  # fmt: skip

    def _render(self, message: Message, metadata: bool = True) -> JSON:
        """The message object Slack returns."""
        rendered: JSON = {"type": "message", "user": message.user}
        if message.bot_id:
            rendered["bot_id"] = message.bot_id
        rendered |= {"text": message.text, "ts": message.ts, "blocks": message.blocks}
        if message.thread_ts:
            rendered["thread_ts"] = message.thread_ts
        if message.edits:
            rendered["edited"] = {"user": BOT_USER_ID, "ts": message.ts}
        if message.metadata and metadata:
            rendered["metadata"] = message.metadata
        if message.file_ids:
            rendered["files"] = [_file_json(self._files[i]) for i in message.file_ids]
        return rendered

    def _get_upload_url(self, params: JSON) -> JSON:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            raise _ApiError("invalid_arguments")
        file_id = f"F{next(self._serial):010d}"
        self._files[file_id] = FakeFile(
            file_id, str(params["filename"]), int(params["length"]), params.get("alt_txt")
        )
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, params: JSON) -> JSON:
        if params["file_id"] not in self._files:
            raise _ApiError("file_not_found", status=404)
        self._files[params["file_id"]].content = params["content"]
        return {"size": len(params["content"])}

    def _complete_upload(self, params: JSON) -> JSON:
        try:
            items = params["files"]
            items = json.loads(items) if isinstance(items, str) else items
            titles = {str(item["id"]): item.get("title") for item in items}
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise _ApiError("invalid_arguments") from err
        files = [f for i in titles if (f := self._files.get(i)) and f.content is not None]
        if len(files) != len(titles):
            raise _ApiError("file_not_found")
        # Slack wants channel IDs here: files_upload_v2(channel="#name") fails for real.
        wanted = [params.get("channel_id"), *str(params.get("channels") or "").split(",")]
        targets = [self._channel_id(channel, names=False) for channel in wanted if channel]
        thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
        for f in files:
            f.title = titles[f.id] or f.filename
            f.shares += [(channel, thread_ts) for channel in targets]
        comment = _text(params.get("initial_comment"))
        for channel in targets:
            message = Message(channel, self._next_ts(), comment, [], thread_ts, [*titles])
            self._messages[channel].append(message)
        # Real Slack shares asynchronously, so the file objects it returns carry no shares yet.
        return {"files": [_file_json(f) for f in files]}


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    if len(text) > 40_000:
        raise _ApiError("msg_too_long")
    return text


def _blocks(raw: object) -> list[JSON]:
    """Parse blocks and enforce the Block Kit limits a news bot can plausibly hit."""
    if raw is None:
        return []
    try:
        blocks = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as err:
        raise _ApiError("invalid_blocks_format") from err
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise _ApiError("invalid_blocks_format")
    errors = ["must be less than 51 items [json-pointer:/blocks]"] if len(blocks) > 50 else []
    for i, block in enumerate(blocks):
        kind, text = block.get("type"), block.get("text")
        text, at = text if isinstance(text, dict) else {}, f"[json-pointer:/blocks/{i}/text"
        if not isinstance(kind, str):
            errors.append(f"missing required field: type [json-pointer:/blocks/{i}]")
        elif kind == "section" and len(str(text.get("text", ""))) > 3000:
            errors.append(f"must be less than 3001 characters {at}/text]")
        elif kind == "header" and text.get("type") != "plain_text":
            errors.append(f"must be a valid enum value {at}/type]")
        elif kind == "header" and len(str(text.get("text", ""))) > 150:
            errors.append(f"must be less than 151 characters {at}/text]")
    if errors:
        metadata = {"messages": [f"[ERROR] {e}" for e in errors]}
        raise _ApiError("invalid_blocks", errors=errors, response_metadata=metadata)
    return blocks


def _metadata(raw: object) -> JSON | None:
    try:
        metadata = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as err:
        raise _ApiError("invalid_metadata_format") from err
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        raise _ApiError("invalid_metadata_format")
    if not isinstance(metadata.get("event_payload"), dict):
        raise _ApiError("invalid_metadata_format")
    return metadata


def _file_json(f: FakeFile) -> JSON:
    return {"id": f.id, "name": f.filename, "title": f.title, "size": len(f.content or b"")}


class _Server(Server):
    daemon_threads = True  # a "hang_after" connection is let go only when the fake stops
    api: FakeSlack

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = fake


class _Handler(QuietHandler):
    """Keep-alive, as Slack's servers."""

    server: _Server

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token, params = None, {}  # type: tuple[str | None, JSON]
        if url.path.startswith("/upload/"):  # raw bytes, no auth, as slack_sdk sends them
            file_id, kind = url.path.removeprefix("/upload/"), self.headers.get("Content-Type")
            method, params = UPLOAD, {"file_id": file_id, "content": body, "content_type": kind}
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
        status, payload, outcome = self.server.api._serve(method, params, token)
        if payload is None:
            if outcome == "hang_after":
                self.server.api._stopping.wait(60)
            self.close_connection = True  # nothing written: the client sees the socket close
        elif method == UPLOAD and payload["ok"]:  # the real upload host answers in plain text
            self._reply(status, f"OK - {payload['size']}".encode(), "text/plain")
        else:
            data, charset = json.dumps(payload).encode(), "utf-8"
            if outcome == "garbled_after":
                data = data.replace(b"{", b"{\xff", 1)
            elif outcome == "unknown_charset_after":
                charset = "x-no-such-charset"
            content_type = f"application/json; charset={charset}"
            self._reply(status, data, content_type, outcome == "cut_after")

    do_GET = do_POST

    def _reply(self, status: int, data: bytes, content_type: str, cut: bool = False) -> None:
        """``cut``: promise the whole answer, send half of it and hang up."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", str(self.server.api.retry_after))
        if 300 <= status < 400:
            self.send_header("Location", self.server.api.redirect_to)
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)
        self.close_connection = self.close_connection or cut
