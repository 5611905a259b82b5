"""What is newsworthy in a patch's week: each rule is a pure function of the week's table.

The week's table (``patch_week``) has one row per MSOA in the patch, whatever the data held, and
a ``status``: ``reported`` (a count of 3 or more), ``suppressed`` (0-2, count withheld) or
``no_data`` (the data had no row for it). A rule returns the areas its story names, in the
story's order, and the story-level figures the copy quotes.
"""

from __future__ import annotations

import datetime as dt
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


@dataclass(frozen=True)
class Finding:
    areas: pd.DataFrame  # the areas the story names, in the story's order
    figures: dict[str, Any] = field(default_factory=dict)


def patch_week(cases: CaseData, geography: Geography, patch: Patch, week: dt.date) -> pd.DataFrame:
    """Every MSOA of the patch for ``week``, with its status; areas without a row kept."""
    rows = cases.week_rows(week)
    rows = rows[rows["ltla_code"].isin(patch.council_codes)]
    if rows.empty:
        raise PatchbotError(
            f"{cases.origin}: no rows for {patch.name} in the week ending {week.isoformat()}"
        )
    expected = geography.areas[geography.areas["ltla_code"].isin(patch.council_codes)]
    absent = expected[~expected["area_code"].isin(rows["area_code"])]
    table = pd.concat(
        [rows, absent.assign(week_ending=pd.Timestamp(week))], ignore_index=True
    ).reindex(columns=rows.columns)
    status = np.where(
        table["area_code"].isin(absent["area_code"]),
        NO_DATA,
        np.where(table["cases"].isna(), SUPPRESSED, REPORTED),
    )
    return table.assign(
        status=pd.Series(status, dtype="string"),
        previous_cases=(table["cases"] - table["change"]).astype("Int64"),
    )


def _one_decimal(value: Decimal) -> float:
    """Round half up, as PHE published its rates (Python's round() goes half to even)."""
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _status_count(table: pd.DataFrame, status: str) -> int:
    return int((table["status"] == status).sum())


def _top(ranked: pd.DataFrame, key: str, n: int) -> pd.DataFrame:
    """The first ``n`` rows of an already-ranked table, plus any tied with the n-th on ``key``."""
    if len(ranked) <= n:
        return ranked
    last = ranked[key].iloc[n - 1]
    tied = ranked.iloc[n:][ranked[key].iloc[n:] == last]
    top: pd.DataFrame = pd.concat([ranked.iloc[:n], tied])
    return top


def _by_council(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(["ltla_name", "area_name"], kind="stable")


def no_new_cases(table: pd.DataFrame) -> Finding:
    """Every area whose count was suppressed (0-2 cases), by council."""
    areas = _by_council(table[table["status"] == SUPPRESSED])
    return Finding(
        areas,
        {
            "area_count": len(table),
            "suppressed_count": len(areas),
            "no_data_count": _status_count(table, NO_DATA),
        },
    )


def highest_rates(table: pd.DataFrame, params: HighestRatesParams) -> Finding:
    """Areas ranked by rate, flagged when above a multiple of the patch average.

    The patch average is total cases / total population x 100,000 over the areas with a row;
    suppressed areas count as zero cases (their true 0-2 is unknown), areas with no row are
    left out of both totals.
    """
    counted = table[table["status"] != NO_DATA]
    total_cases = int(counted["cases"].sum())  # NA (suppressed) skipped: counted as zero
    population = int(counted["population"].sum())
    average = _one_decimal(Decimal(total_cases * 100_000) / population) if population else 0.0
    threshold = _one_decimal(Decimal(str(average)) * Decimal(str(params.above_average_multiple)))
    ranked = table[table["rate"].notna()].sort_values(
        ["rate", "cases", "area_name"], ascending=[False, False, True], kind="stable"
    )
    areas = _top(ranked, "rate", params.top)
    areas = areas.assign(above_threshold=areas["rate"] > threshold)
    return Finding(
        areas,
        {
            "patch_average": average,
            "patch_cases": total_cases,
            "patch_population": population,
            "above_average_multiple": params.above_average_multiple,
            "threshold": threshold,
            "above_threshold_count": int(areas["above_threshold"].sum()),
            "suppressed_count": _status_count(table, SUPPRESSED),
            "suppressed_counted_as": 0,
            "no_data_count": _status_count(table, NO_DATA),
            "top": params.top,
        },
    )


def _changes(table: pd.DataFrame, params: ChangeParams, rising: bool) -> Finding:
    known = table[table["change"].notna() & (table["previous_cases"] >= params.min_previous_cases)]
    moved = known[known["change"] > 0] if rising else known[known["change"] < 0]
    ranked = moved.assign(size=moved["change"].abs()).sort_values(
        ["size", "area_name"], ascending=[False, True], kind="stable"
    )
    areas = _top(ranked, "size", params.top).drop(columns="size")
    return Finding(areas, {"top": params.top, "min_previous_cases": params.min_previous_cases})


def largest_rises(table: pd.DataFrame, params: ChangeParams) -> Finding:
    """The largest week-on-week rises in cases, ignoring areas with a tiny base."""
    return _changes(table, params, rising=True)


def largest_falls(table: pd.DataFrame, params: ChangeParams) -> Finding:
    """The largest week-on-week falls in cases, ignoring areas with a tiny base."""
    return _changes(table, params, rising=False)


def weekly_roundup(table: pd.DataFrame, params: RoundupParams) -> Finding:
    """Every area with at least ``min_cases`` cases, grouped by council."""
    areas = _by_council(table[table["cases"] >= params.min_cases])
    councils = [
        {"ltla_name": name, "area_count": len(group), "cases": int(group["cases"].sum())}
        for name, group in areas.groupby("ltla_name", sort=False)
    ]
    return Finding(
        areas,
        {
            "min_cases": params.min_cases,
            "listed_count": len(areas),
            "listed_cases": int(areas["cases"].sum()),
            "unlisted_reported_count": _status_count(table, REPORTED) - len(areas),
            "suppressed_count": _status_count(table, SUPPRESSED),
            "no_data_count": _status_count(table, NO_DATA),
            "area_count": len(table),
            "councils": councils,
        },
    )
