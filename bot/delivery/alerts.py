"""The ops channel: alerts for operators, each problem told once a day, not once a run.

A service polling every five minutes, or a cron job running ``post`` every hour, meets the same
problem (a broken template, a story Slack will not take) again and again; the journal records
each problem told to a desk's ops channel on a UK day, so it is told once that day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.delivery.target import DeliveryFailure, Target
from bot.logs import UK

if TYPE_CHECKING:
    from bot.state import Journal

log = logging.getLogger(__name__)


def bullets(problems: Sequence[str]) -> str:
    return "".join(f"\n• {problem}" for problem in problems)


def alert(target: Target, ops_destination: str | None, text: str) -> bool:
    """Tell the ops channel; if that fails too, the log is the last resort. True if sent."""
    log.warning("alert %s", text)
    if not ops_destination:
        return False
    try:
        target.alert(ops_destination, text)
    except DeliveryFailure as failure:
        log.error("could not alert SLACK_OPS_CHANNEL %s: %s", ops_destination, failure)
        return False
    return True


class OpsAlerts:
    """One desk's ops channel, telling each problem once a day (with a journal to remember
    what it told; without one, every time)."""

    def __init__(self, target: Target, destination: str | None, journal: Journal | None) -> None:
        self.target = target
        self.destination = destination
        self.journal = journal

    def tell(self, problems: Sequence[str], compose: Callable[[list[str]], str]) -> None:
        """Alert ``compose(new)``, ``new`` being the problems not told yet today. Each is
        recorded before it is sent, and forgotten again if it could not be sent, so the next
        run tries again."""
        day = dt.datetime.now(UK).date().isoformat()
        journal = self.journal
        new = [p for p in problems if journal is None or journal.first_alert_today(day, p)]
        if not new:
            if problems:
                log.info("alert already told today: %s", "; ".join(problems))
            return
        if not alert(self.target, self.destination, compose(new)) and journal is not None:
            for problem in new:
                journal.forget_alert(day, problem)
