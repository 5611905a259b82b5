"""When the daily job runs: on the run days at ``PATCHBOT_RUN_AT`` UK time, polling until
``PATCHBOT_POLL_UNTIL``.

The trigger is APScheduler's cron trigger in Europe/London, so the job fires at 16:00 UK time
in GMT and in BST alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.errors import PatchbotError
from bot.logs import UK
from bot.settings import Settings


def now_uk() -> dt.datetime:
    return dt.datetime.now(UK)


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
