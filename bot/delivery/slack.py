"""Slack, the first delivery target: Block Kit messages for a draft, and the few Web API calls
Patchbot makes.

Messages keep within Slack's limits (a header of at most 150 characters, sections of at most
3,000, at most 50 blocks): a long story continues in the thread, never cut. Text from the data
is escaped for mrkdwn (``&``, ``<``, ``>``) and sent ``verbatim``, so no area name can become a
mention, a channel ping or a link.

Only rate limits are retried inside slack-sdk (a 429 means Slack did nothing). Every other
failure comes back to the courier (``bot.delivery.courier``), which checks Slack for the
message before trying again, so a dropped connection never leaves a duplicate.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.delivery.target import (
    Attachment,
    DeliveryFailure,
    Message,
    Notice,
    NoticeKind,
    PartKey,
    Place,
    register_target,
)
from bot.errors import PatchbotError
from bot.housestyle import uk_date

if TYPE_CHECKING:
    from bot.settings import Settings

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
MAIN_SECTIONS = 5  # sections in the channel message; the rest continue in the thread
THREAD_SECTIONS = 40  # sections per thread reply
METADATA_EVENT = "patchbot_story_part"
PHE = "Public Health England"  # the publisher of a draft that names none (posted before UKHSA)
ALERT_EVENT = "patchbot_alert"
RATE_LIMIT_RETRIES = 3  # a 429 means Slack did nothing: safe to retry inside slack-sdk
AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived"}
# Worth another try in the same run; anything else (say invalid_blocks) is kept for the next.
TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class SlackFailure(DeliveryFailure):
    """A Slack call that failed, with Slack's error code: a bad token or channel is fatal;
    server errors and dropped connections are transient."""

    def __init__(self, message: str, code: str, status: int | None = None) -> None:
        super().__init__(
            message,
            fatal=code in AUTH_ERRORS or code in CHANNEL_ERRORS,
            transient=code in TRANSIENT_ERRORS or code == "connection" or (status or 0) >= 500,
        )
        self.code = code

    def explain(self) -> str:
        if self.code in AUTH_ERRORS:
            return f"SLACK_BOT_TOKEN: Slack refused the token ({self.code}); check it in .env"
        if self.code in CHANNEL_ERRORS:
            return (
                f"SLACK_CHANNEL: {self} — check the channel name and invite the bot "
                "(/invite @Patchbot)"
            )
        if self.code == "missing_scope":
            return f"{self}: the Slack app lacks a scope (see README, 'Slack setup')"
        return str(self)


def escape(text: str) -> str:
    """mrkdwn escaping: these three characters are all Slack asks to be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pack(text: str, limit: int, separators: tuple[str, ...]) -> tuple[list[str], str]:
    """Pieces of at most ``limit`` characters, joining what fits with the first separator and
    splitting what does not at the next ones (words last); the last piece stays open, for the
    text that follows."""
    if not separators:  # at word boundaries, each cut keeping its space
        done = []
        while len(text) > limit:
            cut = text.rfind(" ", 0, limit) + 1 or limit
            done.append(text[:cut])
            text = text[cut:]
        return done, text
    separator, finer = separators[0], separators[1:]
    done, piece = [], ""
    for block in text.split(separator):
        joined = f"{piece}{separator}{block}" if piece else block
        if len(joined) <= limit:
            piece = joined
            continue
        if piece:
            done.append(piece)
        whole, piece = _pack(block, limit, finer)
        done += whole
    return done, piece


def _chunks(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most ``limit`` characters, at paragraph, then line, then
    word boundaries; every character of the text ends up in exactly one piece."""
    done, last = _pack(text, limit, ("\n\n", "\n"))
    return [*done, last] if last else done


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
        publisher = initials(draft.get("publisher") or PHE)
        parts.append(f"{publisher} data published {uk_date(draft['release'], year=True)}")
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


def banner(notice: Notice) -> str:
    """The mrkdwn banner over a corrected or a revised story."""
    publisher = escape(notice.publisher or PHE)
    published = f" (data published {escape(notice.release)})" if notice.release else ""
    if notice.kind == NoticeKind.CORRECTION:
        return (
            f":warning: *CORRECTION*: {publisher} revised these figures{published}. This "
            "corrected draft replaces the one above."
        )
    return (
        f":warning: *REVISED*: {publisher} revised these figures{published}. Do not publish "
        "this version: see the latest correction in the thread."
    )


def initials(publisher: str) -> str:
    """How a dateline names a publisher: "Public Health England" -> "PHE", "UK Health Security
    Agency" -> "UKHSA"."""
    return "".join(word if word.isupper() else word[0] for word in publisher.split())


def marker(part: PartKey) -> dict[str, Any]:
    """Message metadata that lets a resumed run recognise a part it already sent."""
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {"post": part.post_id, "part": part.part},
    }


