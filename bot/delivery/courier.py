"""Deliver drafts through the ledger: post each story once, correct revised ones, keep failed
ones for the next run, and tell the ops channel what went wrong. Works with any ``Target``."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.backoff import Backoff
from bot.corrections import release_date, with_changes
from bot.delivery.alerts import OpsAlerts, bullets
from bot.delivery.target import (
    Attachment,
    DeliveryFailure,
    Message,
    Notice,
    PartKey,
    Place,
    PostIdentity,
    Target,
)
from bot.errors import PatchbotError
from bot.geography import slug
from bot.state import DEFAULT_DESK, Ledger, Post, PostKind, PostStatus, StoredPicture, content_hash
from bot.stories import Draft, DraftSet

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 60.0  # seconds: a retry never holds the run up longer than this
MAIN = "main"  # the part that is the post's message in the channel


@dataclass
class DeliveryReport:
    posted: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (story label, why)
    settings_changed: list[str] = field(default_factory=list)  # differ, not by the publisher
    stopped: list[str] = field(default_factory=list)  # left pending: the service was stopping

    def summary(self) -> str:
        parts = [
            f"{len(self.posted)} posted",
            f"{len(self.corrected)} corrected",
            f"{len(self.unchanged)} already posted",
            f"{len(self.kept)} kept for the next run",
        ]
        if self.stopped:
            parts.append(f"{len(self.stopped)} left for the next run (stopping)")
        return ", ".join(parts)


def ledger_draft(drafts: DraftSet, index: int) -> dict[str, Any]:
    """What the ledger keeps of a draft: enough to post it again without the data."""
    draft = drafts.drafts[index]
    return {
        **draft.as_json(),
        "patch": drafts.patch.name,
        "week_ending": drafts.week_ending.isoformat(),
        "release": drafts.release.isoformat() if drafts.release else None,
        "origin": drafts.origin,
        "publisher": drafts.dataset.publisher if drafts.dataset else None,
    }


def label(post: Post) -> str:
    kind = "correction to " if post.kind == PostKind.CORRECTION else ""
    return f"{kind}{post.story} ({post.patch}, week to {post.week_ending})"


def file_name(post: Post) -> str:
    return f"{post.week_ending}_{post.story}_{slug(post.patch)}{_version_suffix(post.version)}.txt"


def _version_suffix(version: int) -> str:
    """Files of a correction are named for it: the same for any ledger that records it."""
    return f"_correction-{version - 1}" if version > 1 else ""


def plain_copy(draft: dict[str, Any]) -> str:
    return f"{draft['headline']}\n\n{draft['text']}\n"


class Reviewing(Protocol):
    """Reporters' review of the stories (``bot.review``), as a correction needs it."""

    def holder(self, original: Post) -> str | None:
        """The target's user who holds the story (claimed, approved...), if anyone."""

    def corrected(self, original: Post, correction: Post) -> None:
        """Record that the publisher corrected a story, and show it on its message."""


