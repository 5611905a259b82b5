"""One check of the source: fetch, and if the release is new, validate, draft and post it.

What counts as new: the raw bytes' hash is not one already processed for the patch (an
identical re-published file is not new), and the data's newest week and the source's own stamp
(its Content-Disposition file name or Last-Modified date) are not older than the last release
processed. A revised file for a week already posted is new: delivering it again posts a
correction for each story whose facts changed, and nothing for the others.

Every check is recorded in the journal; a data problem is told to the ops channel once, not
once per poll.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from bot import pipeline
from bot.context import RunContext
from bot.delivery import DeliveryReport, alert, target_for
from bot.desks import Desk
from bot.errors import PatchbotError
from bot.logs import kv, step, uk_time
from bot.service.schedule import now_uk
from bot.settings import Settings
from bot.sources import DEFAULT_SOURCE, NoDataError, RawData, profile_of
from bot.state import DEFAULT_DESK, EventKind, Journal, Ledger, Release

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.cases import CaseData
    from bot.stories import DraftSet


class CheckOutcome(StrEnum):
    """What one check found (and, for the last two, what the daily job did)."""

    POSTED = "posted"  # a new release: stories posted and/or corrected
    UNCHANGED = "unchanged"  # a new file, but no story of the patch changed
    PARTIAL = "partial"  # posted what could be drafted; a story failed: drafted again next time
    NO_NEW_DATA = "no-new-data"  # 204, or the same file as a release already processed
    STALE = "stale"  # older than the last release processed
    KEPT = "kept"  # Slack would not take some stories: kept for the next run
    ERROR = "error"  # fetching or validating failed: worth another look at the next poll
    POST_FAILED = "post-failed"  # Slack refused the token or a channel: no point polling on
    STOPPED = "stopped"  # asked to stop part-way: the rest stays pending in the ledger
    ALREADY_DONE = "already-done"  # the daily job: today's release was processed already
    INTERNAL_ERROR = "internal-error"  # the daily job: a bug, logged; tomorrow runs as usual


# Outcomes that end the day's polling: a release was processed, or posting cannot go on.
FINAL = {
    CheckOutcome.POSTED,
    CheckOutcome.UNCHANGED,
    CheckOutcome.PARTIAL,
    CheckOutcome.KEPT,
    CheckOutcome.POST_FAILED,
    CheckOutcome.STOPPED,
}
# Outcomes worth a warning in the log and an entry among `status`'s errors.
FAILED = {CheckOutcome.ERROR, CheckOutcome.POST_FAILED}


@dataclass(frozen=True)
class Check:
    """What one look at the source found, and did."""

    outcome: CheckOutcome
    detail: str = ""
    report: DeliveryReport | None = None
    failed: list[tuple[str, str]] = field(default_factory=list)  # stories not drafted

    @property
    def final(self) -> bool:
        return self.outcome in FINAL


class _Done(Exception):
    """A step of the check settled its outcome early (nothing new, stale, or an error)."""

    def __init__(self, outcome: CheckOutcome, detail: str) -> None:
        super().__init__(detail)
        self.check = Check(outcome, detail)


@contextmanager
def _settles_errors_as(outcome: CheckOutcome) -> Iterator[None]:
    """A PatchbotError in the block ends the check with ``outcome`` and its message."""
    try:
        yield
    except PatchbotError as error:
        raise _Done(outcome, str(error)) from None


@dataclass(frozen=True)
class Fetched:
    raw: RawData
    digest: str  # of the raw bytes
    stamp: str  # the source's release date (ISO), '' when it gave none


class Checker:
    """Checks of one desk's source for its patch, recorded in the state directory's journal.
    Given settings rather than a desk, the desk is the one of the ordinary settings."""

    def __init__(self, desk: Desk | Settings, stop: threading.Event | None = None) -> None:
        self.desk = desk if isinstance(desk, Desk) else Desk(DEFAULT_DESK, desk)
        self.settings = settings = self.desk.settings
        self.stop = stop or threading.Event()
        pipeline.require_slack_token(settings, "run")
        self.context = RunContext.for_desk(self.desk)
        self.patch = self.context.patch
        self.source = settings.source or DEFAULT_SOURCE
        self.publisher = profile_of(self.context.source).publisher  # "PHE", "UKHSA"

    def journal(self) -> Journal:
        """A connection for the calling thread (jobs run in the scheduler's worker threads)."""
        return Journal(self.settings.state_dir, self.desk.name)

    def check(self) -> Check:
        """Look at the source once; validate, draft and post a release newer than the last
        one processed."""
        with self.journal() as journal:
            result = self._check(journal)
            alert_bad_data = self._record(journal, result)
            last_good = journal.last_release(self.patch.name)
        problem = result.outcome in FAILED or result.outcome == CheckOutcome.KEPT or result.failed
        desk = {"desk": self.desk.name} if self.desk.explicit else {}
        step(
            "check",
            logging.WARNING if problem else logging.INFO,
            **desk,
            source=self.source,
            patch=self.patch.name,
            outcome=result.outcome,
            detail=result.detail,
        )
        if alert_bad_data:
            self.alert(self._bad_data_text(result.detail, last_good))
        return result  # stories that failed to draft: delivery told ops, once a day

    def _check(self, journal: Journal) -> Check:
        try:
            fetched = self._fetch(journal)
            cases = self._validate(fetched)
            week = cases.weeks[-1].isoformat()
            self._refuse_stale(journal, week, fetched.stamp)
            drafts = self._draft(cases, week)
            report = self._deliver(drafts)
        except _Done as done:
            return done.check
        except Exception as error:  # a bug met on this data: told to ops once, polled again
            first_line = (str(error).splitlines() or [""])[0][:300]
            detail = f"internal error: {type(error).__name__}: {first_line}"
            log.debug("the check's traceback", exc_info=True)  # for --debug, never by default
            return Check(CheckOutcome.ERROR, detail)
        summary = f"release {fetched.stamp or '(undated)'}, week to {week}: {report.summary()}"
        outcome = self._outcome(report, drafts)
        if outcome not in (CheckOutcome.STOPPED, CheckOutcome.KEPT):  # else: not done yet
            journal.add_release(
                patch=self.patch.name,
                source=self.source,
                week_ending=week,
                release=fetched.stamp,
                digest=fetched.digest,
                outcome=outcome,
            )
        return Check(outcome, summary, report, drafts.failed)

    def _fetch(self, journal: Journal) -> Fetched:
        """The source's data, unless it has none or it is a file already processed."""
        try:  # each check is a run of its own: templates mended since are read again
            self.context = RunContext.for_desk(self.desk)
            raw = pipeline.fetch(self.context)
        except NoDataError:
            raise _Done(
                CheckOutcome.NO_NEW_DATA, "the source has no data yet (204 No Content)"
            ) from None
        except PatchbotError as error:
            raise _Done(CheckOutcome.ERROR, str(error)) from None
        digest = hashlib.sha256(raw.content).hexdigest()[:16]
        seen = journal.release(self.patch.name, digest)
        if seen is not None and seen.outcome != CheckOutcome.PARTIAL:  # partial: drafted again
            raise _Done(
                CheckOutcome.NO_NEW_DATA,
                f"same file as release {seen.release or '(undated)'} (week to "
                f"{seen.week_ending}), processed {uk_time(seen.processed_at)}",
            )
        return Fetched(raw, digest, raw.release.isoformat() if raw.release else "")

    def _validate(self, fetched: Fetched) -> CaseData:
        with _settles_errors_as(CheckOutcome.ERROR):
            cases = pipeline.validate(self.context, fetched.raw, now_uk().date())
        step(
            "validate",
            rows=cases.rows,
            newest_week=cases.weeks[-1].isoformat(),
            release=fetched.stamp or "-",
            hash=fetched.digest,
        )
        return cases

    def _refuse_stale(self, journal: Journal, week: str, stamp: str) -> None:
        """Data older than the last release processed is not drafted."""
        last = journal.last_release(self.patch.name)
        if last is not None and (week, stamp or last.release) < (last.week_ending, last.release):
            raise _Done(
                CheckOutcome.STALE,
                f"newest week {week}, release {stamp or '(undated)'}: older than release "
                f"{last.release or '(undated)'} (week to {last.week_ending}) already processed",
            )

    def _draft(self, cases: CaseData, week: str) -> DraftSet:
        with _settles_errors_as(CheckOutcome.ERROR):
            drafts = pipeline.draft_cases(self.context, cases)
        step(
            "draft",
            week=week,
            stories=len(drafts.drafts),
            skipped=len(drafts.skipped),
            failed=len(drafts.failed),
        )
        return drafts

    def _deliver(self, drafts: DraftSet) -> DeliveryReport:
        # A wrong token or channel fails the whole delivery (which has alerted ops).
        with (
            Ledger(self.settings.state_dir, self.desk.name) as ledger,
            _settles_errors_as(CheckOutcome.POST_FAILED),
        ):
            report = pipeline.deliver_drafts(
                self.desk, self.context, drafts, ledger, stop=self.stop.is_set
            )
        step(
            "post",
            posted=len(report.posted),
            corrected=len(report.corrected),
            unchanged=len(report.unchanged),
            kept=len(report.kept),
            stopped=len(report.stopped),
        )
        return report

    @staticmethod
    def _outcome(report: DeliveryReport, drafts: DraftSet) -> CheckOutcome:
        if report.stopped:
            return CheckOutcome.STOPPED
        if report.kept:  # not recorded as processed: the next run delivers it again
            return CheckOutcome.KEPT
        if drafts.failed:  # not done: once the template is mended, the same file drafts it
            return CheckOutcome.PARTIAL
        if report.posted or report.corrected:
            return CheckOutcome.POSTED
        return CheckOutcome.UNCHANGED

    def _record(self, journal: Journal, result: Check) -> bool:
        """Journal the check and its errors; True if its data problem is new (to alert)."""
        journal.log_event(EventKind.CHECK, kv(outcome=result.outcome, detail=result.detail))
        if result.outcome in FAILED:
            journal.log_event(EventKind.ERROR, result.detail)
        for story, error in result.failed:
            journal.log_event(EventKind.ERROR, f"{story} not drafted: {error}")
        if result.outcome != CheckOutcome.ERROR:
            return False
        alerted = {event.detail for event in journal.events(EventKind.BAD_DATA, limit=50)}
        if result.detail in alerted:  # once per problem, not once per poll
            return False
        journal.log_event(EventKind.BAD_DATA, result.detail)
        return True

    @staticmethod
    def _bad_data_text(detail: str, last_good: Release | None) -> str:
        kept = (
            f"the last good release ({last_good.release or 'undated'}, week to "
            f"{last_good.week_ending}) stays as posted"
            if last_good
            else "nothing has been posted from this source yet"
        )
        return (
            f":warning: Patchbot could not use the data: {detail}. No stories were drafted "
            f"from it; {kept}. It will check again."
        )

    def alert(self, text: str) -> None:
        """Tell the ops channel (plain text)."""
        alert(target_for(self.settings), self.settings.slack_ops_channel, text)
