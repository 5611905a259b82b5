"""Checks across PHE's rows and weeks: every area in the lookup under its own council, a rate
that is cases / population, a change that is this week minus last, no week with far fewer areas
than the others (a truncated download), no data older than its release implies.

Each problem names the line (counted as in the file), the area and the week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bot.cases import to_pandas
from bot.errors import PatchbotError
from bot.geography import Geography
from bot.sources import RawData

RATE_TOLERANCE = 0.06  # PHE rounded rates to one decimal place
SHORT_WEEK = 0.9  # a week with fewer rows than this share of the fullest week is truncated
STALE_AFTER = dt.timedelta(days=14)  # PHE's newest week ended about five days before release


def _refuse(
    origin: str, frame: pd.DataFrame, bad: pd.Series, problem: Callable[[pd.Series], str]
) -> None:
    """Raise naming the first row (line, area, week) where ``bad`` holds, if any."""
    flagged = bad.fillna(False).to_numpy(dtype=bool)
    if flagged.any():
        row = frame[flagged].iloc[0]
        where = f"line {row['line']} ({row['area_code']}, {row['week_ending']:%Y-%m-%d})"
        raise PatchbotError(f"{origin}: {where}: {problem(row)}")


def check_consistency(table: pa.Table, raw: RawData, geography: Geography) -> None:
    if _consistent(table, raw, geography):  # the usual case, checked in Arrow
        return
    frame = to_pandas(
        table.select(["area_code", "ltla_code", "week_ending", "cases", "rate", "change"])
    )
    frame["line"] = frame.index + 2
    lookup = geography.areas.set_index("area_code")
    frame["home"] = frame["area_code"].map(lookup["ltla_code"])
    frame["people"] = frame["area_code"].map(lookup["population"])
    _check_lookup(raw.origin, frame, lookup)
    _check_rates(raw.origin, frame)
    _check_changes(raw.origin, frame)
    _check_weeks(frame, raw)


def _check_lookup(origin: str, frame: pd.DataFrame, lookup: pd.DataFrame) -> None:
    _refuse(
        origin,
        frame,
        frame["home"].isna(),
        lambda row: f"areaCode {row['area_code']} is not an England MSOA (2011) in the lookup",
    )
    _refuse(
        origin,
        frame,
        frame["home"] != frame["ltla_code"],
        lambda row: (
            f"LtlaCode {row['ltla_code']} is not the council of {row['area_code']} "
            f"({lookup.loc[row['area_code'], 'ltla_name']}, {row['home']})"
        ),
    )


def _check_rates(origin: str, frame: pd.DataFrame) -> None:
    expected = frame["cases"] * 100_000 / frame["people"]
    _refuse(
        origin,
        frame,
        (frame["rate"] - expected).abs() > RATE_TOLERANCE,
        lambda row: (
            f"rate {row['rate']} does not match {row['cases']} cases among {row['people']:,} "
            f"people ({row['cases'] * 100_000 / row['people']:.1f} expected)"
        ),
    )


def _check_changes(origin: str, frame: pd.DataFrame) -> None:
    earlier = frame[["area_code", "week_ending", "cases"]].assign(
        week_ending=frame["week_ending"] + pd.Timedelta(days=7)
    )
    pairs = frame.merge(earlier, on=["area_code", "week_ending"], suffixes=("", "_before"))
    _refuse(
        origin,
        pairs,
        pairs["change"] != pairs["cases"] - pairs["cases_before"],
        lambda row: (
            f"change {row['change']} does not match {row['cases']} cases against "
            f"{row['cases_before']} the week before"
        ),
    )


def _check_weeks(frame: pd.DataFrame, raw: RawData) -> None:
    per_week = frame["week_ending"].value_counts()
    short = per_week[per_week < SHORT_WEEK * per_week.max()]
    if not short.empty:
        week = short.index.min()
        raise PatchbotError(
            f"{raw.origin}: the week ending {week:%Y-%m-%d} has only {short[week]:,} rows "
            f"against {per_week.max():,} in other weeks (a truncated or partial download?)"
        )
    newest = frame["week_ending"].max().date()
    if raw.release is not None and raw.release - newest > STALE_AFTER:
        raise PatchbotError(
            f"{raw.origin}: stale data: the newest week ends {newest.isoformat()} but the data "
            f"was published {raw.release.isoformat()}"
        )


def _consistent(table: pa.Table, raw: RawData, geography: Geography) -> bool:
    """Whether every rule below holds, worked out in Arrow on whole columns, without the pandas
    frame of every row the messages need (+110 MB at two years of history). When one fails,
    the checks above run to name the line."""
    lookup = geography.areas
    where = pc.index_in(table["area_code"], value_set=pa.array(lookup["area_code"].tolist()))
    if where.null_count:
        return False
    homes = pa.array(lookup["ltla_code"].tolist()).take(where)
    if not pc.all(pc.equal(homes, table["ltla_code"])).as_py():
        return False
    people = pa.array(lookup["population"].astype("float64").to_numpy()).take(where)
    expected = pc.divide(pc.cast(pc.multiply(table["cases"], 100_000), pa.float64()), people)
    if _any(pc.greater(pc.abs(pc.subtract(table["rate"], expected)), RATE_TOLERANCE)):
        return False
    now, before = _week_before(where, table["week_ending"])
    cases = table["cases"]
    found = pc.subtract(cases.take(now), cases.take(before))
    if _any(pc.not_equal(table["change"].take(now), found)):
        return False
    weeks = pc.value_counts(table["week_ending"]).field("counts")
    if pc.min(weeks).as_py() < SHORT_WEEK * pc.max(weeks).as_py():
        return False
    newest = pc.max(table["week_ending"]).as_py()
    return raw.release is None or raw.release - newest <= STALE_AFTER


def _any(mask: pa.ChunkedArray) -> bool:
    return bool(pc.any(pc.fill_null(mask, False)).as_py())


def _week_before(areas: pa.Array, weeks: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(row, row of the same area the week before) for every row that has one: a sorted
    search on one number per area and week, quicker than a join."""
    days = pc.cast(weeks, pa.int32()).to_numpy().astype(np.int64)
    keys = areas.to_numpy(zero_copy_only=False).astype(np.int64) * 1_000_000 + days
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    at = np.minimum(np.searchsorted(ordered, keys - 7), len(keys) - 1)
    has = ordered[at] == keys - 7
    return np.flatnonzero(has), order[at[has]]
