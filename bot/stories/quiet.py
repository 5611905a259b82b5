"""``no_new_cases``: every area whose count was suppressed (PHE: zero to two cases)."""

from __future__ import annotations

from typing import Annotated, TypedDict

import pandas as pd

from bot.cases import AreaStatus
from bot.rules import Finding, by_council, per_patch
from bot.stories import Story, register_story


class QuietFigures(TypedDict):
    area_count: Annotated[int, "how many neighbourhoods the patch has"]
    suppressed_count: Annotated[
        int, "how many areas had their count suppressed (zero to two cases)"
    ]
    no_data_count: Annotated[int, "how many areas had no figures in the data at all"]


def no_new_cases(table: pd.DataFrame, _params: None = None) -> Finding:
    """Every area whose count was suppressed (0-2 cases), by council."""
    return Finding(
        by_council(table[table["status"] == AreaStatus.SUPPRESSED]),
        per_patch(
            table,
            lambda _patch, counts: QuietFigures(
                area_count=counts["total"],
                suppressed_count=counts[AreaStatus.SUPPRESSED],
                no_data_count=counts[AreaStatus.NO_DATA],
            ),
        ),
    )


register_story(
    Story(
        name="no_new_cases",
        rule=no_new_cases,
        params_type=None,
        figures_type=QuietFigures,
        nothing="no area had its count suppressed",
    )
)
