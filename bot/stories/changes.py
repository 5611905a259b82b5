"""``largest_rises`` and ``largest_falls``: the biggest week-on-week changes in cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypedDict

from bot.rules import AreaWeek, Finding, WeekTable, by_patch, listed, per_patch, top
from bot.stories import Story, register_story
from bot.stories.limits import Limit


@dataclass(frozen=True)
class ChangeParams:
    top: Annotated[int, Limit(1, why="a list needs at least one area")] = 10  # more when tied
    min_previous_cases: int = 5  # ignore areas whose week-before count was below this
    # Ignore smaller changes: PHE's 0-2 suppression band makes a move of a case or two noise.
    min_change: Annotated[int, Limit(1, why="a change of nothing is no rise or fall")] = 5


class ChangeFigures(TypedDict):
    top: Annotated[int, "stories.toml: how many areas to list (more when tied with the last)"]
    min_previous_cases: Annotated[
        int, "stories.toml: areas with fewer cases the week before are left out"
    ]
    min_change: Annotated[int, "stories.toml: smaller rises or falls (in cases) are left out"]


def _changes(table: WeekTable, params: ChangeParams, rising: bool) -> Finding:
    least = max(params.min_change, 1)

    def moved(row: AreaWeek) -> bool:
        if row.change is None or row.previous_cases is None:
            return False
        big_enough = row.previous_cases >= params.min_previous_cases and abs(row.change) >= least
        return big_enough and (row.change > 0 if rising else row.change < 0)

    def size(row: AreaWeek) -> int:
        return abs(row.change or 0)

    areas = {
        patch: top(sorted(rows, key=lambda row: (-size(row), row.area_name)), size, params.top)
        for patch, rows in by_patch(filter(moved, table.rows)).items()
    }
    return Finding(
        listed(table, areas),
        per_patch(
            table,
            lambda _patch, _counts: ChangeFigures(
                top=params.top,
                min_previous_cases=params.min_previous_cases,
                min_change=params.min_change,
            ),
        ),
    )


def largest_rises(table: WeekTable, params: ChangeParams) -> Finding:
    """The largest week-on-week rises in cases, ignoring areas with a tiny base."""
    return _changes(table, params, rising=True)


def largest_falls(table: WeekTable, params: ChangeParams) -> Finding:
    """The largest week-on-week falls in cases, ignoring areas with a tiny base."""
    return _changes(table, params, rising=False)


for rule, direction in ((largest_rises, "rose"), (largest_falls, "fell")):
    register_story(
        Story(
            name=rule.__name__,
            rule=rule,
            params_type=ChangeParams,
            figures_type=ChangeFigures,
            nothing=f"no area's cases {direction} by at least min_change from at least "
            "min_previous_cases the week before (stories.toml)",
            lead_by="change",
            chart=rule.__name__,
        )
    )
