"""``largest_rises`` and ``largest_falls``: the biggest week-on-week changes in cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypedDict

import pandas as pd

from bot.rules import PATCH, Finding, per_patch, top
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


def _changes(table: pd.DataFrame, params: ChangeParams, rising: bool) -> Finding:
    known = table[
        table["change"].notna()
        & (table["previous_cases"] >= params.min_previous_cases)
        & (table["change"].abs() >= max(params.min_change, 1))
    ]
    moved = known[known["change"] > 0] if rising else known[known["change"] < 0]
    ranked = moved.assign(size=moved["change"].abs()).sort_values(
        [PATCH, "size", "area_name"], ascending=[True, False, True], kind="stable"
    )
    areas = top(ranked, "size", params.top).drop(columns="size")
    return Finding(
        areas,
        per_patch(
            table,
            lambda _patch, _counts: ChangeFigures(
                top=params.top,
                min_previous_cases=params.min_previous_cases,
                min_change=params.min_change,
            ),
        ),
    )


def largest_rises(table: pd.DataFrame, params: ChangeParams) -> Finding:
    """The largest week-on-week rises in cases, ignoring areas with a tiny base."""
    return _changes(table, params, rising=True)


def largest_falls(table: pd.DataFrame, params: ChangeParams) -> Finding:
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
