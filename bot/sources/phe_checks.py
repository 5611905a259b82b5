"""Checks across PHE's rows and weeks: every area in the lookup under its own council, a rate
that is cases / population, a change that is this week minus last, no week with far fewer areas
than the others (a truncated download), no data older than its release implies.

Each problem names the line (counted as in the file), the area and the week.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bot.errors import PatchbotError
from bot.geography import Area, Geography
from bot.sources import RawData

RATE_TOLERANCE = 0.06  # PHE rounded rates to one decimal place
SHORT_WEEK = 0.9  # a week with fewer rows than this share of the fullest week is truncated
STALE_AFTER = dt.timedelta(days=14)  # PHE's newest week ended about five days before release
GRID_PER_ROW = 8  # the largest grid of areas by weeks, in cells per row, placed rows in
COLUMNS = ("area_code", "ltla_code", "week_ending", "cases", "rate", "change")


@dataclass(frozen=True)
class _Row:
    """One row, as the messages need it."""

    line: int  # counted as in the file (the header is line 1)
    area_code: str
    ltla_code: str
    week_ending: dt.date
    cases: int | None
    rate: float | None
    change: int | None


def _refuse(
    origin: str, rows: list[_Row], bad: Callable[[_Row], bool], problem: Callable[[_Row], str]
) -> None:
    """Raise naming the first row (line, area, week) where ``bad`` holds, if any."""
    for row in rows:
        if bad(row):
            where = f"line {row.line} ({row.area_code}, {row.week_ending:%Y-%m-%d})"
            raise PatchbotError(f"{origin}: {where}: {problem(row)}")


def check_consistency(table: pa.Table, raw: RawData, geography: Geography) -> None:
    if _consistent(table, raw, geography):  # the usual case, checked in Arrow
        return
    # Only when a rule is broken: every row in Python, to name the first that breaks it.
    columns: list[list[Any]] = [table[name].to_pylist() for name in COLUMNS]
    rows = [_Row(line, *values) for line, values in enumerate(zip(*columns, strict=True), 2)]
    lookup = {area.area_code: area for area in geography.areas}
    _check_lookup(raw.origin, rows, lookup)
    _check_rates(raw.origin, rows, lookup)
    _check_changes(raw.origin, rows)
    _check_weeks(rows, raw)


def _check_lookup(origin: str, rows: list[_Row], lookup: dict[str, Area]) -> None:
    _refuse(
        origin,
        rows,
        lambda row: row.area_code not in lookup,
        lambda row: f"areaCode {row.area_code} is not an England MSOA (2011) in the lookup",
    )
    _refuse(
        origin,
        rows,
        lambda row: lookup[row.area_code].ltla_code != row.ltla_code,
        lambda row: (
            f"LtlaCode {row.ltla_code} is not the council of {row.area_code} "
            f"({lookup[row.area_code].ltla_name}, {lookup[row.area_code].ltla_code})"
        ),
    )


def _check_rates(origin: str, rows: list[_Row], lookup: dict[str, Area]) -> None:
    def expected(row: _Row) -> float:
        return (row.cases or 0) * 100_000 / lookup[row.area_code].population

    _refuse(
        origin,
        rows,
        lambda row: (
            row.rate is not None and row.cases is not None
            and abs(row.rate - expected(row)) > RATE_TOLERANCE
        ),
        lambda row: (
            f"rate {row.rate} does not match {row.cases} cases among "
            f"{lookup[row.area_code].population:,} people ({expected(row):.1f} expected)"
        ),
    )  # fmt: skip


def _check_changes(origin: str, rows: list[_Row]) -> None:
    before = {(row.area_code, row.week_ending): row.cases for row in rows}

    def earlier(row: _Row) -> int | None:
        return before.get((row.area_code, row.week_ending - dt.timedelta(days=7)))

    def wrong(row: _Row) -> bool:
        previous = earlier(row)
        return None not in (row.change, row.cases, previous) and (
            row.change != (row.cases or 0) - (previous or 0)
        )

    _refuse(
        origin,
        rows,
        wrong,
        lambda row: (
            f"change {row.change} does not match {row.cases} cases against "
            f"{earlier(row)} the week before"
        ),
    )


def _check_weeks(rows: list[_Row], raw: RawData) -> None:
    per_week = Counter(row.week_ending for row in rows)
    most = max(per_week.values())
    short = sorted(week for week, count in per_week.items() if count < SHORT_WEEK * most)
    if short:
        week = short[0]
        raise PatchbotError(
            f"{raw.origin}: the week ending {week:%Y-%m-%d} has only {per_week[week]:,} rows "
            f"against {most:,} in other weeks (a truncated or partial download?)"
        )
    newest = max(per_week)
    if raw.release is not None and raw.release - newest > STALE_AFTER:
        raise PatchbotError(
            f"{raw.origin}: stale data: the newest week ends {newest.isoformat()} but the data "
            f"was published {raw.release.isoformat()}"
        )


def _consistent(table: pa.Table, raw: RawData, geography: Geography) -> bool:
    """Whether every rule below holds, worked out in Arrow on whole columns, without the Python
    list of every row the messages need (+110 MB at two years of history). When one fails,
    the checks above run to name the line. One function per rule, so that each one's whole
    columns are freed before the next (two years of history: 30 MB less at the peak)."""
    lookup = geography.areas
    where = pc.index_in(table["area_code"], value_set=pa.array([a.area_code for a in lookup]))
    return (
        where.null_count == 0
        and _at_home(table, where, lookup)
        and _rates_match(table, where, lookup)
        and _changes_match(table, where)
        and _weeks_whole(table, raw)
    )


def _at_home(table: pa.Table, where: pa.ChunkedArray, lookup: tuple[Area, ...]) -> bool:
    """Each row's council is its area's (compared as numbers, not texts)."""
    councils = {
        code: index for index, code in enumerate(dict.fromkeys(a.ltla_code for a in lookup))
    }
    homes = pa.array([councils[area.ltla_code] for area in lookup], pa.int32()).take(where)
    given = pc.index_in(table["ltla_code"], value_set=pa.array(list(councils)))
    return given.null_count == 0 and bool(pc.all(pc.equal(homes, given)).as_py())


def _rates_match(table: pa.Table, where: pa.ChunkedArray, lookup: tuple[Area, ...]) -> bool:
    people = pa.array([float(area.population) for area in lookup]).take(where)
    expected = pc.divide(pc.cast(pc.multiply(table["cases"], 100_000), pa.float64()), people)
    return not _any(pc.greater(pc.abs(pc.subtract(table["rate"], expected)), RATE_TOLERANCE))


def _changes_match(table: pa.Table, where: pa.ChunkedArray) -> bool:
    now, before = _week_before(where, table["week_ending"])
    cases = table["cases"]
    found = pc.subtract(cases.take(now), cases.take(before))
    return not _any(pc.not_equal(table["change"].take(now), found))


def _weeks_whole(table: pa.Table, raw: RawData) -> bool:
    """No week far shorter than the others, and the newest not stale for the release."""
    weeks = pc.value_counts(table["week_ending"]).field("counts")
    if pc.min(weeks).as_py() < SHORT_WEEK * pc.max(weeks).as_py():
        return False
    newest = pc.max(table["week_ending"]).as_py()
    return raw.release is None or raw.release - newest <= STALE_AFTER


def _any(mask: pa.ChunkedArray) -> bool:
    return bool(pc.any(pc.fill_null(mask, False)).as_py())


def _week_before(areas: pa.ChunkedArray, weeks: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(row, row of the same area the week before) for every row that has one, the rows in
    order. Each row's place in a grid of every area by every week in the file, when the grid
    is not much larger than the rows (any number of weeks of every area): a quarter of the
    time of the sorted search below, which takes any other file."""
    days = pc.cast(weeks, pa.int32()).to_numpy()
    distinct = np.sort(pc.unique(weeks).cast(pa.int32()).to_numpy())
    area_count = (pc.max(areas).as_py() or 0) + 1
    if area_count * len(distinct) > GRID_PER_ROW * len(days):
        return _week_before_sorted(areas, days)
    week = np.searchsorted(distinct, days)  # each row's week among the file's
    earlier = np.searchsorted(distinct, distinct - 7)  # each week's week before, if present
    present = distinct[np.minimum(earlier, len(distinct) - 1)] == distinct - 7
    cells = areas.to_numpy().astype(np.int64) * len(distinct)
    grid = np.full(area_count * len(distinct), -1, np.int64)
    grid[cells + week] = np.arange(len(days))
    has = present[week]
    before = grid[cells[has] + earlier[week[has]]]
    rows = np.flatnonzero(has)
    found = before >= 0
    return rows[found], before[found]


def _week_before_sorted(areas: pa.ChunkedArray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_week_before`` by a sorted search on one number per area and week (each array freed,
    or reused in place, as soon as it is done with)."""
    keys = areas.to_numpy().astype(np.int64) * 1_000_000
    keys += days
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    keys -= 7  # now each row's key for the week before
    at = np.searchsorted(ordered, keys)
    np.minimum(at, len(keys) - 1, out=at)
    has = ordered[at] == keys
    del ordered, keys
    return np.flatnonzero(has), order[at[has]]
