"""The sensible range of a ``stories.toml`` number, written beside the number in its story's
params (``Annotated[int, Limit(...)]``), so the check and ``draft`` refuse nonsense such as
``min_cases = 0`` ("recorded 0 or more cases") with the reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    minimum: float
    above: bool = False  # the value must be strictly above ``minimum``
    why: str = ""  # what goes wrong below it, in the copy's terms

    def allows(self, value: float) -> bool:
        return value > self.minimum if self.above else value >= self.minimum

    def describe(self) -> str:
        bound = f"{self.minimum:g}"
        return f"above {bound}" if self.above else f"at least {bound}"


# Numbers with no Limit of their own: nothing in a story counts below zero.
NOT_NEGATIVE = Limit(0)
