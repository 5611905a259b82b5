"""What is newsworthy in a patch's week: each rule is a pure function of the week's table.

The week's table (``patches_week``) has one row per MSOA in each patch, whatever the data held,
with the patch's number in column ``patch`` and a ``status``: ``reported`` (a count of 3 or
more), ``suppressed`` (0-2, count withheld) or ``no_data`` (the data had no row for it). A rule
returns, for every patch at once (vectorised group-bys, not a loop per patch or area), the
areas its story names in the story's order and the story-level figures the copy quotes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from bot.errors import PatchbotError
from bot.geography import Geography, Patch
from bot.validate import CaseData

REPORTED, SUPPRESSED, NO_DATA = "reported", "suppressed", "no_data"


@dataclass(frozen=True)
class HighestRatesParams:
    top: int = 20  # areas listed (more when tied with the last)
    above_average_multiple: float = 2.0  # flag areas above this multiple of the patch average


@dataclass(frozen=True)
class ChangeParams:
    top: int = 10  # areas listed (more when tied with the last)
    min_previous_cases: int = 5  # ignore areas whose week-before count was below this


@dataclass(frozen=True)
class RoundupParams:
    min_cases: int = 3  # list areas with at least this many cases


PATCH = "patch"  # column: the patch's position in the list of patches


@dataclass(frozen=True)
class Finding:
    areas: pd.DataFrame  # the areas each story names: grouped by patch, in the story's order
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)  # per patch number


def patches_week(
    cases: CaseData, geography: Geography, patches: Sequence[Patch], week: dt.date
) -> pd.DataFrame:
    """Every MSOA of every patch for ``week``, with its status; areas without a row kept."""
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
                NO_DATA,
                np.where(table["cases"].isna(), SUPPRESSED, REPORTED),
            ),
            dtype="string",
        ),
        previous_cases=(table["cases"] - table["change"]).astype("Int64"),
    )
    return table.sort_values(PATCH, kind="stable", ignore_index=True)


def patch_week(cases: CaseData, geography: Geography, patch: Patch, week: dt.date) -> pd.DataFrame:
    """One patch's week table; a patch with no rows in the data is an error."""
    table = patches_week(cases, geography, [patch], week)
    if (table["status"] == NO_DATA).all():
        raise PatchbotError(
            f"{cases.origin}: no rows for {patch.name} in the week ending {week.isoformat()}"
        )
    return table


