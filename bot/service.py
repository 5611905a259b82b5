"""``patchbot run``: Patchbot as a long-running service.

On each run day (``PATCHBOT_RUN_DAYS``, Monday to Friday by default) at ``PATCHBOT_RUN_AT`` UK
time (PHE published at 16:00), the daily job checks the source for a release newer than the last
one processed. Until one appears it checks again every ``PATCHBOT_POLL_MINUTES`` until
``PATCHBOT_POLL_UNTIL``, then tells the ops channel, once, that no new data came. A new release
is validated, drafted and posted exactly as ``patchbot post`` does (``bot.pipeline``), then
recorded in the ledger as processed.

What counts as new: the raw bytes' hash is not one already processed for the patch (an identical
re-published file is not new), and the data's newest week and the source's own stamp (its
Content-Disposition file name or Last-Modified date) are not older than the last release
processed. A revised file for a week already posted is new: delivering it again posts a
correction for each story whose facts changed, and nothing for the others.

Design choices:

- The schedule is APScheduler's cron trigger in Europe/London, so the job fires at 16:00 UK time
  in GMT and in BST alike; ``coalesce=True`` and ``max_instances=1`` make missed or overlapping
  runs one run, and a ``misfire_grace_time`` up to the poll deadline lets a run delayed while the
  process was suspended still happen the same day.
- Catching up after a restart is an explicit check at start-up, not a persistent job store: if
  today's run time has passed, the poll deadline has not, and the ledger has no finished run for
  today, the job runs at once. A persistent store (SQLAlchemyJobStore) would pickle the job and
  its arguments -- settings with the Slack token -- into the state directory, would need the job
  to be kept rather than replaced at start-up (so a changed PATCHBOT_RUN_AT would be ignored),
  and would know only that a fire time was missed, not whether the day's work was done. The
  ledger knows that, so a run stopped half-way is resumed the same day, a finished one is not
  repeated, and a day missed entirely is not caught up the next morning.
- One service per state directory: an exclusive ``flock`` on ``patchbot.lock`` in it, held for
  the life of the process (the kernel drops it if the process dies, so a stale file never blocks).
- Stopping: SIGTERM/SIGINT only set an event. A watcher thread then shuts the scheduler down,
  waiting for a running job; the job stops polling at once and ``deliver`` finishes the story
  being posted and leaves the rest pending in the ledger, so the next run sends them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot import pipeline
from bot.context import RunContext
from bot.delivery import DeliveryReport, alert, label
from bot.errors import PatchbotError
from bot.settings import Settings
from bot.slack import Slack, escape
from bot.sources import DEFAULT_SOURCE, NoDataError
from bot.state import PENDING, POSTED, Ledger, Release, lock_holder, state_lock

log = logging.getLogger(__name__)

UK = ZoneInfo("Europe/London")
JOB_ID = "daily"

# What one check found.
NEW_POSTED = "posted"  # a new release: stories posted and/or corrected
NEW_UNCHANGED = "unchanged"  # a new file, but no story of the patch changed
PARTIAL = "partial"  # posted what could be drafted; a story failed: drafted again next time
NO_NEW_DATA = "no-new-data"  # 204, or the same file as a release already processed
STALE = "stale"  # older than the last release processed
KEPT = "kept"  # Slack would not take some stories: kept for the next run
ERROR = "error"  # fetching or validating failed: worth another look at the next poll
POST_FAILED = "post-failed"  # Slack refused the token or a channel: no point polling on
STOPPED = "stopped"  # asked to stop part-way: the rest stays pending in the ledger
# The daily job's own outcomes, besides the above.
ALREADY_DONE = "already-done"
INTERNAL_ERROR = "internal-error"

FINAL = {NEW_POSTED, NEW_UNCHANGED, PARTIAL, KEPT, POST_FAILED, STOPPED}


def now_uk() -> dt.datetime:
    return dt.datetime.now(UK)


def kv(**fields: object) -> str:
    """``key=value`` pairs for a log line; values with spaces or quotes are JSON-quoted."""
    parts = []
    for key, value in fields.items():
        text = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
        if not text or any(char in text for char in ' "=\n'):
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def step(name: str, level: int = logging.INFO, **fields: object) -> None:
    log.log(level, "%s", kv(step=name, **fields))


def uk_time(stamp: str | dt.datetime) -> str:
    """A ledger timestamp (UTC ISO) or a datetime, as UK time: 'Mon 30 Nov 2020 16:00 GMT'."""
    when = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return f"{when.astimezone(UK):%a %d %b %Y %H:%M %Z}"


@dataclass(frozen=True)
class Schedule:
    run_at: dt.time
    days: str  # a cron day-of-week expression
    poll_every: float  # seconds
    poll_until: dt.time

    @classmethod
    def of(cls, settings: Settings) -> Schedule:
        if settings.poll_until <= settings.run_at:
            raise PatchbotError(
                f"PATCHBOT_POLL_UNTIL: {settings.poll_until:%H:%M:%S} is not after "
                f"PATCHBOT_RUN_AT {settings.run_at:%H:%M:%S}"
            )
        every = settings.poll_minutes * 60
        return cls(settings.run_at, settings.run_days, every, settings.poll_until)

    def trigger(self) -> Any:
        """The cron trigger: run days at ``run_at``, Europe/London (so right across DST)."""
        from apscheduler.triggers.cron import CronTrigger

        try:
            return CronTrigger(
                day_of_week=self.days,
                hour=self.run_at.hour,
                minute=self.run_at.minute,
                second=self.run_at.second,
                timezone=UK,
            )
        except ValueError as error:
            raise PatchbotError(
                f"PATCHBOT_RUN_DAYS: not a valid value: {self.days!r} ({error})"
            ) from None

    @property
    def grace_seconds(self) -> int:
        """A run may start late up to the poll deadline (the same day), not after."""
        day = dt.date(2000, 1, 3)
        start, end = (dt.datetime.combine(day, t) for t in (self.run_at, self.poll_until))
        return max(1, int((end - start).total_seconds()))

    def deadline(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.poll_until, tzinfo=UK)

    def fire_time(self, day: dt.date) -> dt.datetime | None:
        """When the job runs on ``day``, or None if ``day`` is not a run day."""
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=UK)
        fire: dt.datetime | None = self.trigger().get_next_fire_time(None, midnight)
        return fire if fire is not None and fire.date() == day else None

    def next_run(self, now: dt.datetime) -> dt.datetime | None:
        fire: dt.datetime | None = self.trigger().get_next_fire_time(None, now)
        return fire

    def describe(self) -> str:
        def clock(time: dt.time) -> str:
            return f"{time:%H:%M:%S}" if time.second else f"{time:%H:%M}"

        seconds = self.poll_every
        every = f"{seconds:g} s" if seconds < 60 else f"{seconds / 60:g} min"
        return (
            f"{self.days} at {clock(self.run_at)} UK time; until there is new data, every "
            f"{every} until {clock(self.poll_until)}"
        )


@dataclass(frozen=True)
class Check:
    """What one look at the source found, and did."""

    outcome: str
    detail: str = ""
    report: DeliveryReport | None = None
    failed: list[tuple[str, str]] = field(default_factory=list)  # stories not drafted

    @property
    def final(self) -> bool:
        """Ends the day's polling: a release was processed, or posting cannot go on."""
        return self.outcome in FINAL