class Slack:
    """The Slack Web API calls Patchbot makes, with errors turned into ``SlackFailure``: a
    delivery ``Target`` (channels are its destinations, a message's ts its id)."""

    def __init__(
        self, token: str, base_url: str, timeout: float = 30.0, retries: int = RATE_LIMIT_RETRIES
    ) -> None:
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

    def check(self, destinations: Sequence[str]) -> None:
        """Before anything is posted: the token works and every channel exists."""
        try:
            self._call("auth.test")
            for channel in destinations:
                self.destination_id(channel)
        except SlackFailure as failure:
            raise PatchbotError(failure.explain()) from None

    def destination_id(self, destination: str) -> str:
        """Slack's ID for a channel given as an ID, 'name' or '#name'."""
        if destination in self._channel_ids:
            return self._channel_ids[destination]
        if _CHANNEL_ID.match(destination):
            found = self._call("conversations.info", channel=destination)["channel"]["id"]
        else:
            found = self._find_channel(destination.removeprefix("#"))
        self._channel_ids[destination] = found
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

    def compose(
        self, draft: dict[str, Any], notice: Notice | None = None
    ) -> tuple[Message, list[Message]]:
        return build_messages(draft, banner(notice) if notice else None)

    def send(self, place: Place, message: Message, part: PartKey, broadcast: bool = False) -> str:
        """Post a message (or thread reply) marked as this part; its ts."""
        return self._post(place.destination_id, message, marker(part), place.thread, broadcast)

    def _post(
        self,
        channel_id: str,
        message: Message,
        metadata: dict[str, Any],
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> str:
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

    def update(self, destination_id: str, message_id: str, message: Message) -> None:
        self._call("chat.update", channel=destination_id, ts=message_id, **message)

    def alert(self, destination: str, text: str) -> None:
        """A mrkdwn message, marked as an alert with the time it was sent."""
        mrkdwn = escape(text)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        message = {
            "text": mrkdwn,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}],
        }
        metadata = {"event_type": ALERT_EVENT, "event_payload": {"at": stamp}}
        self._post(self.destination_id(destination), message, metadata)

    def find_sent(self, place: Place, part: PartKey, since: float | None) -> str | None:
        """The ts of an earlier message marked as this part, if Slack has one (looking back
        to ``since``, a Unix time, when the attempt started)."""
        payload = marker(part)["event_payload"]
        for message in self._recent(place, since):
            if message.get("metadata", {}).get("event_payload") == payload:
                return str(message["ts"])
        return None

    def find_file(self, place: Place, filename: str, since: float | None) -> str | None:
        """The id of a file with this name already shared there, if any."""
        for message in self._recent(place, since):
            for shared in message.get("files", []):
                if shared.get("name") == filename:
                    return str(shared["id"])
        return None

    def _recent(
        self, place: Place, since: float | None, pages: int = 20
    ) -> Iterator[dict[str, Any]]:
        """Messages of the channel (or thread) since a time, page by page."""
        method = "conversations.replies" if place.thread else "conversations.history"
        query: dict[str, Any] = {
            "channel": place.destination_id,
            "include_all_metadata": True,
            "limit": 200,
        }
        if place.thread:
            query["ts"] = place.thread
        if since is not None:
            query["oldest"] = f"{since - 60:.6f}"  # a minute's grace for clocks
        for _page in range(pages):
            data = self._call(method, **query)
            yield from data.get("messages", [])
            cursor = data.get("response_metadata", {}).get("next_cursor", "")
            if not cursor:
                return
            query["cursor"] = cursor

    def upload(self, place: Place, attachment: Attachment) -> str:
        """Upload a file (the plain copy, a chart, a map) into the thread; the file's id."""
        extra = {"alt_txt": attachment.alt_text} if attachment.alt_text else {}
        response = self._call(
            "files.upload_v2",
            channel=place.destination_id,
            thread_ts=place.thread,
            filename=attachment.filename,
            content=attachment.content,
            title=attachment.title,
            **extra,
        )
        files = response.get("files") or [response.get("file") or {}]
        return str(files[0].get("id", ""))


@register_target("slack")
def slack_target(settings: Settings) -> Slack:
    """Slack as configured: SLACK_BOT_TOKEN, SLACK_API_URL, SLACK_TIMEOUT."""
    if not settings.slack_token:
        raise PatchbotError("SLACK_BOT_TOKEN: not set; posting to Slack needs a bot token")
    return Slack(settings.slack_token, settings.slack_api_url, settings.slack_timeout)
