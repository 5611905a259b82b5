"""Deliver drafts to Slack through the ledger: post each story once, correct revised ones,
keep failed ones for the next run, and tell the ops channel what went wrong."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.errors import PatchbotError
from bot.geography import slug
from bot.slack import Slack, SlackFailure, build_messages, escape, explain, marker
from bot.state import CORRECTION, ORIGINAL, PENDING, POSTED, Ledger, Post, content_hash
from bot.stories import DraftSet

log = logging.getLogger(__name__)


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
    kind = "correction to " if post.kind == CORRECTION else ""
    return f"{kind}{post.story} ({post.patch}, week to {post.week_ending})"


def file_name(post: Post) -> str:
    revised = f"_correction-{post.id}" if post.kind == CORRECTION else ""
    return f"{post.week_ending}_{post.story}_{slug(post.patch)}{revised}.txt"


def plain_copy(draft: dict[str, Any]) -> str:
    return f"{draft['headline']}\n\n{draft['text']}\n"


class Courier:
    """Sends the ledger's pending posts, one part at a time, resumable at every step."""

    def __init__(
        self,
        ledger: Ledger,
        slack: Slack,
        attempts: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ledger = ledger
        self.slack = slack
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep

    def _once(
        self,
        post: Post,
        part: str,
        send: Callable[[], str],
        find: Callable[[float | None], str | None],
    ) -> str:
        """Send one part exactly once: if an earlier attempt may have reached Slack, look
        for it there (since that attempt started) before sending again."""
        started, ts, since = self.ledger.part_attempt(post.id, part)
        if ts:
            return ts
        for attempt in range(1, self.attempts + 1):
            try:
                found = find(since) if started else None
                if found:
                    log.info("resume post=%d part=%s found_in_slack=%s", post.id, part, found)
                    ts = found
                else:
                    self.ledger.start_part(post.id, part)
                    started, since = True, since or time.time()
                    ts = send()
                self.ledger.finish_part(post.id, part, ts)
                return ts
            except SlackFailure as failure:
                if not failure.transient or attempt == self.attempts:
                    raise
                wait = self.backoff * 2 ** (attempt - 1)
                log.warning(
                    "slack attempt=%d/%d post=%d part=%s problem=%r retry_in=%.1fs",
                    attempt, self.attempts, post.id, part, str(failure), wait,
                )  # fmt: skip
                self.sleep(wait)
        raise AssertionError("unreachable")

    def send(self, post: Post) -> None:
        draft = post.draft
        original = self.ledger.get(post.corrects) if post.corrects else None
        if original is not None:
            if not (original.channel_id and original.ts):  # still on its way: it goes first
                raise SlackFailure("the original has not reached Slack yet", "waiting")
            channel_id, parent = original.channel_id, original.ts
            release = draft.get("release") or "a later date"
            banner = (
                f":warning: *CORRECTION*: Public Health England revised these figures "
                f"(data published {escape(release)}). This corrected draft replaces the one above."
            )
            main, thread = build_messages(draft, banner)
        else:
            channel_id, parent = self.slack.channel_id(post.channel), None
            main, thread = build_messages(draft)

        def post_part(
            part: str, message: dict[str, Any], thread_ts: str | None, broadcast: bool = False
        ) -> str:
            meta = marker(post.id, part)
            return self._once(
                post,
                part,
                lambda: self.slack.post(channel_id, message, meta, thread_ts, broadcast),
                lambda since: self.slack.find_sent(channel_id, meta, thread_ts, since),
            )

        main_ts = post_part("main", main, parent, broadcast=original is not None)
        self.ledger.set_main(post.id, channel_id, main_ts)
        thread_ts = parent or main_ts
        for number, message in enumerate(thread, start=2):
            post_part(f"thread-{number}", message, thread_ts)
        name = file_name(post)
        self._once(
            post,
            "file",
            lambda: self.slack.upload(
                channel_id, thread_ts, name, plain_copy(draft).encode(), draft["headline"]
            ),
            lambda since: self.slack.find_file(channel_id, thread_ts, name, since),
        )
        for filename, title, alt_text, png in self.ledger.pictures(post.id):
            self._once(
                post,
                f"picture:{filename}",
                lambda: self.slack.upload(channel_id, thread_ts, filename, png, title, alt_text),  # noqa: B023
                lambda since: self.slack.find_file(channel_id, thread_ts, filename, since),  # noqa: B023
            )
        if original is not None:
            for earlier in self.ledger.versions(post.story, post.patch, post.week_ending):
                if earlier.id < post.id and earlier.status == POSTED and not earlier.revised:
                    self._mark_revised(earlier, post)
        self.ledger.mark_posted(post.id)

    def _mark_revised(self, original: Post, correction: Post) -> None:
        """chat.update an earlier version (the original, or an earlier correction) so nobody
        publishes its figures; safe to repeat."""
        assert original.channel_id
        assert original.ts
        release = correction.draft.get("release") or "later"
        banner = (
            f":warning: *REVISED*: Public Health England revised these figures (data published "
            f"{escape(release)}). Do not publish this version: see the latest correction in the "
            "thread."
        )
        main, _thread = build_messages(original.draft, banner)
        channel_id, ts = original.channel_id, original.ts

        def update() -> str:
            self.slack.update(channel_id, ts, main)
            return ts

        self._once(correction, f"mark-revised:{original.id}", update, lambda _since: None)
        self.ledger.mark_revised(original.id)


def register(drafts: DraftSet, ledger: Ledger, channel_for: Callable[[str], str]) -> DeliveryReport:
    """Record this run's drafts in the ledger. A story is compared with its latest version in
    Slack: the same figures post nothing; new figures from a new data release become one
    correction of the original; a version that never reached Slack is replaced."""
    report = DeliveryReport()
    week = drafts.week_ending.isoformat()
    release = drafts.release.isoformat() if drafts.release else ""
    for index, draft in enumerate(drafts.drafts):
        digest = content_hash(draft.facts)
        versions = ledger.versions(draft.story, drafts.patch.name, week)
        reached = [v for v in versions if ledger.reached_slack(v)]
        unsent = [v for v in versions if v.status == PENDING and v not in reached]
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
            if latest.status == POSTED:
                report.unchanged.append(label(latest))
                if latest.content_hash != digest:
                    report.settings_changed.append(label(latest))
            continue
        root = next((v for v in reached if v.kind == ORIGINAL), None)
        post = ledger.add(
            ledger_draft(drafts, index),
            patch=drafts.patch.name,
            week_ending=week,
            release=release,
            channel=root.channel if root else channel_for(draft.story),
            corrects=root.id if root else None,
        )
        suffix = f"_correction-{post.id}" if root else ""
        from bot.pictures import pictures_for  # matplotlib: only loaded when posting

        ledger.add_pictures(post.id, [
            (p.filename.replace(".png", f"{suffix}.png"), p.title, p.alt_text, p.png)
            for p in pictures_for(drafts, draft)
        ])  # fmt: skip
    return report


def deliver(
    drafts: DraftSet,
    ledger: Ledger,
    courier: Courier,
    channel_for: Callable[[str], str],
    ops_channel: str | None,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Post every pending story (this run's and any kept from earlier runs). ``stop`` is asked
    before each story: once it is true the story being sent has been finished, and the rest
    stay pending in the ledger for the next run."""
    # Channels first, so a mistyped one stops the run before anything is recorded or posted.
    courier.slack.check(sorted({channel_for(draft.story) for draft in drafts.drafts}))
    report = register(drafts, ledger, channel_for)
    pending = ledger.pending()
    for post in pending:  # an original not yet in Slack goes where the settings say now
        if post.kind == ORIGINAL and not ledger.reached_slack(post):
            channel = channel_for(post.story)
            if channel != post.channel:
                ledger.set_channel(post.id, channel)
    pending = ledger.pending()
    courier.slack.check(sorted({post.channel for post in pending if post.corrects is None}))
    for index, post in enumerate(pending):
        if stop is not None and stop():
            report.stopped.extend(label(rest) for rest in pending[index:])
            break
        try:
            courier.send(post)
        except SlackFailure as failure:
            ledger.record_failure(post.id, str(failure))
            if failure.fatal:
                alert(courier.slack, ops_channel, f"Patchbot stopped: {explain(failure)}")
                raise PatchbotError(explain(failure)) from None
            report.kept.append((label(post), str(failure)))
            continue
        (report.corrected if post.kind == CORRECTION else report.posted).append(label(post))
    problems = [f"not posted, kept for the next run: {name}: {why}" for name, why in report.kept]
    problems += [f"not drafted (template error): {story}: {why}" for story, why in drafts.failed]
    if problems:
        lines = "\n".join(f"• {escape(problem)}" for problem in problems)
        alert(
            courier.slack,
            ops_channel,
            f":warning: Patchbot ({escape(drafts.patch.name)}):\n{lines}",
        )
    return report


def alert(slack: Slack, ops_channel: str | None, text: str) -> None:
    """Tell the ops channel; if that fails too, the log is the last resort."""
    log.warning("alert %s", text)
    if not ops_channel:
        return
    try:
        channel_id = slack.channel_id(ops_channel)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        message = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
        slack.post(
            channel_id, message, {"event_type": "patchbot_alert", "event_payload": {"at": stamp}}
        )
    except SlackFailure as failure:
        log.error("could not alert SLACK_OPS_CHANNEL %s: %s", ops_channel, failure)
