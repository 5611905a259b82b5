"""Deliver drafts through the ledger: post each story once, correct revised ones, keep failed
ones for the next run, and tell the ops channel what went wrong. Works with any ``Target``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.backoff import Backoff
from bot.corrections import release_date, with_changes
from bot.delivery.target import Attachment, DeliveryFailure, Message, Notice, PartKey, Place, Target
from bot.errors import PatchbotError
from bot.geography import slug
from bot.state import Ledger, Post, PostKind, PostStatus, StoredPicture, content_hash
from bot.stories import DraftSet

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 60.0  # seconds: a retry never holds the run up longer than this


@dataclass
class DeliveryReport:
    posted: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (story label, why)
    settings_changed: list[str] = field(default_factory=list)  # differ, but not by PHE
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
    }


def label(post: Post) -> str:
    kind = "correction to " if post.kind == PostKind.CORRECTION else ""
    return f"{kind}{post.story} ({post.patch}, week to {post.week_ending})"


def file_name(post: Post) -> str:
    revised = f"_correction-{post.id}" if post.kind == PostKind.CORRECTION else ""
    return f"{post.week_ending}_{post.story}_{slug(post.patch)}{revised}.txt"


def plain_copy(draft: dict[str, Any]) -> str:
    return f"{draft['headline']}\n\n{draft['text']}\n"


class Courier:
    """Sends the ledger's pending posts, one part at a time, resumable at every step: each
    part's start is recorded before it is sent, and a part that may have been sent already
    is looked for at the target first."""

    def __init__(
        self,
        ledger: Ledger,
        target: Target,
        retries: int = 2,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ledger = ledger
        self.target = target
        self.attempts = retries + 1
        self.backoff = Backoff(backoff, cap=MAX_RETRY_WAIT)
        self.sleep = sleep

    def _once(
        self,
        part: PartKey,
        send: Callable[[], str],
        find: Callable[[float | None], str | None],
    ) -> str:
        """Send one part exactly once: if an earlier attempt may have reached the target, look
        for it there (since that attempt started) before sending again."""
        known = self.ledger.part(part.post_id, part.part)
        if known.message_id:
            return known.message_id
        started, since = known.started, known.since
        for attempt in range(1, self.attempts + 1):
            try:
                found = find(since) if started else None
                if found:
                    log.info("resume post=%d part=%s found=%s", part.post_id, part.part, found)
                    message_id = found
                else:
                    self.ledger.start_part(part.post_id, part.part)
                    started, since = True, since or time.time()
                    message_id = send()
                self.ledger.finish_part(part.post_id, part.part, message_id)
                return message_id
            except DeliveryFailure as failure:
                if not failure.transient or attempt == self.attempts:
                    raise
                wait = self.backoff.wait(attempt)
                log.warning(
                    "deliver attempt=%d/%d post=%d part=%s problem=%r retry_in=%.1fs",
                    attempt, self.attempts, part.post_id, part.part, str(failure), wait,
                )  # fmt: skip
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _message(
        self, part: PartKey, place: Place, message: Message, broadcast: bool = False
    ) -> str:
        return self._once(
            part,
            lambda: self.target.send(place, message, part, broadcast),
            lambda since: self.target.find_sent(place, part, since),
        )

    def _file(self, part: PartKey, place: Place, file: Attachment) -> str:
        return self._once(
            part,
            lambda: self.target.upload(place, file),
            lambda since: self.target.find_file(place, file.filename, since),
        )

    def send(self, post: Post) -> None:
        """Every part of a post: its message, continuations, plain copy and pictures; for a
        correction, the earlier versions marked revised."""
        draft = shown = post.draft
        original = self.ledger.get(post.corrects) if post.corrects else None
        notice = None
        if original is None:
            place = Place(self.target.destination_id(post.channel))
        elif original.channel_id and original.ts:  # a correction goes in the original's thread
            place = Place(original.channel_id, original.ts)
            notice = Notice.correction(release_date(draft))
            shown = with_changes(self._previous(post, original).draft, draft)
        else:  # the original is still on its way: it goes first
            raise DeliveryFailure("the original has not reached Slack yet")
        main, continued = self.target.compose(shown, notice)
        main_id = self._message(
            PartKey(post.id, "main"), place, main, broadcast=original is not None
        )
        self.ledger.set_main(post.id, place.destination_id, main_id)
        thread = Place(place.destination_id, place.thread or main_id)
        for number, message in enumerate(continued, start=2):
            self._message(PartKey(post.id, f"thread-{number}"), thread, message)
        copy = Attachment(file_name(post), plain_copy(draft).encode(), draft["headline"])
        self._file(PartKey(post.id, "file"), thread, copy)
        for picture in self.ledger.pictures(post.id):
            file = Attachment(picture.filename, picture.png, picture.title, picture.alt_text)
            self._file(PartKey(post.id, f"picture:{picture.filename}"), thread, file)
        if original is not None:
            for earlier in self.ledger.versions(post.story, post.patch, post.week_ending):
                posted = earlier.status == PostStatus.POSTED
                if earlier.id < post.id and posted and not earlier.revised:
                    self._mark_revised(earlier, post)
        self.ledger.mark_posted(post.id)

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
        notice = Notice.revised(release_date(correction.draft))
        main, _continued = self.target.compose(earlier.draft, notice)
        destination_id, message_id = earlier.channel_id, earlier.ts

        def update() -> str:
            self.target.update(destination_id, message_id, main)
            return message_id

        self._once(PartKey(correction.id, f"mark-revised:{earlier.id}"), update, lambda _: None)
        self.ledger.mark_revised(earlier.id)


def register(
    drafts: DraftSet, ledger: Ledger, destination_for: Callable[[str], str]
) -> DeliveryReport:
    """Record this run's drafts in the ledger. A story is compared with its latest version at
    the target: the same figures post nothing; new figures from a new data release become one
    correction of the original; a version that never reached the target is replaced."""
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
        post = ledger.add(
            ledger_draft(drafts, index),
            patch=drafts.patch.name,
            week_ending=week,
            release=release,
            destination=root.channel if root else destination_for(draft.story),
            corrects=root.id if root else None,
        )
        suffix = f"_correction-{post.id}" if root else ""
        from bot.pictures import pictures_for  # matplotlib: only loaded when posting

        ledger.add_pictures(post.id, [
            StoredPicture(p.filename.replace(".png", f"{suffix}.png"), p.title, p.alt_text, p.png)
            for p in pictures_for(drafts, draft)
        ])  # fmt: skip
    return report


def deliver(
    drafts: DraftSet,
    ledger: Ledger,
    courier: Courier,
    destination_for: Callable[[str], str],
    ops_destination: str | None,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Post every pending story (this run's and any kept from earlier runs). ``stop`` is asked
    before each story: once it is true the story being sent has been finished, and the rest
    stay pending in the ledger for the next run."""
    target = courier.target
    # Destinations first, so a mistyped one stops the run before anything is recorded or sent.
    target.check(sorted({destination_for(draft.story) for draft in drafts.drafts}))
    report = register(drafts, ledger, destination_for)
    for post in ledger.pending():  # an original not yet sent goes where the settings say now
        if post.kind == PostKind.ORIGINAL and not ledger.reached_target(post):
            destination = destination_for(post.story)
            if destination != post.channel:
                ledger.set_destination(post.id, destination)
    pending = ledger.pending()
    target.check(sorted({post.channel for post in pending if post.corrects is None}))
    for index, post in enumerate(pending):
        if stop is not None and stop():
            report.stopped.extend(label(rest) for rest in pending[index:])
            break
        try:
            courier.send(post)
        except DeliveryFailure as failure:
            ledger.record_failure(post.id, str(failure))
            if failure.fatal:
                alert(target, ops_destination, f"Patchbot stopped: {failure.explain()}")
                raise PatchbotError(failure.explain()) from None
            report.kept.append((label(post), str(failure)))
            continue
        (report.corrected if post.kind == PostKind.CORRECTION else report.posted).append(
            label(post)
        )
    problems = [f"not posted, kept for the next run: {name}: {why}" for name, why in report.kept]
    problems += [f"not drafted (template error): {story}: {why}" for story, why in drafts.failed]
    if problems:
        lines = "\n".join(f"• {problem}" for problem in problems)
        alert(target, ops_destination, f":warning: Patchbot ({drafts.patch.name}):\n{lines}")
    return report


def alert(target: Target, ops_destination: str | None, text: str) -> None:
    """Tell the ops channel; if that fails too, the log is the last resort."""
    log.warning("alert %s", text)
    if not ops_destination:
        return
    try:
        target.alert(ops_destination, text)
    except DeliveryFailure as failure:
        log.error("could not alert SLACK_OPS_CHANNEL %s: %s", ops_destination, failure)