class Courier:
    """Sends the ledger's pending posts, one part at a time, resumable at every step: each
    part's start is recorded before it is sent, and a part that may have been sent already
    (by an interrupted attempt, or by a run whose ledger was lost) is looked for at the target
    first, by its idempotency key."""

    def __init__(
        self,
        ledger: Ledger,
        target: Target,
        retries: int = 2,
        backoff: float = 2.0,
        max_wait: float = MAX_RETRY_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        reviews: Reviewing | None = None,
    ) -> None:
        self.ledger = ledger
        self.target = target
        self.reviews = reviews
        self.attempts = retries + 1
        self.backoff = Backoff(backoff, cap=min(MAX_RETRY_WAIT, max_wait))
        self.sleep = sleep

    def _once(
        self,
        post: Post,
        part: PartKey,
        send: Callable[[], str],
        find: Callable[[float | None], str | None],
    ) -> tuple[str, bool]:
        """Send one part exactly once; its message id, and whether it was sent now. A part
        this ledger started, or any part of a post found at the target, is looked for there
        first; so is a post's main message before its first sending, in case a lost ledger
        sent it (looking back to the end of the story's week)."""
        known = self.ledger.part(post.id, part.part)
        if known.message_id:
            return known.message_id, False
        look, since = known.started or post.adopted, known.since
        if part.part == MAIN and not known.started:
            look, since = True, week_end(post)
        for attempt in range(1, self.attempts + 1):
            try:
                found = find(since) if look else None
                if found:
                    log.info("resume post=%d part=%s found=%s", post.id, part.part, found)
                    if part.part == MAIN and not known.started:
                        self.ledger.mark_adopted(post.id)
                    self.ledger.finish_part(post.id, part.part, found)
                    return found, False
                self.ledger.start_part(post.id, part.part)
                look, since = True, since or time.time()
                message_id = send()
                self.ledger.finish_part(post.id, part.part, message_id)
                return message_id, True
            except DeliveryFailure as failure:
                if not failure.transient or attempt == self.attempts:
                    raise
                wait = self.backoff.wait(attempt)
                log.warning(
                    "deliver attempt=%d/%d post=%d part=%s problem=%r retry_in=%.1fs",
                    attempt, self.attempts, post.id, part.part, str(failure), wait,
                )  # fmt: skip
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _message(
        self, post: Post, name: str, place: Place, message: Message, broadcast: bool = False
    ) -> tuple[str, bool]:
        part = part_key(post, name)
        return self._once(
            post,
            part,
            lambda: self.target.send(place, message, part, broadcast),
            lambda since: self.target.find_sent(place, part, since),
        )

    def _file(self, post: Post, name: str, place: Place, file: Attachment) -> bool:
        return self._once(
            post,
            part_key(post, name),
            lambda: self.target.upload(place, file),
            lambda since: self.target.find_file(place, file.filename, since),
        )[1]

    def send(self, post: Post) -> bool:
        """Every part of a post: its message, continuations, plain copy and pictures; for a
        correction, the earlier versions marked revised. False if every part was found at
        the target already (nothing sent)."""
        draft = shown = post.draft
        original = self.ledger.get(post.corrects) if post.corrects else None
        notice = None
        if original is None:
            place = Place(self.target.destination_id(post.channel))
        elif original.channel_id and original.ts:  # a correction goes in the original's thread
            place = Place(original.channel_id, original.ts)
            holder = self.reviews.holder(original) if self.reviews else None
            notice = Notice.correction(release_date(draft), draft.get("publisher"), holder)
            shown = with_changes(self._previous(post, original).draft, draft)
        else:  # the original is still on its way: it goes first
            raise DeliveryFailure("the original has not reached Slack yet")
        post = self.ledger.get(post.id)  # as it stands now (adopted, parts)
        main, continued = self.target.compose(shown, notice)
        main_id, sent = self._message(post, MAIN, place, main, broadcast=original is not None)
        self.ledger.set_main(post.id, place.destination_id, main_id)
        post = self.ledger.get(post.id)
        thread = Place(place.destination_id, place.thread or main_id)
        for number, message in enumerate(continued, start=2):
            sent |= self._message(post, f"thread-{number}", thread, message)[1]
        copy = Attachment(file_name(post), plain_copy(draft).encode(), draft["headline"])
        sent |= self._file(post, "file", thread, copy)
        for picture in self.ledger.pictures(post.id):
            file = Attachment(picture.filename, picture.png, picture.title, picture.alt_text)
            sent |= self._file(post, f"picture:{picture.filename}", thread, file)
        if original is not None:
            for earlier in self.ledger.versions(post.story, post.patch, post.week_ending):
                posted = earlier.status == PostStatus.POSTED
                if earlier.id < post.id and posted and not earlier.revised:
                    self._mark_revised(earlier, post)
            if self.reviews:
                self.reviews.corrected(original, post)
        self.ledger.mark_posted(post.id)
        return sent

    def _previous(self, correction: Post, original: Post) -> Post:
        """The version a correction replaces (its copy says what changed since): the latest
        posted before it."""
        versions = self.ledger.versions(correction.story, correction.patch, correction.week_ending)
        posted = [v for v in versions if v.id < correction.id and v.status == PostStatus.POSTED]
        return posted[-1] if posted else original

    def _mark_revised(self, earlier: Post, correction: Post) -> None:
        """Update an earlier version (the original, or an earlier correction) so nobody
        publishes its figures; safe to repeat."""
        assert earlier.channel_id
        assert earlier.ts
        draft = correction.draft
        notice = Notice.revised(release_date(draft), draft.get("publisher"))
        main, _continued = self.target.compose(earlier.draft, notice)
        destination_id, message_id = earlier.channel_id, earlier.ts

        def update() -> str:
            self.target.update(destination_id, message_id, main)
            return message_id

        name = f"mark-revised:{earlier.id}"
        self._once(correction, part_key(correction, name), update, lambda _: None)
        self.ledger.mark_revised(earlier.id)


def part_key(post: Post, part: str) -> PartKey:
    """A part of a post, as the target knows it: by what the post is, not by its row."""
    identity = PostIdentity(
        post.desk, post.patch, post.story, post.week_ending, post.release, post.version,
        post.content_hash,
    )  # fmt: skip
    return PartKey(identity, part, post.id, post.legacy)


def week_end(post: Post) -> float:
    """The start of the last day of the post's week (a Unix time): nothing of it can have been
    sent before."""
    day = dt.date.fromisoformat(post.week_ending)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()


