"""The daily job: at the run time, check the source until a new release is processed or the
poll deadline passes; then tell the ops channel, once, that no new data came.

The journal records each day's run, so a run stopped half-way is resumed the same day, a
finished one is not repeated, and a day missed entirely is not caught up the next morning.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading

from bot.desks import Desk
from bot.errors import PatchbotError
from bot.logs import UK, kv, step
from bot.service.check import Checker, CheckOutcome
from bot.service.schedule import Schedule, now_uk
from bot.settings import Settings
from bot.state import EventKind, Journal, Release

log = logging.getLogger(__name__)


class Service(Checker):
    """The daily job and the single check it is made of, for one desk (its patch, source and
    schedule)."""

    def __init__(self, desk: Desk | Settings, stop: threading.Event | None = None) -> None:
        settings = desk.settings if isinstance(desk, Desk) else desk
        self.schedule = Schedule.of(settings)  # a bad schedule is refused before anything else
        self.trigger = self.schedule.trigger()
        super().__init__(desk, stop)

    def daily_job(self) -> CheckOutcome:
        """The scheduled job; never raises, so one bad day cannot stop the service."""
        try:
            return self._daily_job()
        except Exception as error:  # a bug: log it, record it for `status`, tell ops, go on
            outcome = CheckOutcome.INTERNAL_ERROR
            log.error("%s", kv(step="run", outcome=outcome, error=repr(error)))
            log.debug("the daily job's traceback", exc_info=True)
            detail = f"internal error in the daily job: {error!r}"
            with contextlib.suppress(PatchbotError), self.journal() as journal:
                journal.log_event(EventKind.ERROR, detail)
            with contextlib.suppress(Exception):  # the alert is a courtesy: it must not raise
                self.alert(f":rotating_light: Patchbot ({self.patch.name}): {detail}")
            return outcome

    def _daily_job(self) -> CheckOutcome:
        day = now_uk().date()
        if self.stop.is_set():
            return CheckOutcome.STOPPED
        if self._done_already(day):
            return CheckOutcome.ALREADY_DONE
        step("run", day=day, outcome="started", poll_until=self.schedule.deadline(day))
        return self._poll(day)

    def _done_already(self, day: dt.date) -> bool:
        """Today's run finished, or today's release was processed already (say by
        ``run --once``); otherwise today's run is recorded as started."""
        with self.journal() as journal:
            done = journal.run_day(day.isoformat())
            if done is not None and done.finished_at is not None:
                step("run", day=day, outcome=CheckOutcome.ALREADY_DONE, earlier=done.outcome)
                return True
            journal.start_run_day(day.isoformat())
            today = self._processed_today(journal, day)
            if today is not None:
                journal.finish_run_day(day.isoformat(), CheckOutcome.ALREADY_DONE)
                step(
                    "run", day=day, outcome=CheckOutcome.ALREADY_DONE, release=today.release or "-"
                )
                return True
        return False

    def _poll(self, day: dt.date) -> CheckOutcome:
        """Check until a check is final or the deadline passes; stop when asked to."""
        deadline = self.schedule.deadline(day)
        checks, last_error = 0, ""
        while True:
            result = self.check()
            checks += 1
            if result.outcome == CheckOutcome.STOPPED:
                break
            if result.final:
                self._finish(day, result.outcome)
                return result.outcome
            if result.outcome == CheckOutcome.ERROR:
                last_error = result.detail
            remaining = (deadline - now_uk()).total_seconds()
            if remaining <= 0:
                # Recorded before the alert is sent: a crash between the two loses the alert
                # rather than sending it twice.
                self._finish(day, CheckOutcome.NO_NEW_DATA)
                self.alert(self._no_data_text(day, checks, last_error))
                return CheckOutcome.NO_NEW_DATA
            wait = min(self.schedule.poll_every, remaining)
            step("wait", next_check_in=f"{wait:g}s", poll_until=deadline)
            if self.stop.wait(wait):
                break
        step("run", day=day, outcome=CheckOutcome.STOPPED)
        return CheckOutcome.STOPPED  # the day is not finished: a restart today picks it up

    def _processed_today(self, journal: Journal, day: dt.date) -> Release | None:
        """A release already processed today that is today's (e.g. by ``run --once``)."""
        last = journal.last_release(self.patch.name)
        if last is None:
            return None
        processed = dt.datetime.fromisoformat(last.processed_at).astimezone(UK).date()
        if processed == day and (not last.release or last.release >= day.isoformat()):
            return last
        return None

    def _finish(self, day: dt.date, outcome: CheckOutcome) -> None:
        with self.journal() as journal:
            journal.finish_run_day(day.isoformat(), outcome)
        next_run = self.schedule.next_run(now_uk())
        step("run", day=day, outcome=outcome, next_run=next_run or "-")

    def _no_data_text(self, day: dt.date, checks: int, last_error: str) -> str:
        with self.journal() as journal:
            last = journal.last_release(self.patch.name)
        latest = (
            f"The latest release processed is {last.release or '(undated)'} (week to "
            f"{last.week_ending})."
            if last
            else "No release has been processed yet."
        )
        text = (
            f":hourglass: Patchbot: no new {self.publisher} data today ({day:%A %-d %B %Y}) for "
            f"{self.patch.name}. Checked {self.source} {checks} "
            f"{'time' if checks == 1 else 'times'} until {self.schedule.poll_until:%H:%M} UK "
            f"time; nothing was posted. {latest}"
        )
        if last_error:
            text += f"\nLast error: {last_error}"
        return text

    def missed_today(self, now: dt.datetime) -> bool:
        """Today's run time has passed, its poll deadline has not, and today's job has not
        finished (it never ran: the machine was down; or it was stopped part-way)."""
        day = now.date()
        fire = self.schedule.fire_time(day)
        if fire is None or not fire <= now < self.schedule.deadline(day):
            return False
        with self.journal() as journal:
            done = journal.run_day(day.isoformat())
        return done is None or done.finished_at is None
