"""The rules a PHE row's fields keep with one another, declared once in ``ROW_RULES``.

``phe_csv`` checks each cell on its own (its kind, its sign, its suppressed marks); these rules
check what a cell means next to the others in its row: a count and its rate are published
together or suppressed together, a change and its percentage likewise, the percentage agrees
with the change and the count, numbers are finite, and names are plain text of a sensible
length -- a name is copied into headlines and Slack messages, so a control, bidirectional or
zero-width character (invisible, or reordering the text around it) is refused, not published.

Each rule names the first row that breaks it by its line in the file, its area and week, and
the PHE column at fault; ``phe_checks`` then checks across rows and weeks. The rules run in
Arrow over whole columns, without pandas (whose import alone costs a draft 0.3 s of CPU); a
blank (suppressed) figure breaks only the rules that say it must not be blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from bot.errors import PatchbotError

MAX_NAME_LENGTH = 200  # the longest House of Commons Library MSOA name is 55 characters
PERCENT_TOLERANCE = 0.06  # PHE rounded change percentages to one decimal place
NAME_COLUMNS = {
    "region_name": "regionName",
    "utla_name": "UtlaName",
    "ltla_name": "LtlaName",
    "area_name": "areaName",
}
# C0 and C1 controls (NUL, newline...), zero-width spaces and joiners, the byte-order mark, and
# the bidirectional embeddings, overrides and isolates that reorder the text around them.
UNSAFE_CHARACTER = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
CASES, RATE = "newCasesBySpecimenDateRollingSum", "newCasesBySpecimenDateRollingRate"
CHANGE, CHANGE_PCT = "newCasesBySpecimenDateChange", "newCasesBySpecimenDateChangePercentage"


@dataclass(frozen=True)
class RowRule:
    """One rule: the rows that break it (a mask over the whole table as ``check_rows`` gives it,
    computed in Arrow; a null -- a figure missing -- counts as kept), and what is wrong with
    such a row (given as a dict of its tidy fields)."""

    broken: Callable[[pa.Table], pa.Array | pa.ChunkedArray]
    problem: Callable[[dict[str, Any]], str]


def _shown(value: object) -> str:
    return "blank" if value is None else str(value)


def _alone(first: str, second: str, column: str, other: str) -> RowRule:
    """``first`` and ``second`` are both given or both blank (suppressed). One rule per pair:
    the rows are the same whichever of the two is blank, so the pair swapped would never fire."""
    return RowRule(
        lambda table: pc.not_equal(pc.is_null(table[first]), pc.is_null(table[second])),
        lambda row: (
            f"{column} is {_shown(row[first])} but {other} is {_shown(row[second])}: both are "
            "published, or both suppressed (blank)"
        ),
    )


def _percent_disagrees(table: pa.Table) -> pa.ChunkedArray:
    change, change_pct = table["change"], table["change_pct"]
    before = pc.subtract(table["cases"], change)
    has_week_before = pc.greater(before, 0)
    # Divided on every row; where there was no week before (``before`` 0 or less) the quotient
    # (an infinity or NaN, never an error, in floats) is discarded by ``has_week_before``.
    expected = pc.divide(
        pc.cast(pc.multiply(change, 100), pa.float64()), pc.cast(before, pa.float64())
    )
    off = pc.greater(pc.abs(pc.subtract(change_pct, expected)), PERCENT_TOLERANCE)
    no_week_before = pc.and_kleene(pc.is_valid(change_pct), pc.less_equal(before, 0))
    return pc.or_kleene(pc.and_kleene(has_week_before, off), no_week_before)


def _percent_problem(row: dict[str, Any]) -> str:
    before = row["cases"] - row["change"]
    if before <= 0:
        return (
            f"{CHANGE} {row['change']} is not less than the {row['cases']} cases it changed to, "
            f"so there is no week before for {CHANGE_PCT} {row['change_pct']}"
        )
    return (
        f"{CHANGE_PCT} {row['change_pct']} does not match a change of {row['change']} from "
        f"{before} cases ({row['change'] * 100 / before:.1f} expected)"
    )


def _not_finite(column: str, field: str) -> RowRule:
    return RowRule(
        lambda table: pc.invert(pc.is_finite(table[column])),
        lambda row: f"{field} {row[column]} is not a finite number",
    )


def _each_name(cells: pa.ChunkedArray, test: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``test`` of every row's name, each distinct name tested once: ``check_rows`` has every
    name column dictionary-encoded (a name repeats on every row of its area, week after week)."""
    names = cells.combine_chunks()  # one dictionary for the whole column, however many chunks
    return pc.take(test(names.dictionary), names.indices)


def _unsafe_name(column: str, field: str) -> RowRule:
    return RowRule(
        lambda table: _each_name(
            table[column],
            lambda names: pc.match_substring_regex(names, UNSAFE_CHARACTER.pattern),
        ),
        lambda row: (
            f"{field} {row[column][:60]!r} contains a control, bidirectional or zero-width "
            f"character (U+{ord(UNSAFE_CHARACTER.search(row[column]).group()):04X}): "  # type: ignore[union-attr]
            "names must be plain text"
        ),
    )


def _long_name(column: str, field: str) -> RowRule:
    return RowRule(
        lambda table: _each_name(
            table[column], lambda names: pc.greater(pc.utf8_length(names), MAX_NAME_LENGTH)
        ),
        lambda row: (
            f"{field} is {len(row[column]):,} characters long (at most {MAX_NAME_LENGTH}): "
            f"{row[column][:40]!r}..."
        ),
    )


ROW_RULES: tuple[RowRule, ...] = (
    *(_unsafe_name(column, field) for column, field in NAME_COLUMNS.items()),
    *(_long_name(column, field) for column, field in NAME_COLUMNS.items()),
    _not_finite("rate", RATE),
    _not_finite("change_pct", CHANGE_PCT),
    _alone("cases", "rate", CASES, RATE),
    _alone("change", "change_pct", CHANGE, CHANGE_PCT),
    RowRule(
        lambda table: pc.and_(pc.is_null(table["cases"]), pc.is_valid(table["change"])),
        lambda row: (
            f"{CHANGE} is {row['change']} but {CASES} is blank (suppressed): a change needs "
            "this week's count"
        ),
    ),
    RowRule(_percent_disagrees, _percent_problem),
)


def _names_encoded(table: pa.Table) -> pa.Table:
    """The table with every name column dictionary-encoded (the reader keeps most of them so)
    in one chunk: combined once here, not by each of the rules that read it."""
    for column in NAME_COLUMNS:
        cells = table[column]
        if not pa.types.is_dictionary(cells.type):
            cells = pc.dictionary_encode(cells)
        table = table.set_column(
            table.schema.get_field_index(column), column, cells.combine_chunks()
        )
    return table


def check_rows(table: pa.Table, origin: str) -> None:
    """Refuse the first row, in ``ROW_RULES`` order, that breaks a rule."""
    table = _names_encoded(table)
    for rule in ROW_RULES:
        index: int = pc.index(pc.fill_null(rule.broken(table), False), True).as_py()
        if index >= 0:
            row = table.slice(index, 1).to_pylist()[0]
            where = f"line {index + 2} ({row['area_code']}, {row['week_ending']:%Y-%m-%d})"
            raise PatchbotError(f"{origin}: {where}: {rule.problem(row)}")
