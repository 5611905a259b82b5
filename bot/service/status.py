"""``patchbot status``: the service, and for each desk its schedule, last check and release,
stories and last errors."""

from __future__ import annotations

import datetime as dt

from bot.delivery import label
from bot.desks import Desk, load_desks
from bot.logs import uk_time
from bot.service.schedule import Schedule, now_uk
from bot.settings import Settings
from bot.state import EventKind, Journal, Ledger, PostStatus, lock_holder


def status_lines(settings: Settings, now: dt.datetime | None = None) -> list[str]:
    now = now or now_uk()
    desks = load_desks(settings)
    holder = lock_holder(settings.state_dir)
    lines = [
        f"state:         {settings.state_dir}",
        f"service:       {f'running (pid {holder})' if holder else 'not running'}",
    ]
    for desk in desks:
        if not desk.explicit:
            lines += _desk_lines(desk, now)
            continue
        patch = desk.settings.patch or "(no patch)"
        if desk.patch_name:
            patch += f' ("{desk.patch_name}" in headlines)'
        lines.append(f"desk {desk.name}: {patch} → {desk.settings.slack_channel}")
        lines += [f"  {line}" for line in _desk_lines(desk, now)]
    return lines


def _desk_lines(desk: Desk, now: dt.datetime) -> list[str]:
    settings = desk.settings
    schedule = Schedule.of(settings)
    next_run = schedule.next_run(now)
    with (
        Journal(settings.state_dir, desk.name) as journal,
        Ledger(settings.state_dir, desk.name) as ledger,
    ):
        checks = journal.events(EventKind.CHECK, 1)
        last = journal.last_release()
        today = journal.run_day(now.date().isoformat())
        errors = journal.events(EventKind.ERROR, 3)
        counts = ledger.counts()
        pending = ledger.pending()
    lines = [
        f"templates:     {settings.templates_dir}",
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
    posted, waiting = counts.get(PostStatus.POSTED, 0), counts.get(PostStatus.PENDING, 0)
    lines.append(f"stories:       {posted} posted, {waiting} pending")
    lines += [f"  pending:     {label(post)}: {post.last_error or 'not sent'}" for post in pending]
    if errors:
        lines.append("last errors:")
        lines += [f"  {uk_time(at)}: {detail}" for at, detail in errors]
    else:
        lines.append("last errors:   none")
    return lines
