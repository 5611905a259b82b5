"""Stories: each one registry entry, found by name everywhere (``--story``, ``stories.toml``,
the editors' guide, pictures, the fact check).

A story is its rule (a pure function of the week's table, ``bot.rules``), the type of its
``stories.toml`` numbers, the typed figures it reports beside its areas (a TypedDict whose
fields carry their help for the editors' guide as ``Annotated`` text), the area field that
ranks its list, its chart, and why a week can have none. Adding a story is one rule, one
``register_story`` call and a template ``story_templates/<name>.j2`` with its headlines and
intros in ``stories.toml``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_type_hints

from bot.registry import Registry
from bot.rules import Finding, WeekTable


@dataclass(frozen=True)
class Story:
    name: str
    rule: Callable[[WeekTable, Any], Finding]  # (the week's table, its params) -> Finding
    params_type: type[Any] | None  # the dataclass of its stories.toml numbers, if it has any
    figures_type: type[Any]  # TypedDict of its story-level figures, each Annotated with help
    nothing: str  # why a week can have no such story, for the run's log
    lead_by: str | None = None  # the area field its list is ranked by: ties share first place
    chart: str | None = None  # the chart drawn beside it (``bot.pictures.CHART_SPECS``)
    patch_map: bool = False  # the map of every area's figures goes with it

    def figure_help(self) -> dict[str, str]:
        """Each story-level figure's help text, from its ``Annotated`` type."""
        hints = get_type_hints(self.figures_type, include_extras=True)
        return {name: str(hint.__metadata__[0]) for name, hint in hints.items()}


STORIES: Registry[Story] = Registry("story")  # drafted and posted in registration order


def register_story(story: Story) -> Story:
    return STORIES.register(story.name)(story)


# The built-in stories register themselves on import, in the order drafts are posted.
# isort: off
from bot.stories import quiet, rates, changes, roundup  # noqa: E402, F401

# isort: on
from bot.stories.drafting import Draft, DraftSet  # noqa: E402

__all__ = ["STORIES", "Draft", "DraftSet", "Story", "register_story"]
