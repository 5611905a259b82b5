"""Fuzzing with hypothesis: the reader never raises anything but a clear PatchbotError, and the
rules keep their invariants on any valid week."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import rules
from bot.cases import AreaStatus
from bot.errors import PatchbotError
from bot.geography import load_geography
from bot.sources import RawData
from bot.sources.phe import load_cases
from bot.sources.phe_csv import COLUMNS
from bot.stories.changes import ChangeParams, largest_falls, largest_rises
from bot.stories.quiet import no_new_cases
from bot.stories.rates import HighestRatesParams, highest_rates
from bot.stories.roundup import RoundupParams, weekly_roundup
from tests.helpers import cases_from, read_rows

ROWS = read_rows()
FIELDS = list(ROWS[0])
WEEK = dt.date(2020, 11, 25)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell_values = st.one_of(
    st.just(""),
    st.just("-99"),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=12),
    st.sampled_from(["2020-11-25", "2099-01-01", "25/11/2020", "msoa", "E02002483", "NaN", "1e3"]),
)


def as_csv(rows: list[dict[str, str]], fields: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def read(content: bytes) -> None:
    try:
        load_cases(RawData(content, "fuzz.csv", None), load_geography(), dt.date(2026, 1, 1))
    except PatchbotError as error:
        message = str(error)
        assert "\n" not in message
        assert message.startswith("fuzz.csv: ")


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(ROWS) - 1), st.sampled_from(FIELDS), cell_values),
        min_size=1,
        max_size=6,
    )
)
def test_reader_on_damaged_real_tables(edits: list[tuple[int, str, str]]) -> None:
    rows = [dict(row) for row in ROWS]
    for index, field, value in edits:
        rows[index][field] = value
    try:
        content = as_csv(rows, FIELDS)
    except UnicodeEncodeError:
        return
    read(content)


@FUZZ
@given(
    dropped=st.sets(st.sampled_from(FIELDS), max_size=3),
    cut=st.integers(min_value=0, max_value=20_000),
)
def test_reader_on_missing_columns_and_cut_files(dropped: set[str], cut: int) -> None:
    fields = [f for f in FIELDS if f not in dropped]
    read(as_csv(ROWS, fields)[: cut or None])


@FUZZ
@given(content=st.binary(max_size=2_000))
@example(content=b"\r\x00")  # a lone carriage return ended the header unseen (found by the fuzz)
def test_reader_on_random_bytes(content: bytes) -> None:
    read(content)


@st.composite
def week_tables(draw: st.DrawFn) -> rules.WeekTable:
    """A valid week for York and Ryedale: every area reported, suppressed or without a row."""
    geography = load_geography()
    patch = geography.resolve_patch("York,Ryedale")
    base = [r for r in ROWS if r["LtlaName"] in ("York", "Ryedale") and r["date"] == "2020-11-25"]
    population = geography.population
    rows = []
    for row in base:
        state = draw(st.sampled_from(["reported", "suppressed", "missing"]))
        if state == "missing":
            continue
        row = dict(row)
        for column in list(COLUMNS)[-4:]:
            row[column] = ""
        if state == "reported":
            cases = draw(st.integers(3, 400))
            before = draw(st.one_of(st.none(), st.integers(3, 400)))
            people = int(population[row["areaCode"]])
            row["newCasesBySpecimenDateRollingSum"] = str(cases)
            row["newCasesBySpecimenDateRollingRate"] = f"{cases * 100_000 / people:.1f}"
            if before is not None:
                row["newCasesBySpecimenDateChange"] = str(cases - before)
                row["newCasesBySpecimenDateChangePercentage"] = (
                    f"{(cases - before) * 100 / before:.1f}"
                )
        rows.append(row)
    if not rows:
        rows.append(dict(base[0]))
    return rules.patch_week(cases_from(rows), geography, patch, WEEK)


@FUZZ
@given(table=week_tables(), top=st.integers(1, 12), minimum=st.integers(3, 30))
def test_rule_invariants(table: rules.WeekTable, top: int, minimum: int) -> None:
    everyone = {row.area_code for row in table.rows}
    listed = weekly_roundup(table, RoundupParams(min_cases=3))
    quiet = no_new_cases(table)
    missing = {row.area_code for row in table.rows if row.status is AreaStatus.NO_DATA}

    def areas(finding: rules.Finding, field: str) -> list[Any]:
        return [area[field] for area in finding.areas.get(0, [])]  # type: ignore[literal-required]

    # Each area of the patch is exactly one of listed / suppressed / no data.
    groups = [set(areas(listed, "area_code")), set(areas(quiet, "area_code")), missing]
    assert set().union(*groups) == everyone
    assert sum(len(g) for g in groups) == len(everyone)
    # Totals add up.
    figures = listed.figures[0]
    assert figures["listed_cases"] == sum(areas(listed, "cases"))
    assert sum(c["cases"] for c in figures["councils"]) == figures["listed_cases"]
    assert figures["listed_count"] + figures["suppressed_count"] + figures["no_data_count"] == len(
        everyone
    )
    # Ranks are ordered; the top is the top (ties with the last kept, nothing better left out).
    rates = highest_rates(table, HighestRatesParams(top=top))
    ranked = areas(rates, "rate")
    assert ranked == sorted(ranked, reverse=True)
    known = [row.rate for row in table.rows if row.rate is not None]
    if ranked:
        assert len(ranked) >= min(top, len(known))
        assert all(r <= ranked[-1] for r in known if r not in ranked)
        assert rates.figures[0]["patch_cases"] == sum(row.cases or 0 for row in table.rows)
    for rule, sign in ((largest_rises, 1), (largest_falls, -1)):
        found = rule(table, ChangeParams(top=top, min_previous_cases=minimum))
        changes = [sign * c for c in areas(found, "change")]
        assert changes == sorted(changes, reverse=True)
        assert all(c > 0 for c in changes)
        assert all(before >= minimum for before in areas(found, "previous_cases"))


@pytest.mark.parametrize("value", [0, 1, 999_999, -5, float("nan")])
def test_filters_on_extreme_numbers_never_print_nonsense(value: float) -> None:
    from jinja2 import TemplateRuntimeError

    from bot.housestyle import counted, figure, rate

    def count(number: float) -> str:
        return counted(number, "area")

    for render in (count, figure, rate):
        try:
            text = render(value)
        except TemplateRuntimeError:
            continue
        assert "nan" not in text.lower()
        assert "None" not in text
