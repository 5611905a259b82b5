"""Running the service: ``run --once`` (one check now) and ``run`` (the schedule).

Design choices:

- ``coalesce=True`` and ``max_instances=1`` make missed or overlapping runs one run, and a
  ``misfire_grace_time`` up to the poll deadline lets a run delayed while the process was
  suspended still happen the same day.
- Catching up after a restart is an explicit check at start-up, not a persistent job store: if
  today's run time has passed, the poll deadline has not, and the journal has no finished run
  for today, the job runs at once. A persistent store (SQLAlchemyJobStore) would pickle the job
  and its arguments -- settings with the Slack token -- into the state directory, would need
  the job to be kept rather than replaced at start-up (so a changed PATCHBOT_RUN_AT would be
  ignored), and would know only that a fire time was missed, not whether the day's work was
  done.
- One service per state directory: the state lock (``bot.state.lock``), held for the life of
  the process. It serves every desk (``bot.desks``): one job per desk, each on its own
  schedule, all on the one ledger.
- Stopping: SIGTERM/SIGINT only set an event. A watcher thread then shuts the scheduler down,
  waiting for a running job; the job stops polling at once and delivery finishes the story
  being posted and leaves the rest pending in the ledger, so the next run sends them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from bot.desks import Desk, load_desks
from bot.logs import UK, step
from bot.service.check import Check
from bot.service.daily import Service
from bot.service.schedule import now_uk
from bot.settings import Settings
from bot.state import state_lock

JOB_ID = "daily"


def run_once(settings: Settings, stop: threading.Event | None = None) -> list[tuple[Desk, Check]]:
    """``patchbot run --once``: one check now for every desk (post if new), under the state
    lock."""
    services = [Service(desk, stop) for desk in load_desks(settings)]
    with state_lock(settings.state_dir):
        results = []
        for service in services:
            step("start", mode="once", desk=service.desk.name, state_dir=settings.state_dir,
                 source=service.source)  # fmt: skip
            results.append((service.desk, service.check()))
        return results


def serve(settings: Settings, stop: threading.Event) -> None:
    """``patchbot run``: every desk's schedule, until ``stop`` is set (SIGTERM/SIGINT). Each
    desk's daily job runs in a worker thread of its own, so one desk polling for its release
    never holds another up."""
    from apscheduler.events import EVENT_SCHEDULER_STARTED
    from apscheduler.schedulers.blocking import BlockingScheduler

    services = [Service(desk, stop) for desk in load_desks(settings)]
    with state_lock(settings.state_dir):
        stop_listening = _listen(settings)
        scheduler = BlockingScheduler(timezone=UK)
        for service in services:
            _add_job(scheduler, service, settings)
        watcher = threading.Thread(
            target=_shut_down_when_stopped, args=(scheduler, stop), name="patchbot-stop"
        )
        scheduler.add_listener(lambda _event: watcher.start(), EVENT_SCHEDULER_STARTED)
        try:
            scheduler.start()  # returns once the watcher has shut the scheduler down
        finally:
            stop.set()
            if watcher.is_alive():
                watcher.join()
            if stop_listening is not None:
                stop_listening()
    step("stop", outcome="stopped")


def _listen(settings: Settings) -> Callable[[], None] | None:
    """Reporters' clicks in Slack (``bot.review``), heard in this process: the one owner of
    the ledger. Nothing to hear without SLACK_APP_TOKEN or SLACK_SIGNING_SECRET."""
    if not settings.slack_interactive:
        return None
    from bot.review.listen import start_listening

    return start_listening(settings)


def _add_job(scheduler: Any, service: Service, settings: Settings) -> None:
    """A desk's daily job, run at once if the desk missed today's run (see above)."""
    now = now_uk()
    catch_up = service.missed_today(now)
    first: dict[str, Any] = {"next_run_time": now} if catch_up else {}
    explicit = service.desk.explicit
    scheduler.add_job(
        service.daily_job,
        service.trigger,
        id=f"{JOB_ID}:{service.desk.name}" if explicit else JOB_ID,
        name=f"patchbot daily check ({service.desk.name})",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=service.schedule.grace_seconds,
        **first,
    )
    step(
        "start",
        desk=service.desk.name,
        state_dir=settings.state_dir,
        source=service.source,
        patch=service.patch.name,
        schedule=service.schedule.describe(),
        catch_up="yes" if catch_up else "no",
        next_run=now if catch_up else service.schedule.next_run(now) or "-",
    )


def _shut_down_when_stopped(scheduler: Any, stop: threading.Event) -> None:
    from apscheduler.schedulers import SchedulerNotRunningError

    stop.wait()
    step("stop", outcome="stopping", detail="finishing the story being posted, if any")
    with contextlib.suppress(SchedulerNotRunningError):
        scheduler.shutdown(wait=True)  # waits for a running job to return
