"""The week's table every story rule reads, and the pieces the rules share.

The week's table (``patches_week``) has one row per area in each patch, whatever the data held,
with the patch's number in column ``patch`` and a ``status`` (``bot.cases.AreaStatus``):
reported, suppressed (count withheld) or no_data (the data had no row for it), and names as the
copy prints them (``ltla_name``; the official one is ``ltla_ons_name``). A rule (one per
story, in ``bot.stories``) returns, for every patch at once (vectorised group-bys, not a loop
per patch or area), the areas its story names in the story's order and the story-level figures
the copy quotes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from bot.cases import AreaStatus, CaseData
from bot.errors import PatchbotError
from bot.geography import Geography, Patch
from bot.geography.names import display_names

F = TypeVar("F")
PATCH = "patch"  # column: the patch's position in the list of patches


@dataclass(frozen=True)
class Finding:
    areas: pd.DataFrame  # the areas each story names: grouped by patch, in the story's order
    # The story-level figures per patch number (each story's own TypedDict of figures).
    figures: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


def patches_week(
    cases: CaseData, geography: Geography, patches: Sequence[Patch], week: dt.date
) -> pd.DataFrame:
    """Every area of every patch for ``week``, with its status; areas without a row kept."""
    membership = pd.DataFrame(
        {
            "ltla_code": [c.code for patch in patches for c in patch.councils],
            PATCH: [i for i, patch in enumerate(patches) for _ in patch.councils],
        }
    )
    rows = cases.week_rows(week).merge(membership, on="ltla_code")
    expected = geography.areas.merge(membership, on="ltla_code")
    found = expected.merge(
        rows[[PATCH, "area_code"]], on=[PATCH, "area_code"], how="left", indicator=True
    )
    absent = expected[(found["_merge"] == "left_only").to_numpy()]
    table = pd.concat(
        [rows, absent.assign(week_ending=pd.Timestamp(week))], ignore_index=True
    ).reindex(columns=rows.columns)
    table = table.assign(
        status=pd.Series(
            np.where(
                np.arange(len(table)) >= len(rows),
                AreaStatus.NO_DATA.value,
                np.where(
                    table["cases"].isna(), AreaStatus.SUPPRESSED.value, AreaStatus.REPORTED.value
                ),
            ),
            dtype="string",
        ),
        previous_cases=(table["cases"] - table["change"]).astype("Int64"),
        # Names as the copy prints them; the official council name is kept beside.
        ltla_ons_name=table["ltla_name"],
        ltla_name=display_names().names(table["ltla_name"]),
        area_name=display_names().names(table["area_name"]),
    )
    return table.sort_values(PATCH, kind="stable", ignore_index=True)


def patch_week(cases: CaseData, geography: Geography, patch: Patch, week: dt.date) -> pd.DataFrame:
    """One patch's week table; a patch with no rows in the data is an error."""
    table = patches_week(cases, geography, [patch], week)
    if (table["status"] == AreaStatus.NO_DATA).all():
        raise PatchbotError(
            f"{cases.origin}: no rows for {patch.name} in the week ending {week.isoformat()}"
        )
    return table


def one_decimal(value: Decimal) -> float:
    """Round half up, as PHE published its rates (Python's round() goes half to even)."""
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per patch: how many areas are reported, suppressed, no_data, and in all."""
    statuses = [status.value for status in AreaStatus]
    counts = (
        table.groupby([PATCH, "status"], observed=True)
        .size()
        .unstack(fill_value=0)
        .reindex(columns=statuses, fill_value=0)
    )
    return counts.assign(total=counts.sum(axis=1))


def per_patch(table: pd.DataFrame, make: Callable[[int, dict[str, int]], F]) -> dict[int, F]:
    """Story-level figures for every patch, from its status counts."""
    counts = status_counts(table)
    rows = counts.to_dict("records")
    return {
        int(patch): make(int(patch), {str(k): int(v) for k, v in row.items()})
        for patch, row in zip(counts.index, rows, strict=True)
    }


def top(ranked: pd.DataFrame, key: str, n: int) -> pd.DataFrame:
    """In each patch, the first ``n`` rows of a ranked table plus any tied with the n-th."""
    position = ranked.groupby(PATCH, sort=False).cumcount()
    nth = ranked.loc[(position == n - 1).to_numpy(), [PATCH, key]].set_index(PATCH)[key]
    tied = ranked[key].eq(ranked[PATCH].map(nth)).fillna(False)
    kept: pd.DataFrame = ranked[((position < n) | tied).to_numpy()]
    return kept


def by_council(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values([PATCH, "ltla_name", "area_name"], kind="stable")