class Service:
    """The daily job and the single check it is made of, for one patch and source."""

    def __init__(self, settings: Settings, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.schedule = Schedule.of(settings)
        self.trigger = self.schedule.trigger()
        self.stop = stop or threading.Event()
        pipeline.require_slack_token(settings, "run")
        self.context = RunContext.build(settings)
        self.patch = self.context.patch
        self.source = settings.source or DEFAULT_SOURCE

    def ledger(self) -> Ledger:
        """A connection for the calling thread (jobs run in the scheduler's worker threads)."""
        return Ledger(self.settings.state_dir)

    # -- one check

    def check(self) -> Check:
        """Look at the source once; validate, draft and post a release newer than the last
        one processed. Every check is recorded in the ledger's events."""
        ledger = self.ledger()
        try:
            result = self._check(ledger)
            ledger.log_event("check", kv(outcome=result.outcome, detail=result.detail))
            if result.outcome in (ERROR, POST_FAILED):
                ledger.log_event("error", result.detail)
            for story, error in result.failed:
                ledger.log_event("error", f"{story} not drafted: {error}")
            alert_bad_data = result.outcome == ERROR and result.detail not in {
                detail for _at, detail in ledger.events("bad-data", limit=50)
            }
            if alert_bad_data:  # once per problem, not once per poll
                ledger.log_event("bad-data", result.detail)
            last_good = ledger.last_release(self.patch.name)
        finally:
            ledger.close()
        problem = result.outcome in (ERROR, POST_FAILED, KEPT) or result.failed
        step(
            "check",
            logging.WARNING if problem else logging.INFO,
            source=self.source,
            patch=self.patch.name,
            outcome=result.outcome,
            detail=result.detail,
        )
        if alert_bad_data:
            kept = (
                f"the last good release ({last_good.release or 'undated'}, week to "
                f"{last_good.week_ending}) stays as posted"
                if last_good
                else "nothing has been posted from this source yet"
            )
            self.alert(
                f":warning: Patchbot could not use the data: {escape(result.detail)}. "
                f"No stories were drafted from it; {kept}. It will check again."
            )
        if result.failed:
            lines = "\n".join(f"• {escape(story)}: {escape(why)}" for story, why in result.failed)
            self.alert(f":warning: Patchbot could not draft these stories:\n{lines}")
        return result

    def _check(self, ledger: Ledger) -> Check:
        try:  # each check is a run of its own: templates mended since are read again
            self.context = RunContext.build(self.settings)
            raw = pipeline.fetch(self.context)
        except NoDataError:
            return Check(NO_NEW_DATA, "the source has no data yet (204 No Content)")
        except PatchbotError as error:
            return Check(ERROR, str(error))
        digest = hashlib.sha256(raw.content).hexdigest()[:16]
        stamp = raw.release.isoformat() if raw.release else ""
        seen = ledger.release(self.patch.name, digest)
        if seen is not None and seen.outcome != PARTIAL:  # a partial one is drafted again
            return Check(
                NO_NEW_DATA,
                f"same file as release {seen.release or '(undated)'} (week to "
                f"{seen.week_ending}), processed {uk_time(seen.processed_at)}",
            )
        try:
            cases = pipeline.validate(self.context, raw, now_uk().date())
        except PatchbotError as error:
            return Check(ERROR, str(error))
        week = cases.weeks[-1].isoformat()
        step("validate", rows=cases.rows, newest_week=week, release=stamp or "-", hash=digest)
        last = ledger.last_release(self.patch.name)
        if last is not None and (week, stamp or last.release) < (last.week_ending, last.release):
            return Check(
                STALE,
                f"newest week {week}, release {stamp or '(undated)'}: older than release "
                f"{last.release or '(undated)'} (week to {last.week_ending}) already processed",
            )
        try:
            drafts = pipeline.draft_cases(self.context, cases)
        except PatchbotError as error:
            return Check(ERROR, str(error))
        step(
            "draft",
            week=week,
            stories=len(drafts.drafts),
            skipped=len(drafts.skipped),
            failed=len(drafts.failed),
        )
        try:
            report = pipeline.deliver_drafts(
                self.settings, self.context, drafts, ledger, stop=self.stop.is_set
            )
        except PatchbotError as error:  # a wrong token or channel: delivery alerted ops
            return Check(POST_FAILED, str(error))
        step(
            "post",
            posted=len(report.posted),
            corrected=len(report.corrected),
            unchanged=len(report.unchanged),
            kept=len(report.kept),
            stopped=len(report.stopped),
        )
        summary = f"release {stamp or '(undated)'}, week to {week}: {report.summary()}"
        if report.stopped:
            return Check(STOPPED, summary, report, drafts.failed)
        if report.kept:  # not recorded as processed: the next run delivers it again
            return Check(KEPT, summary, report, drafts.failed)
        outcome = NEW_POSTED if report.posted or report.corrected else NEW_UNCHANGED
        if drafts.failed:  # not done: once the template is mended, the same file drafts it
            outcome = PARTIAL
        ledger.add_release(
            patch=self.patch.name,
            source=self.source,
            week_ending=week,
            release=stamp,
            digest=digest,
            outcome=outcome,
        )
        return Check(outcome, summary, report, drafts.failed)

    def alert(self, text: str) -> None:
        assert self.settings.slack_token
        slack = Slack(
            self.settings.slack_token, self.settings.slack_api_url, self.settings.http.timeout
        )
        alert(slack, self.settings.slack_ops_channel, text)

    # -- the daily job

    def daily_job(self) -> str:
        """The scheduled job; never raises, so one bad day cannot stop the service."""
        try:
            return self._daily_job()
        except Exception as error:  # a bug: log it, record it for `status`, carry on tomorrow
            log.exception("%s", kv(step="run", outcome=INTERNAL_ERROR, error=repr(error)))
            with contextlib.suppress(PatchbotError):
                ledger = self.ledger()
                try:
                    ledger.log_event("error", f"internal error in the daily job: {error!r}")
                finally:
                    ledger.close()
            return INTERNAL_ERROR

    def _daily_job(self) -> str:
        start = now_uk()
        day = start.date()
        deadline = self.schedule.deadline(day)
        if self.stop.is_set():
            return STOPPED
        ledger = self.ledger()
        try:
            done = ledger.run_day(day.isoformat())
            if done is not None and done[0] is not None:
                step("run", day=day, outcome=ALREADY_DONE, earlier=done[1])
                return ALREADY_DONE
            ledger.start_run_day(day.isoformat())
            today = self._processed_today(ledger, day)
            if today is not None:
                ledger.finish_run_day(day.isoformat(), ALREADY_DONE)
                step("run", day=day, outcome=ALREADY_DONE, release=today.release or "-")
                return ALREADY_DONE
        finally:
            ledger.close()
        step("run", day=day, outcome="started", poll_until=deadline)
        checks, last_error = 0, ""
        while True:
            result = self.check()
            checks += 1
            if result.outcome == STOPPED:
                step("run", day=day, outcome=STOPPED)
                return STOPPED
            if result.final:
                self._finish(day, result.outcome)
                return result.outcome
            if result.outcome == ERROR:
                last_error = result.detail
            remaining = (deadline - now_uk()).total_seconds()
            if remaining <= 0:
                break
            wait = min(self.schedule.poll_every, remaining)
            step("wait", next_check_in=f"{wait:g}s", poll_until=deadline)
            if self.stop.wait(wait):
                step("run", day=day, outcome=STOPPED)
                return STOPPED  # the day is not finished: a restart today picks it up
        # Recorded before the alert is sent: a crash between the two loses the alert rather
        # than sending it twice.
        self._finish(day, NO_NEW_DATA)
        self.alert(self._no_data_text(day, checks, last_error))
        return NO_NEW_DATA

    def _processed_today(self, ledger: Ledger, day: dt.date) -> Release | None:
        """A release already processed today that is today's (e.g. by ``run --once``)."""
        last = ledger.last_release(self.patch.name)
        if last is None:
            return None
        processed = dt.datetime.fromisoformat(last.processed_at).astimezone(UK).date()
        if processed == day and (not last.release or last.release >= day.isoformat()):
            return last
        return None

    def _finish(self, day: dt.date, outcome: str) -> None:
        ledger = self.ledger()
        try:
            ledger.finish_run_day(day.isoformat(), outcome)
        finally:
            ledger.close()
        next_run = self.schedule.next_run(now_uk())
        step("run", day=day, outcome=outcome, next_run=next_run or "-")

    def _no_data_text(self, day: dt.date, checks: int, last_error: str) -> str:
        ledger = self.ledger()
        try:
            last = ledger.last_release(self.patch.name)
        finally:
            ledger.close()
        latest = (
            f"The latest release processed is {last.release or '(undated)'} (week to "
            f"{last.week_ending})."
            if last
            else "No release has been processed yet."
        )
        text = (
            f":hourglass: Patchbot: no new PHE data today ({day:%A %-d %B %Y}) for "
            f"{escape(self.patch.name)}. Checked {escape(self.source)} {checks} "
            f"{'time' if checks == 1 else 'times'} until {self.schedule.poll_until:%H:%M} UK "
            f"time; nothing was posted. {latest}"
        )
        if last_error:
            text += f"\nLast error: {escape(last_error)}"
        return text

    def missed_today(self, now: dt.datetime) -> bool:
        """Today's run time has passed, its poll deadline has not, and today's job has not
        finished (it never ran: the machine was down; or it was stopped part-way)."""
        day = now.date()
        fire = self.schedule.fire_time(day)
        if fire is None or not fire <= now < self.schedule.deadline(day):
            return False
        ledger = self.ledger()
        try:
            done = ledger.run_day(day.isoformat())
        finally:
            ledger.close()
        return done is None or done[0] is None


# -- running


def run_once(settings: Settings, stop: threading.Event | None = None) -> Check:
    """``patchbot run --once``: one check now (post if new), under the state lock."""
    service = Service(settings, stop)
    with state_lock(settings.state_dir):
        step("start", mode="once", state_dir=settings.state_dir, source=service.source)
        return service.check()


def serve(settings: Settings, stop: threading.Event) -> None:
    """``patchbot run``: the schedule, until ``stop`` is set (SIGTERM/SIGINT)."""
    from apscheduler.events import EVENT_SCHEDULER_STARTED
    from apscheduler.schedulers.blocking import BlockingScheduler

    service = Service(settings, stop)
    with state_lock(settings.state_dir):
        now = now_uk()
        catch_up = service.missed_today(now)
        scheduler = BlockingScheduler(timezone=UK)
        first: dict[str, Any] = {"next_run_time": now} if catch_up else {}
        scheduler.add_job(
            service.daily_job,
            service.trigger,
            id=JOB_ID,
            name="patchbot daily check",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=service.schedule.grace_seconds,
            **first,
        )
        watcher = threading.Thread(
            target=_shut_down_when_stopped, args=(scheduler, stop), name="patchbot-stop"
        )
        scheduler.add_listener(lambda _event: watcher.start(), EVENT_SCHEDULER_STARTED)
        step(
            "start",
            state_dir=settings.state_dir,
            source=service.source,
            patch=service.patch.name,
            schedule=service.schedule.describe(),
            catch_up="yes" if catch_up else "no",
            next_run=now if catch_up else service.schedule.next_run(now) or "-",
        )
        try:
            scheduler.start()  # returns once the watcher has shut the scheduler down
        finally:
            stop.set()
            if watcher.is_alive():
                watcher.join()
    step("stop", outcome="stopped")


def _shut_down_when_stopped(scheduler: Any, stop: threading.Event) -> None:
    from apscheduler.schedulers import SchedulerNotRunningError

    stop.wait()
    step("stop", outcome="stopping", detail="finishing the story being posted, if any")
    with contextlib.suppress(SchedulerNotRunningError):
        scheduler.shutdown(wait=True)  # waits for a running job to return


# -- status


def status_lines(settings: Settings, now: dt.datetime | None = None) -> list[str]:
    """``patchbot status``: the service, its schedule, the last check and release, stories."""
    now = now or now_uk()
    schedule = Schedule.of(settings)
    holder = lock_holder(settings.state_dir)
    next_run = schedule.next_run(now)
    ledger = Ledger(settings.state_dir)
    try:
        checks = ledger.events("check", 1)
        last = ledger.last_release()
        today = ledger.run_day(now.date().isoformat())
        counts = ledger.counts()
        pending = ledger.pending()
        errors = ledger.events("error", 3)
    finally:
        ledger.close()
    lines = [
        f"state:         {settings.state_dir}",
        f"service:       {f'running (pid {holder})' if holder else 'not running'}",
        f"schedule:      {schedule.describe()}",
        f"next run:      {uk_time(next_run) if next_run else 'never (no run days)'}",
    ]
    if today is not None:
        finished, outcome = today
        lines.append(
            f"today's run:   {f'{outcome} at {uk_time(finished)}' if finished else 'not finished'}"
        )
    if checks:
        at, detail = checks[0]
        lines.append(f"last check:    {uk_time(at)}: {detail}")
    else:
        lines.append("last check:    none yet")
    if last is not None:
        lines.append(
            f"last release:  {last.release or '(undated)'} (week to {last.week_ending}, "
            f"{last.patch}, {last.source}), processed {uk_time(last.processed_at)}: {last.outcome}"
        )
    else:
        lines.append("last release:  none processed yet")
    lines.append(f"stories:       {counts.get(POSTED, 0)} posted, {counts.get(PENDING, 0)} pending")
    lines += [f"  pending:     {label(post)}: {post.last_error or 'not sent'}" for post in pending]
    if errors:
        lines.append("last errors:")
        lines += [f"  {uk_time(at)}: {detail}" for at, detail in errors]
    else:
        lines.append("last errors:   none")
    return lines
