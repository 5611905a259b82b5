"""``patchbot run``: Patchbot as a long-running service.

On each run day (``PATCHBOT_RUN_DAYS``, Monday to Friday by default) at ``PATCHBOT_RUN_AT`` UK
time (PHE published at 16:00), the daily job checks the source for a release newer than the last
one processed. Until one appears it checks again every ``PATCHBOT_POLL_MINUTES`` until
``PATCHBOT_POLL_UNTIL``, then tells the ops channel, once, that no new data came. A new release
is validated, drafted and posted exactly as ``patchbot post`` does (``bot.pipeline``), then
recorded in the journal as processed.

``schedule``: when; ``check``: one check of the source; ``daily``: the daily job, polling and
catching up; ``run``: ``run --once`` and the scheduler; ``status``: ``patchbot status``.
"""

from bot.logs import UK
from bot.service.check import Check, CheckOutcome
from bot.service.daily import Service
from bot.service.run import run_once, serve
from bot.service.schedule import Schedule
from bot.service.status import status_lines

__all__ = [
    "UK",
    "Check",
    "CheckOutcome",
    "Schedule",
    "Service",
    "run_once",
    "serve",
    "status_lines",
]
