"""``weekly_roundup``: every area with at least ``min_cases`` cases, grouped by council."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypedDict

from bot.cases import AreaStatus
from bot.rules import Finding, WeekTable, by_council, by_patch, listed, per_patch
from bot.stories import Story, register_story
from bot.stories.limits import Limit


@dataclass(frozen=True)
class RoundupParams:
    # list areas with at least this many cases
    min_cases: Annotated[int, Limit(1, why='"0 or more cases" would list every area')] = 3


class CouncilTotals(TypedDict):
    ltla_name: str
    area_count: int
    cases: int


class RoundupFigures(TypedDict):
    min_cases: Annotated[
        int, "stories.toml: the round-up lists areas with at least this many cases"
    ]
    listed_count: Annotated[int, "how many areas the round-up lists"]
    listed_cases: Annotated[int, "the total cases of the listed areas"]
    unlisted_reported_count: Annotated[int, "areas with figures but below `min_cases`"]
    suppressed_count: Annotated[
        int, "how many areas had their count suppressed (zero to two cases)"
    ]
    no_data_count: Annotated[int, "how many areas had no figures in the data at all"]
    area_count: Annotated[int, "how many neighbourhoods the patch has"]
    councils: Annotated[
        list[CouncilTotals],
        "per council: `ltla_name`, `area_count` and `cases` of its listed areas",
    ]


def weekly_roundup(table: WeekTable, params: RoundupParams) -> Finding:
    """Every area with at least ``min_cases`` cases, grouped by council."""
    areas = {
        patch: by_council(rows)
        for patch, rows in by_patch(
            row for row in table.rows if row.cases is not None and row.cases >= params.min_cases
        ).items()
    }
    councils: dict[int, list[CouncilTotals]] = {}
    for patch, rows in areas.items():
        totals: dict[str, CouncilTotals] = {}
        for row in rows:
            council = totals.setdefault(
                row.ltla_name, CouncilTotals(ltla_name=row.ltla_name, area_count=0, cases=0)
            )
            council["area_count"] += 1
            council["cases"] += row.cases or 0
        councils[patch] = list(totals.values())

    def figures(patch: int, counts: dict[str, int]) -> RoundupFigures:
        count = len(areas.get(patch, []))
        return RoundupFigures(
            min_cases=params.min_cases,
            listed_count=count,
            listed_cases=sum(council["cases"] for council in councils.get(patch, [])),
            unlisted_reported_count=counts[AreaStatus.REPORTED] - count,
            suppressed_count=counts[AreaStatus.SUPPRESSED],
            no_data_count=counts[AreaStatus.NO_DATA],
            area_count=counts["total"],
            councils=councils.get(patch, []),
        )

    return Finding(listed(table, areas), per_patch(table, figures))


register_story(
    Story(
        name="weekly_roundup",
        rule=weekly_roundup,
        params_type=RoundupParams,
        figures_type=RoundupFigures,
        nothing="no area reached the round-up's minimum count",
        patch_map=True,
    )
)
