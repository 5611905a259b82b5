"""How long to wait before trying again: one rule for every retry loop in Patchbot.

Used by the PHE download (``bot.sources.fetching``) and by delivery (``bot.delivery.courier``), so a
setting like ``PATCHBOT_HTTP_BACKOFF`` or ``SLACK_BACKOFF`` means the same thing in both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``base`` seconds before the first retry, doubling each time, never
    more than ``cap`` seconds."""

    base: float
    cap: float = math.inf

    def wait(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (counted from 1)."""
        return min(self.cap, self.base * 2.0 ** (attempt - 1))