def _one_decimal(value: Decimal) -> float:
    """Round half up, as PHE published its rates (Python's round() goes half to even)."""
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per patch: how many areas are reported, suppressed, no_data, and in all."""
    counts = (
        table.groupby([PATCH, "status"], observed=True)
        .size()
        .unstack(fill_value=0)
        .reindex(columns=[REPORTED, SUPPRESSED, NO_DATA], fill_value=0)
    )
    return counts.assign(total=counts.sum(axis=1))


def _figures(table: pd.DataFrame, make: Any) -> dict[int, dict[str, Any]]:
    """Story-level figures for every patch, from its status counts."""
    counts = _status_counts(table)
    rows = counts.to_dict("records")
    return {
        int(patch): make(int(patch), row) for patch, row in zip(counts.index, rows, strict=True)
    }


def _top(ranked: pd.DataFrame, key: str, n: int) -> pd.DataFrame:
    """In each patch, the first ``n`` rows of a ranked table plus any tied with the n-th."""
    position = ranked.groupby(PATCH, sort=False).cumcount()
    nth = ranked.loc[(position == n - 1).to_numpy(), [PATCH, key]].set_index(PATCH)[key]
    tied = ranked[key].eq(ranked[PATCH].map(nth)).fillna(False)
    kept: pd.DataFrame = ranked[((position < n) | tied).to_numpy()]
    return kept


def _by_council(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values([PATCH, "ltla_name", "area_name"], kind="stable")


def no_new_cases(table: pd.DataFrame) -> Finding:
    """Every area whose count was suppressed (0-2 cases), by council."""
    return Finding(
        _by_council(table[table["status"] == SUPPRESSED]),
        _figures(
            table,
            lambda _patch, counts: {
                "area_count": int(counts["total"]),
                "suppressed_count": int(counts[SUPPRESSED]),
                "no_data_count": int(counts[NO_DATA]),
            },
        ),
    )


def highest_rates(table: pd.DataFrame, params: HighestRatesParams) -> Finding:
    """Areas ranked by rate, flagged when above a multiple of the patch average.

    The patch average is total cases / total population x 100,000 over the areas with a row;
    suppressed areas count as zero cases (their true 0-2 is unknown), areas with no row are
    left out of both totals.
    """
    counted = table[table["status"] != NO_DATA]
    totals = counted.groupby(PATCH)[["cases", "population"]].sum()  # NA cases count as zero
    multiple = Decimal(str(params.above_average_multiple))
    averages: dict[int, tuple[float, float, int, int]] = {}
    for patch, cases, population in totals.itertuples():
        cases, population = int(cases), int(population)
        average = _one_decimal(Decimal(cases * 100_000) / population) if population else 0.0
        threshold = _one_decimal(Decimal(str(average)) * multiple)
        averages[int(patch)] = (average, threshold, cases, population)
    ranked = table[table["rate"].notna()].sort_values(
        [PATCH, "rate", "cases", "area_name"], ascending=[True, False, False, True], kind="stable"
    )
    areas = _top(ranked, "rate", params.top)
    thresholds = areas[PATCH].map({p: values[1] for p, values in averages.items()})
    areas = areas.assign(above_threshold=areas["rate"] > thresholds)
    # Counted over the whole patch: more areas can be above the line than the list shows.
    everyone = ranked[PATCH].map({p: values[1] for p, values in averages.items()})
    flagged = (ranked["rate"] > everyone).groupby(ranked[PATCH]).sum()
    listed_flagged = areas.groupby(PATCH)["above_threshold"].sum()

    def figures(patch: int, counts: dict[str, int]) -> dict[str, Any]:
        average, threshold, cases, population = averages.get(patch, (0.0, 0.0, 0, 0))
        return {
            "patch_average": average,
            "patch_cases": cases,
            "patch_population": population,
            "above_average_multiple": params.above_average_multiple,
            "threshold": threshold,
            "above_threshold_count": int(flagged.get(patch, 0)),
            "listed_above_threshold_count": int(listed_flagged.get(patch, 0)),
            "suppressed_count": int(counts[SUPPRESSED]),
            "suppressed_counted_as": 0,
            "no_data_count": int(counts[NO_DATA]),
            "top": params.top,
        }

    return Finding(areas, _figures(table, figures))


def _changes(table: pd.DataFrame, params: ChangeParams, rising: bool) -> Finding:
    known = table[table["change"].notna() & (table["previous_cases"] >= params.min_previous_cases)]
    moved = known[known["change"] > 0] if rising else known[known["change"] < 0]
    ranked = moved.assign(size=moved["change"].abs()).sort_values(
        [PATCH, "size", "area_name"], ascending=[True, False, True], kind="stable"
    )
    areas = _top(ranked, "size", params.top).drop(columns="size")
    figures = {"top": params.top, "min_previous_cases": params.min_previous_cases}
    return Finding(areas, _figures(table, lambda _patch, _counts: dict(figures)))


def largest_rises(table: pd.DataFrame, params: ChangeParams) -> Finding:
    """The largest week-on-week rises in cases, ignoring areas with a tiny base."""
    return _changes(table, params, rising=True)


def largest_falls(table: pd.DataFrame, params: ChangeParams) -> Finding:
    """The largest week-on-week falls in cases, ignoring areas with a tiny base."""
    return _changes(table, params, rising=False)


def weekly_roundup(table: pd.DataFrame, params: RoundupParams) -> Finding:
    """Every area with at least ``min_cases`` cases, grouped by council."""
    areas = _by_council(table[table["cases"] >= params.min_cases])
    per_council = areas.groupby([PATCH, "ltla_name"], sort=False)["cases"].agg(["size", "sum"])
    councils: dict[int, list[dict[str, Any]]] = {}
    for (patch, name), size, total in per_council.itertuples():
        councils.setdefault(int(patch), []).append(
            {"ltla_name": name, "area_count": int(size), "cases": int(total)}
        )
    listed = areas.groupby(PATCH)["cases"].agg(["size", "sum"]).to_dict("index")

    def figures(patch: int, counts: dict[str, int]) -> dict[str, Any]:
        count, cases = listed[patch].values() if patch in listed else (0, 0)
        return {
            "min_cases": params.min_cases,
            "listed_count": int(count),
            "listed_cases": int(cases),
            "unlisted_reported_count": int(counts[REPORTED]) - int(count),
            "suppressed_count": int(counts[SUPPRESSED]),
            "no_data_count": int(counts[NO_DATA]),
            "area_count": int(counts["total"]),
            "councils": councils.get(patch, []),
        }

    return Finding(areas, _figures(table, figures))
