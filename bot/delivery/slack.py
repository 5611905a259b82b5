"""Slack, the first delivery target: Block Kit messages for a draft, and the few Web API calls
Patchbot makes.

Messages keep within Slack's limits (a header of at most 150 characters, sections of at most
3,000, at most 50 blocks): a long story continues in the thread, never cut. Text from the data
is escaped for mrkdwn (``&``, ``<``, ``>``; ``* _ ~ ` `` kept literal) and sent ``verbatim``, so
no area name can become a mention, a channel ping, a link or formatting.

Each part goes with its idempotency key in the message metadata; a part is looked for by
that key among this app's own messages only (``find_sent``), so no other message, however
similar, is ever adopted. The calls themselves, bounded and retried where that is safe, are in
``slack_client``: a posting call that failed comes back to the courier
(``bot.delivery.courier``), which looks for the message before trying again, so a dropped
connection never leaves a duplicate.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from bot.delivery.slack_client import CHANNEL_ERRORS, SlackClient, SlackFailure
from bot.delivery.target import (
    Attachment,
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
ALERT_SECTIONS = 10  # sections per alert message (30,000 characters at most)
METADATA_EVENT = "patchbot_story_part"
PHE = "Public Health England"  # the publisher of a draft that names none (posted before UKHSA)
ALERT_EVENT = "patchbot_alert"
CHANNEL_PAGES = 50  # conversations.list: up to 10,000 channels
# A look-up for a part already sent reads at most this many pages of 200 messages: the
# channel's (or thread's) last 1,000 messages since the attempt started, or since the story's
# week ended when a post's main message is first sent (a lost ledger's run may have sent it).
HISTORY_PAGES = 5
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


# mrkdwn's bold, italic, strike and code marks: Slack has no escape for them. A mark formats
# only at a word's edge (never inside one, as in no_new_cases) and only with a partner on the
# same line, so a zero-width space either side of each such mark keeps it literal; a lone mark
# ("those marked *") cannot format and is left alone.
_MARK_AT_EDGE = re.compile(r"(?<!\w)[*_~`]|[*_~`](?!\w)")
ZERO_WIDTH_SPACE = "\u200b"


def _literal_markup(line: str) -> str:
    edges = [match.group() for match in _MARK_AT_EDGE.finditer(line)]
    if all(edges.count(mark) < 2 for mark in set(edges)):
        return line
    return _MARK_AT_EDGE.sub(
        lambda mark: f"{ZERO_WIDTH_SPACE}{mark.group()}{ZERO_WIDTH_SPACE}", line
    )


def escape(text: str) -> str:
    """mrkdwn escaping: ``&``, ``<`` and ``>`` as Slack asks, and ``* _ ~ ` `` kept literal, so a
    name in the data never turns bold, italic, struck through or into code."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "\n".join(_literal_markup(line) for line in text.split("\n"))


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


def text_chunks(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most ``limit`` characters, at paragraph, then line, then
    word boundaries; every character of the text ends up in exactly one piece."""
    done, last = _pack(text, limit, ("\n\n", "\n"))
    return [*done, last] if last else done


def section_block(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def title_block(headline: str) -> dict[str, Any]:
    if len(headline) <= HEADER_LIMIT:
        return {"type": "header", "text": {"type": "plain_text", "text": headline}}
    return section_block(f"*{escape(headline)}*")  # too long for a header block: never cut it


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
    sections = [section_block(chunk) for chunk in text_chunks(escape(draft["text"]), SECTION_LIMIT)]
    main_sections, rest = sections[:MAIN_SECTIONS], sections[MAIN_SECTIONS:]
    replies = [rest[i : i + THREAD_SECTIONS] for i in range(0, len(rest), THREAD_SECTIONS)]
    context = context_line(draft)
    if replies:
        context += f" · continued in the thread ({len(replies) + 1} parts)"
    banner_blocks = [section_block(banner)] if banner else []
    blocks = [*banner_blocks, title_block(draft["headline"]), *main_sections]
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
        text = (
            f":warning: *CORRECTION*: {publisher} revised these figures{published}. This "
            "corrected draft replaces the one above."
        )
        if notice.reviewer:  # the reporter who claimed or approved the story hears first
            text += f" <@{notice.reviewer}>: this story is yours, check what changed."
        return text
    return (
        f":warning: *REVISED*: {publisher} revised these figures{published}. Do not publish "
        "this version: see the latest correction in the thread."
    )


def initials(publisher: str) -> str:
    """How a dateline names a publisher: "Public Health England" -> "PHE", "UK Health Security
    Agency" -> "UKHSA"."""
    return "".join(word if word.isupper() else word[0] for word in publisher.split())


def marker(part: PartKey, key: str) -> dict[str, Any]:
    """Message metadata that lets any later run recognise the part: its idempotency key (what
    is matched), and for people the desk, story and ledger row."""
    payload = {"key": key, "desk": part.post.desk, "story": part.post.story}
    return {"event_type": METADATA_EVENT, "event_payload": {**payload, "post": part.post_id,
                                                          "part": part.part}}  # fmt: skip


def alert_messages(text: str) -> list[Message]:
    """An alert of any length as messages within Slack's limits (sections of at most 3,000
    characters, at most ``ALERT_SECTIONS`` a message), split as stories are."""
    sections = [section_block(chunk) for chunk in text_chunks(escape(text), SECTION_LIMIT)]
    messages = []
    for start in range(0, len(sections), ALERT_SECTIONS):
        blocks = sections[start : start + ALERT_SECTIONS]
        fallback = "\n".join(block["text"]["text"] for block in blocks)
        messages.append({"text": fallback, "blocks": blocks})
    return messages


class Slack:
    """The Slack Web API calls Patchbot makes (``slack_client``): a delivery ``Target``
    (channels are its destinations, a message's ts its id)."""

    def __init__(self, client: SlackClient, interactive: bool = False) -> None:
        self.client = client
        self.interactive = interactive  # review buttons under each draft (``bot.review``)
        self._channel_ids: dict[str, str] = {}

    def check(self, destinations: Mapping[str, str]) -> None:
        """Before anything is posted: the token works and every channel exists. A channel that
        does not is named by its own setting; a Slack that cannot be reached is a transient
        ``SlackFailure`` (the stories are kept for the next run)."""
        setting = "SLACK_BOT_TOKEN"
        try:
            self.client.identity()
            for setting, channel in destinations.items():  # noqa: B007 (named in the error)
                self.destination_id(channel)
        except SlackFailure as failure:
            if failure.fatal:
                raise PatchbotError(failure.explain(setting)) from None
            raise

    def destination_id(self, destination: str) -> str:
        """Slack's ID for a channel given as an ID, 'name' or '#name'."""
        if destination in self._channel_ids:
            return self._channel_ids[destination]
        if _CHANNEL_ID.match(destination):
            try:
                found = self.client.call("conversations.info", channel=destination)["channel"]
            except SlackFailure as failure:
                if failure.code not in CHANNEL_ERRORS:
                    raise
                raise SlackFailure(f"channel {destination} not found", failure.code) from None
            found_id = str(found["id"])
        else:
            found_id = self._find_channel(destination.removeprefix("#"))
        self._channel_ids[destination] = found_id
        return found_id

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
        query = {"types": types, "exclude_archived": True, "limit": 200}
        for page in self.client.pages("conversations.list", query, CHANNEL_PAGES):
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return str(channel["id"])
        raise SlackFailure(f"channel #{name} not found", "channel_not_found")

    def compose(
        self, draft: dict[str, Any], notice: Notice | None = None
    ) -> tuple[Message, list[Message]]:
        main, thread = build_messages(draft, banner(notice) if notice else None)
        if self.interactive:
            from bot.review.blocks import actions_block

            main = {**main, "blocks": [*main["blocks"], actions_block()]}
        return main, thread

    def _key(self, place: Place, part: PartKey) -> str:
        return part.key(self.client.identity().team_id, place.destination_id)

    def send(self, place: Place, message: Message, part: PartKey, broadcast: bool = False) -> str:
        """Post a message (or thread reply) marked with this part's key; its ts."""
        metadata = marker(part, self._key(place, part))
        return self._post(place.destination_id, message, metadata, place.thread, broadcast)

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
        response = self.client.call(
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
        self.client.call("chat.update", channel=destination_id, ts=message_id, **message)

    def alert(self, destination: str, text: str) -> None:
        """mrkdwn messages, split to Slack's limits, marked as an alert with the time sent."""
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        metadata = {"event_type": ALERT_EVENT, "event_payload": {"at": stamp}}
        channel_id = self.destination_id(destination)
        for message in alert_messages(text):
            self._post(channel_id, message, metadata)

    def find_sent(self, place: Place, part: PartKey, since: float | None) -> str | None:
        """The ts of a message this app sent with this part's key, if Slack has one (looking
        back to ``since``, a Unix time). A part sent before keys is known by its old marker."""
        key = self._key(place, part)
        legacy = {"post": part.post_id, "part": part.part} if part.legacy else None
        identity = self.client.identity()
        for message in self._recent(place, since):
            payload = message.get("metadata", {}).get("event_payload") or {}
            if identity.sent(message) and (payload.get("key") == key or payload == legacy):
                return str(message["ts"])
        return None

    def find_file(self, place: Place, filename: str, since: float | None) -> str | None:
        """The id of a file with this name this app already shared there, if any."""
        identity = self.client.identity()
        for message in self._recent(place, since):
            for shared in message.get("files", []) if identity.sent(message) else []:
                if shared.get("name") == filename:
                    return str(shared["id"])
        return None

    def _recent(self, place: Place, since: float | None) -> Iterator[dict[str, Any]]:
        """Messages of the channel (or thread) since a time: at most ``HISTORY_PAGES`` pages
        of 200, newest first."""
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
        for page in self.client.pages(method, query, HISTORY_PAGES):
            yield from page.get("messages", [])

    def upload(self, place: Place, attachment: Attachment) -> str:
        """Upload a file (the plain copy, a chart, a map) into the thread; the file's id."""
        extra = {"alt_txt": attachment.alt_text} if attachment.alt_text else {}
        response = self.client.call(
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
    """Slack as configured: SLACK_BOT_TOKEN, SLACK_API_URL, SLACK_TIMEOUT, SLACK_RETRIES,
    SLACK_BACKOFF, SLACK_MAX_WAIT; review buttons with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET."""
    if not settings.slack_token:
        raise PatchbotError("SLACK_BOT_TOKEN: not set; posting to Slack needs a bot token")
    return Slack(
        SlackClient(
            settings.slack_token,
            settings.slack_api_url,
            timeout=settings.slack_timeout,
            retries=settings.slack_retries,
            backoff=settings.slack_backoff,
            max_wait=settings.slack_max_wait,
        ),
        interactive=settings.slack_interactive,
    )
