"""What a delivery target must do, and the registry that finds one by name.

A *target* is where drafts go (Slack is the first). The courier (``bot.delivery.courier``)
drives any target the same way: it checks the destinations, then sends each post part once,
asking the target first whether a part an earlier, interrupted attempt (or a lost ledger) may
have sent is already there. A destination is what the settings name (``#newsroom``); a
destination id and a message id are the target's own. Messages are the target's own payloads:
the courier never looks inside.

Every part is sent with an *idempotency key* (``PartKey.key``) derived from what it is: the
workspace, the destination, the desk, patch, story, week, data release, version and hash of the
post, and the part. Two parts have the same key only if they are the same part, whichever
ledger or process sent them, so a target adopts a message only on an exact match.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from bot.registry import Registry

if TYPE_CHECKING:
    from bot.settings import Settings

Message = dict[str, Any]  # a target's own message payload (for Slack: chat.postMessage arguments)


class DeliveryFailure(Exception):
    """A target call that failed: ``fatal`` stops the run (a setting the operator must fix);
    ``transient`` is worth retrying at once (server errors, dropped connections). Anything
    else keeps the post for the next run."""

    def __init__(self, message: str, *, fatal: bool = False, transient: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal
        self.transient = transient

    def explain(self) -> str:
        """One line for the operator: what failed and, where they can, how to fix it."""
        return str(self)


class NoticeKind(StrEnum):
    CORRECTION = "correction"  # on a correction: these figures replace the version above
    REVISED = "revised"  # on an earlier version: do not publish these figures


@dataclass(frozen=True)
class Notice:
    """A banner over a post's headline, saying the publisher (PHE, UKHSA) revised its figures."""

    kind: NoticeKind
    release: str | None  # the data release with the new figures, where known
    publisher: str | None = None  # who revised them, where the draft says (else PHE)
    reviewer: str | None = None  # the target's user who holds the story (``bot.review``)

    @classmethod
    def correction(
        cls, release: str | None, publisher: str | None = None, reviewer: str | None = None
    ) -> Notice:
        return cls(NoticeKind.CORRECTION, release, publisher, reviewer)

    @classmethod
    def revised(cls, release: str | None, publisher: str | None = None) -> Notice:
        return cls(NoticeKind.REVISED, release, publisher)


@dataclass(frozen=True)
class Place:
    """Where in a target: a destination (by the target's id), and a thread in it, if any."""

    destination_id: str
    thread: str | None = None  # the message id the thread hangs from


@dataclass(frozen=True)
class PostIdentity:
    """What a post is, whichever ledger recorded it: the fields of its parts' keys."""

    desk: str
    patch: str
    story: str
    week_ending: str
    release: str
    version: int  # 1: the original; 2: its first correction...
    content_hash: str


@dataclass(frozen=True)
class PartKey:
    """One part of a post (``main``, ``thread-2``, ...): sent with it, so that it can be found."""

    post: PostIdentity
    part: str
    post_id: int  # the ledger's row, shown to people in the message's metadata; never matched
    legacy: bool = False  # sent before keys: also known by the old {"post", "part"} marker

    def key(self, workspace: str, destination_id: str) -> str:
        """The idempotency key of this part in one workspace and destination."""
        fields = [workspace, destination_id, *dataclasses.astuple(self.post), self.part]
        canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Attachment:
    """A file to upload into a post's thread: its plain copy, a chart, a map."""

    filename: str
    content: bytes
    title: str
    alt_text: str | None = None


class Target(Protocol):
    def check(self, destinations: Mapping[str, str]) -> None:
        """Before anything is sent: the credentials work and every destination exists (given
        as {setting: destination}); a PatchbotError naming the setting at fault otherwise, or
        a transient DeliveryFailure when the target cannot be reached (worth trying later)."""

    def destination_id(self, destination: str) -> str:
        """The target's id for a destination as configured."""

    def compose(
        self, draft: dict[str, Any], notice: Notice | None = None
    ) -> tuple[Message, list[Message]]:
        """A draft (the ledger's copy) as its main message and the continuations that go in
        the main message's thread."""

    def send(self, place: Place, message: Message, part: PartKey, broadcast: bool = False) -> str:
        """Send one part (``broadcast``: a thread reply shown in the destination too); its
        message id."""

    def find_sent(self, place: Place, part: PartKey, since: float | None) -> str | None:
        """The message id of this part if this app sent it since ``since`` (a Unix time;
        None: as far back as the target's bounded look-up goes)."""

    def upload(self, place: Place, attachment: Attachment) -> str:
        """Upload a file; the file's id."""

    def find_file(self, place: Place, filename: str, since: float | None) -> str | None:
        """The id of a file of this name this app already shared there (since ``since``)."""

    def update(self, destination_id: str, message_id: str, message: Message) -> None:
        """Replace a message sent earlier."""

    def alert(self, destination: str, text: str) -> None:
        """Tell the operators ``text``: plain text of any length (the target escapes it and
        splits it to its limits), where ``:name:`` may show as an emoji."""


TargetFactory = Callable[["Settings"], Target]
TARGETS: Registry[TargetFactory] = Registry("delivery target")
register_target = TARGETS.register  # ``@register_target("slack")`` on a target's factory


def target_for(settings: Settings, name: str = "slack") -> Target:
    """The named target, set up from the settings."""
    return TARGETS.find(name, "delivery target")(settings)
