"""The PHE reader's field rules are declared once (``phe_csv.FIELDS``) and checked in Arrow; a
property test holds the reader to a plain Python reading of the same declaration, so what the
file says and what the tidy table holds cannot drift apart (a rate of "+419.1" or "4.19e2",
say, is refused whichever way it is read)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import PatchbotError
from bot.sources import RawData
from bot.sources.phe_checks import _week_before
from bot.sources.phe_csv import (
    DICTIONARY,
    FIELDS,
    MAX_DIGITS,
    PATTERNS,
    Field,
    Kind,
    _distinct_pairs,
    read_rows,
)
from tests.helpers import read_rows as excerpt_rows

ROWS = excerpt_rows()
NUMBERS = [field for field in FIELDS if field.kind in (Kind.WHOLE, Kind.DECIMAL)]
TODAY = dt.date(2026, 1, 1)

TRICKY = (
    "", " ", "-99", "+419.1", "4.1910e+02", "1e3", " 12 ", "12.", ".5", "-0", "007", "1,234",
    "NaN", "nan", "inf", "-inf", "0x10", "12.50", "-3.25", "\u0663", "\uff11\uff12", "12\u200b",
)  # fmt: skip
tricky = st.one_of(
    st.sampled_from(TRICKY),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2).map(str),
    st.text(alphabet="0123456789-+.eE ", max_size=8),
)


def expected(field: Field, cell: str) -> float | int | str | None:
    """What the declaration says a cell is: None (suppressed), its number, or "refused"."""
    text = cell.strip()
    if text in field.suppressed:
        return None
    if not re.fullmatch(PATTERNS[field.kind], text, flags=re.ASCII):
        return "refused"
    if field.kind is Kind.WHOLE and len(text.lstrip("-")) > MAX_DIGITS:
        return "refused"
    value = int(text) if field.kind is Kind.WHOLE else float(text)
    return "refused" if value < 0 and not field.negative else value


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.integers(min_value=0, max_value=len(ROWS) - 1), field=st.sampled_from(NUMBERS),
       cell=tricky)  # fmt: skip
def test_the_reader_agrees_with_the_declared_rules(row: int, field: Field, cell: str) -> None:
    rows = [dict(r) for r in ROWS]
    rows[row][field.column] = cell
    raw = RawData(as_csv(rows), "rules.csv", None)
    raw = RawData(as_csv(rows), "rules.csv", None)
    want = expected(field, cell)
    if want == "refused":
        with pytest.raises(PatchbotError, match=re.escape(field.column)) as refused:
            read_rows(raw, TODAY)
        assert f"rules.csv: line {row + 2} (" in str(refused.value)
    else:
        assert read_rows(raw, TODAY)[field.name][row].as_py() == want


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=60))
def test_distinct_areas_and_weeks_are_counted_dense_or_sparse(pairs: list[tuple[int, int]]) -> None:
    """A few areas over a few weeks are marked in a table of every pair; many areas and weeks
    over few rows (more possible pairs than ``PAIRS_MARKED`` per row) are sorted: both count
    every distinct (area, week) once, which is what the duplicate check relies on."""
    areas = pa.array([f"E{area:08d}" for area, _ in pairs], pa.string())
    weeks = pa.array([f"2020-{week // 28 + 1:02d}-{week % 28 + 1:02d}" for _, week in pairs])
    table = pa.table({"areaCode": areas.cast(DICTIONARY), "date": weeks.cast(DICTIONARY)})
    assert _distinct_pairs(table) == len(set(pairs))


@pytest.mark.parametrize(("areas", "span"), [(3, 16), (30, 40)])  # a grid; a sorted search
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_the_week_before_is_found_in_a_grid_or_by_a_sorted_search(
    areas: int, span: int, data: st.DataObject
) -> None:
    """Each (area, day) row's row of the same area seven days before: a few areas over a few
    days placed in a grid, many areas and days over few rows searched in sorted order."""
    pair = st.tuples(st.integers(0, areas - 1), st.integers(0, span - 1))
    cells = data.draw(st.sets(pair, max_size=60))
    rows = sorted(cells, key=lambda cell: (cell[1] * 7919 + cell[0]) % 101)  # any order
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=day) for _, day in rows]
    at = {(area, day): row for row, ((area, _), day) in enumerate(zip(rows, days, strict=True))}
    expected = [
        (row, at[area, day - dt.timedelta(days=7)])
        for row, ((area, _), day) in enumerate(zip(rows, days, strict=True))
        if (area, day - dt.timedelta(days=7)) in at
    ]
    now, before = _week_before(
        pa.chunked_array([pa.array([area for area, _ in rows], pa.int32())]),
        pa.chunked_array([pa.array(days, pa.date32())]),
    )
    assert list(zip(now.tolist(), before.tolist(), strict=True)) == expected
