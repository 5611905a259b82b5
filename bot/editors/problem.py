"""One thing wrong with a templates folder, said where an editor can find it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    where: str  # "file:line" or "story [fixture]"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
