"""What a delivery target must do, and the registry that finds one by name.

A *target* is where drafts go (Slack is the first). The courier (``bot.delivery.courier``)
drives any target the same way: it checks the destinations, then sends each post part once,
asking the target first whether a part an earlier, interrupted attempt started is already there.
A destination is what the settings name (``#newsroom``); a destination id and a message id are
the target's own. Messages are the target's own payloads: the courier never looks inside.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    @classmethod
    def correction(cls, release: str | None, publisher: str | None = None) -> Notice:
        return cls(NoticeKind.CORRECTION, release, publisher)

    @classmethod
    def revised(cls, release: str | None, publisher: str | None = None) -> Notice:
        return cls(NoticeKind.REVISED, release, publisher)


@dataclass(frozen=True)
class Place:
    """Where in a target: a destination (by the target's id), and a thread in it, if any."""

    destination_id: str
    thread: str | None = None  # the message id the thread hangs from


@dataclass(frozen=True)
class PartKey:
    """One part of a post (``main``, ``thread-2``, ...): sent with it, so that it can be found."""

    post_id: int
    part: str


@dataclass(frozen=True)
class Attachment:
    """A file to upload into a post's thread: its plain copy, a chart, a map."""

    filename: str
    content: bytes
    title: str
    alt_text: str | None = None


class Target(Protocol):
    def check(self, destinations: Sequence[str]) -> None:
        """Before anything is sent: the credentials work and every destination exists;
        a PatchbotError naming the setting at fault otherwise."""

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
        """The message id of this part if it was sent since ``since`` (a Unix time)."""

    def upload(self, place: Place, attachment: Attachment) -> str:
        """Upload a file; the file's id."""

    def find_file(self, place: Place, filename: str, since: float | None) -> str | None:
        """The id of a file of this name already there (since ``since``), if any."""

    def update(self, destination_id: str, message_id: str, message: Message) -> None:
        """Replace a message sent earlier."""

    def alert(self, destination: str, text: str) -> None:
        """Tell the operators ``text``: plain text (the target escapes it), where ``:name:``
        may show as an emoji."""


TargetFactory = Callable[["Settings"], Target]
TARGETS: Registry[TargetFactory] = Registry("delivery target")
register_target = TARGETS.register  # ``@register_target("slack")`` on a target's factory


def target_for(settings: Settings, name: str = "slack") -> Target:
    """The named target, set up from the settings."""
    return TARGETS.find(name, "delivery target")(settings)