def register(
    drafts: DraftSet, ledger: Ledger, destination_for: Callable[[str], str]
) -> DeliveryReport:
    """Record this run's drafts in the ledger. A story is compared with its latest version at
    the target: the same figures post nothing; new figures from a new data release become one
    correction of the original; a version that never reached the target is replaced. Each new
    version's pictures are drawn first, then recorded with it in one transaction."""
    report = DeliveryReport()
    week = drafts.week_ending.isoformat()
    release = drafts.release.isoformat() if drafts.release else ""
    for index, draft in enumerate(drafts.drafts):
        digest = content_hash(draft.facts)
        versions = ledger.versions(draft.story, drafts.patch.name, week)
        reached = [v for v in versions if ledger.reached_target(v)]
        unsent = [v for v in versions if v.status == PostStatus.PENDING and v not in reached]
        latest = reached[-1] if reached else None
        if unsent and unsent[-1].content_hash == digest:
            continue  # waiting to be sent: it goes out below with the others
        if latest is not None and (
            latest.content_hash == digest or latest.release == release != ""
        ):
            # The same figures; or the same data release, so the difference comes from the
            # story settings or templates, not from PHE: not a correction.
            for version in unsent:
                ledger.supersede(version.id)
            if latest.status == PostStatus.POSTED:
                report.unchanged.append(label(latest))
                if latest.content_hash != digest:
                    report.settings_changed.append(label(latest))
            continue
        root = next((v for v in reached if v.kind == PostKind.ORIGINAL), None)
        number = len(reached) + 1 if root else 1
        ledger.add(
            ledger_draft(drafts, index),
            patch=drafts.patch.name,
            week_ending=week,
            release=release,
            version=number,
            destination=root.channel if root else destination_for(draft.story),
            corrects=root.id if root else None,
            pictures=_pictures(drafts, draft, number),
        )
    return report


def _pictures(drafts: DraftSet, draft: Draft, version: int) -> list[StoredPicture]:
    """A draft's pictures, named for the version they go with."""
    from bot.pictures import pictures_for  # matplotlib: only loaded when posting

    suffix = _version_suffix(version)
    return [
        StoredPicture(p.filename.replace(".png", f"{suffix}.png"), p.title, p.alt_text, p.png)
        for p in pictures_for(drafts, draft)
    ]


@dataclass(frozen=True)
class Routing:
    """Where one desk's posts go: each story's destination, and every destination in use
    (the ops channel included) with the setting that names it, so that a bad one is reported
    by its own setting."""

    destination_for: Callable[[str], str]
    destinations: Mapping[str, str]  # {setting: destination}


def deliver(
    drafts: DraftSet,
    ledger: Ledger,
    courier: Courier,
    routing: Routing,
    alerts: OpsAlerts,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Post every pending story of the desk (this run's and any kept from earlier runs).
    ``stop`` is asked before each story: once it is true the story being sent has been
    finished, and the rest stay pending in the ledger for the next run. A target that cannot
    be reached keeps every story for the next run."""
    target = courier.target
    try:
        # Destinations first, so a mistyped one stops the run before anything is recorded.
        target.check(routing.destinations)
    except DeliveryFailure as failure:
        report = register(drafts, ledger, routing.destination_for)
        for post in ledger.pending():
            ledger.record_failure(post.id, failure.explain())
            report.kept.append((label(post), failure.explain()))
        _tell_problems(alerts, drafts, ledger, report)
        return report
    report = register(drafts, ledger, routing.destination_for)
    for post in ledger.pending():  # an original not yet sent goes where the settings say now
        if post.kind == PostKind.ORIGINAL and not ledger.reached_target(post):
            destination = routing.destination_for(post.story)
            if destination != post.channel:
                ledger.set_destination(post.id, destination)
    pending = ledger.pending()
    started = {post.channel for post in pending if post.corrects is None}
    target.check({f"PATCHBOT_STATE_DIR (a story started in {name})": name for name in started})
    for index, post in enumerate(pending):
        if stop is not None and stop():
            report.stopped.extend(label(rest) for rest in pending[index:])
            break
        try:
            sent = courier.send(post)
        except DeliveryFailure as failure:
            ledger.record_failure(post.id, str(failure))
            if failure.fatal:
                alerts.tell([failure.explain()], lambda found: f"Patchbot stopped: {found[0]}")
                raise PatchbotError(failure.explain()) from None
            report.kept.append((label(post), str(failure)))
            continue
        if not sent:
            report.unchanged.append(label(post))  # found at the target: nothing sent
        elif post.kind == PostKind.CORRECTION:
            report.corrected.append(label(post))
        else:
            report.posted.append(label(post))
    _tell_problems(alerts, drafts, ledger, report)
    return report


def _tell_problems(
    alerts: OpsAlerts, drafts: DraftSet, ledger: Ledger, report: DeliveryReport
) -> None:
    problems = [f"not posted, kept for the next run: {name}: {why}" for name, why in report.kept]
    problems += [f"not drafted (template error): {story}: {why}" for story, why in drafts.failed]
    who = (
        drafts.patch.name if ledger.desk == DEFAULT_DESK else f"{ledger.desk}: {drafts.patch.name}"
    )
    alerts.tell(problems, lambda found: f":warning: Patchbot ({who}):" + bullets(found))
