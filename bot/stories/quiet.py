"""``no_new_cases``: every area whose count was suppressed (PHE: zero to two cases), and, for
data that publishes zeros (UKHSA's deaths), every area whose count was zero."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, TypedDict

from bot.cases import AreaStatus
from bot.rules import Finding, WeekTable, by_council, by_patch, listed, per_patch
from bot.stories import Story, register_story


@dataclass(frozen=True)
class QuietParams:
    include_zero_counts: bool = False  # also list areas whose published count was zero


class QuietFigures(TypedDict):
    area_count: Annotated[int, "how many neighbourhoods the patch has"]
    suppressed_count: Annotated[
        int, "how many areas had their count suppressed (zero to two cases)"
    ]
    no_data_count: Annotated[int, "how many areas had no figures in the data at all"]
    zero_count: Annotated[
        int, "how many areas had a published count of zero (listed with include_zero_counts)"
    ]


def no_new_cases(table: WeekTable, params: QuietParams | None = None) -> Finding:
    """Every area whose count was suppressed (0-2 cases), and with ``include_zero_counts``
    every area whose count was zero, by council."""
    with_zeros = params is not None and params.include_zero_counts
    zeros = Counter(row.patch for row in table.rows if row.cases == 0)
    quiet = by_patch(
        row for row in table.rows
        if row.status is AreaStatus.SUPPRESSED or (with_zeros and row.cases == 0)
    )  # fmt: skip
    return Finding(
        listed(table, {patch: by_council(rows) for patch, rows in quiet.items()}),
        per_patch(
            table,
            lambda patch, counts: QuietFigures(
                area_count=counts["total"],
                suppressed_count=counts[AreaStatus.SUPPRESSED],
                no_data_count=counts[AreaStatus.NO_DATA],
                zero_count=zeros[patch],
            ),
        ),
    )


register_story(
    Story(
        name="no_new_cases",
        rule=no_new_cases,
        params_type=QuietParams,
        figures_type=QuietFigures,
        nothing="no area had its count suppressed (or zero, where stories.toml lists zeros)",
    )
)
