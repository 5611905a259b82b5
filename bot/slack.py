"""Slack: Block Kit messages for a draft, and the few Web API calls Patchbot makes.

Messages keep within Slack's limits (a header of at most 150 characters, sections of at most
3,000, at most 50 blocks): a long story continues in the thread, never cut. Text from the data
is escaped for mrkdwn (``&``, ``<``, ``>``) and sent ``verbatim``, so no area name can become a
mention, a channel ping or a link.

Only rate limits are retried inside slack-sdk (a 429 means Slack did nothing). Every other
failure comes back to ``bot.delivery``, which checks Slack for the message before trying
again, so a dropped connection never leaves a duplicate.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.errors import PatchbotError
from bot.housestyle import uk_date

log = logging.getLogger(__name__)

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
MAIN_SECTIONS = 5  # sections in the channel message; the rest continue in the thread
THREAD_SECTIONS = 40  # sections per thread reply
METADATA_EVENT = "patchbot_story_part"
AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived"}
# Worth another try in the same run; anything else (say invalid_blocks) is kept for the next.
TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

Message = dict[str, Any]  # chat.postMessage arguments: text, blocks, metadata


class SlackFailure(Exception):
    """A Slack call that failed: ``fatal`` stops the run (auth, channel); ``transient`` is
    worth retrying at once (server errors, dropped connections)."""

    def __init__(self, message: str, code: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = code in AUTH_ERRORS or code in CHANNEL_ERRORS
        self.transient = code in TRANSIENT_ERRORS or code == "connection" or (status or 0) >= 500


def escape(text: str) -> str:
    """mrkdwn escaping: these three characters are all Slack asks to be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, limit: int) -> Iterator[str]:
    """Split text into pieces of at most ``limit`` characters, at paragraph, then line, then
    word boundaries; every character of the text ends up in exactly one piece."""
    piece = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{piece}\n\n{paragraph}" if piece else paragraph
        if len(candidate) <= limit:
            piece = candidate
            continue
        if piece:
            yield piece
        piece = ""
        for line in paragraph.split("\n"):
            candidate = f"{piece}\n{line}" if piece else line
            if len(candidate) <= limit:
                piece = candidate
                continue
            if piece:
                yield piece
            while len(line) > limit:
                cut = line.rfind(" ", 0, limit) + 1 or limit
                yield line[:cut]
                line = line[cut:]
            piece = line
    if piece:
        yield piece


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def _title(headline: str) -> dict[str, Any]:
    if len(headline) <= HEADER_LIMIT:
        return {"type": "header", "text": {"type": "plain_text", "text": headline}}
    return _section(f"*{escape(headline)}*")  # too long for a header block: never cut it


def context_line(draft: dict[str, Any]) -> str:
    parts = [escape(draft["patch"]), f"week to {uk_date(draft['week_ending'], year=True)}"]
    if draft.get("release"):
        parts.append(f"PHE data published {uk_date(draft['release'], year=True)}")
    parts.append(f"source: {escape(draft['origin'])}")
    parts.append("Draft by Patchbot: check before publishing")
    return " · ".join(parts)


def build_messages(
    draft: dict[str, Any], banner: str | None = None
) -> tuple[Message, list[Message]]:
    """The channel message and its thread continuations for a draft.

    ``draft`` is the ledger's copy: story, headline, text, patch, week_ending, release, origin.
    ``banner`` (mrkdwn, already escaped) goes above the headline, e.g. for a correction.
    """
    sections = [_section(chunk) for chunk in _chunks(escape(draft["text"]), SECTION_LIMIT)]
    main_sections, rest = sections[:MAIN_SECTIONS], sections[MAIN_SECTIONS:]
    replies = [rest[i : i + THREAD_SECTIONS] for i in range(0, len(rest), THREAD_SECTIONS)]
    context = context_line(draft)
    if replies:
        context += f" · continued in the thread ({len(replies) + 1} parts)"
    blocks = [*([_section(banner)] if banner else []), _title(draft["headline"]), *main_sections]
    blocks.append(_context(context))
    fallback = draft["headline"] if banner is None else f"{banner}: {draft['headline']}"
    main = {"text": escape(fallback), "blocks": blocks}
    thread = [
        {
            "text": escape(f"{draft['headline']} (part {n} of {len(replies) + 1})"),
            "blocks": [
                *part,
                _context(f"{escape(draft['headline'])}: part {n} of {len(replies) + 1}"),
            ],
        }
        for n, part in enumerate(replies, start=2)
    ]
    for message in (main, *thread):
        assert len(message["blocks"]) <= BLOCK_LIMIT
    return main, thread


def marker(post_id: int, part: str) -> dict[str, Any]:
    """Message metadata that lets a resumed run recognise a part it already sent."""
    return {"event_type": METADATA_EVENT, "event_payload": {"post": post_id, "part": part}}


