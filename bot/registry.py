"""Plug-ins by name: sources, geographies, stories and delivery targets each keep one
``Registry``, filled as their modules are imported, read wherever a name is given."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.errors import PatchbotError

T = TypeVar("T")


class Registry(dict[str, T]):
    """Named plug-ins of one kind, in the order they were registered."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind  # "source", "story"...: how messages name one

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator that registers what it decorates under ``name``."""

        def add(item: T) -> T:
            self[name] = item
            return item

        return add

    def find(self, name: str, setting: str) -> T:
        """The plug-in called ``name``, or one line naming the setting and the known names."""
        try:
            return self[name]
        except KeyError:
            raise PatchbotError(
                f"{setting}: unknown {self.kind} {name!r}; known: {', '.join(self)}"
            ) from None