class Slack:
    """The Slack Web API calls Patchbot makes, with errors turned into ``SlackFailure``."""

    def __init__(self, token: str, base_url: str, timeout: float = 30.0, retries: int = 3) -> None:
        # Only rate limits are retried here: slack-sdk's default connection-error retry could
        # post a message twice when a connection drops after Slack took it.
        self.client = WebClient(
            token=token,
            base_url=base_url,
            timeout=int(max(1, timeout)),
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=retries)],
        )
        self._channel_ids: dict[str, str] = {}

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call a Web API method through slack-sdk's own method (which picks JSON or form)."""
        function = getattr(self.client, method.replace(".", "_"))
        try:
            response = function(**kwargs)
        except SlackApiError as error:
            status = error.response.status_code
            code = str(error.response.get("error", f"HTTP {status}"))
            raise SlackFailure(f"Slack {method}: {code}", code, status) from None
        except (SlackRequestError, OSError) as error:
            raise SlackFailure(
                f"Slack {method}: connection failed ({type(error).__name__})", "connection"
            ) from None
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data

    def check(self, channels: list[str]) -> None:
        """Before anything is posted: the token works and every channel exists."""
        try:
            self._call("auth.test")
            for channel in channels:
                self.channel_id(channel)
        except SlackFailure as failure:
            raise PatchbotError(explain(failure)) from None

    def channel_id(self, channel: str) -> str:
        """Slack's ID for a channel given as an ID, 'name' or '#name'."""
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        if _CHANNEL_ID.match(channel):
            found = self._call("conversations.info", channel=channel)["channel"]["id"]
        else:
            found = self._find_channel(channel.removeprefix("#"))
        self._channel_ids[channel] = found
        return str(found)

    def _find_channel(self, name: str) -> str:
        """A channel's ID by name: public and private channels, or public ones only when the
        app lacks ``groups:read`` (private channels are optional)."""
        try:
            return self._list_channel(name, "public_channel,private_channel")
        except SlackFailure as failure:
            if failure.code != "missing_scope":
                raise
            return self._list_channel(name, "public_channel")

    def _list_channel(self, name: str, types: str) -> str:
        cursor = ""
        while True:
            page = self._call(
                "conversations.list", types=types, exclude_archived=True, limit=200, cursor=cursor
            )
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = page.get("response_metadata", {}).get("next_cursor", "")
            if not cursor:
                raise SlackFailure(f"channel #{name} not found", "channel_not_found")

    def post(
        self,
        channel_id: str,
        message: Message,
        metadata: dict[str, Any],
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> str:
        """Post a message (or thread reply); its ts."""
        extra: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        if broadcast:
            extra["reply_broadcast"] = True
        response = self._call(
            "chat.postMessage",
            channel=channel_id,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
            link_names=False,
            **message,
            **extra,
        )
        return str(response["ts"])

    def update(self, channel_id: str, ts: str, message: Message) -> None:
        self._call("chat.update", channel=channel_id, ts=ts, **message)

    def find_sent(
        self,
        channel_id: str,
        metadata: dict[str, Any],
        thread_ts: str | None = None,
        since: float | None = None,
    ) -> str | None:
        """The ts of an earlier message carrying this metadata, if Slack has one (looking back
        to ``since``, a Unix time, when the attempt started)."""
        for message in self._recent(channel_id, thread_ts, since):
            if message.get("metadata", {}).get("event_payload") == metadata["event_payload"]:
                return str(message["ts"])
        return None

    def find_file(
        self, channel_id: str, thread_ts: str, filename: str, since: float | None = None
    ) -> str | None:
        """The id of a file with this name already shared in the thread, if any."""
        for message in self._recent(channel_id, thread_ts, since):
            for shared in message.get("files", []):
                if shared.get("name") == filename:
                    return str(shared["id"])
        return None

    def _recent(
        self, channel_id: str, thread_ts: str | None, since: float | None, pages: int = 20
    ) -> Iterator[dict[str, Any]]:
        """Messages of the channel (or thread) since a time, page by page."""
        method = "conversations.replies" if thread_ts else "conversations.history"
        query: dict[str, Any] = {"channel": channel_id, "include_all_metadata": True, "limit": 200}
        if thread_ts:
            query["ts"] = thread_ts
        if since is not None:
            query["oldest"] = f"{since - 60:.6f}"  # a minute's grace for clocks
        for _page in range(pages):
            data = self._call(method, **query)
            yield from data.get("messages", [])
            cursor = data.get("response_metadata", {}).get("next_cursor", "")
            if not cursor:
                return
            query["cursor"] = cursor

    def upload(
        self,
        channel_id: str,
        thread_ts: str,
        filename: str,
        content: bytes,
        title: str,
        alt_text: str | None = None,
    ) -> str:
        """Upload a file (the plain copy, a chart, a map) into the thread; the file's id."""
        extra = {"alt_txt": alt_text} if alt_text else {}
        response = self._call(
            "files.upload_v2",
            channel=channel_id,
            thread_ts=thread_ts,
            filename=filename,
            content=content,
            title=title,
            **extra,
        )
        files = response.get("files") or [response.get("file") or {}]
        return str(files[0].get("id", ""))


def explain(failure: SlackFailure) -> str:
    """A one-line, actionable message for the errors an operator can fix."""
    if failure.code in AUTH_ERRORS:
        return f"SLACK_BOT_TOKEN: Slack refused the token ({failure.code}); check it in .env"
    if failure.code in CHANNEL_ERRORS:
        return (
            f"SLACK_CHANNEL: {failure} — check the channel name and invite the bot "
            "(/invite @Patchbot)"
        )
    if failure.code == "missing_scope":
        return f"{failure}: the Slack app lacks a scope (see README, 'Slack setup')"
    return str(failure)
