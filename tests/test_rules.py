"""Each rule on real PHE excerpts: the usual week, ties, all suppressed, nothing to report, an
area with no row."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from bot import rules
from bot.cases import AreaStatus
from bot.errors import PatchbotError
from bot.geography import Geography
from bot.stories.changes import ChangeParams, largest_falls, largest_rises
from bot.stories.quiet import no_new_cases
from bot.stories.rates import HighestRatesParams, highest_rates
from bot.stories.roundup import RoundupParams, weekly_roundup
from tests.helpers import read_rows, suppress_all, week_table

WEEK = dt.date(2020, 11, 25)


def listed(finding: rules.Finding) -> list[rules.AreaFacts]:
    """The areas the finding names for the one patch of the table."""
    return list(finding.areas.get(0, []))


def names(finding: rules.Finding) -> list[str]:
    return [area["area_name"] for area in listed(finding)]


def test_patch_week_has_every_msoa_of_the_patch_with_a_status(geography: Geography) -> None:
    table = week_table(geography, "York,Richmondshire,Ryedale")
    expected = [
        area.area_code
        for area in geography.areas
        if area.ltla_name in ("York", "Richmondshire", "Ryedale")
    ]
    assert sorted(row.area_code for row in table.rows) == sorted(expected)
    suppressed = [row for row in table.rows if row.status is AreaStatus.SUPPRESSED]
    assert sorted(row.area_name for row in suppressed) == [
        "Bishopthorpe & Copmanthorpe",
        "Catterick & Brompton-on-Swale",
        "Helmsley & Ampleforth",
        "New Earswick",
    ]
    assert all(row.cases is None for row in suppressed)  # suppressed stays missing, never zero


def test_no_new_cases_lists_suppressed_areas_by_council(geography: Geography) -> None:
    finding = no_new_cases(week_table(geography, "York,Richmondshire,Ryedale"))
    assert [(area["ltla_name"], area["area_name"]) for area in listed(finding)] == [
        ("Richmondshire", "Catterick & Brompton-on-Swale"),
        ("Ryedale", "Helmsley & Ampleforth"),
        ("York", "Bishopthorpe & Copmanthorpe"),
        ("York", "New Earswick"),
    ]
    assert finding.figures[0]["suppressed_count"] == 4
    assert finding.figures[0]["no_data_count"] == 0


def test_no_new_cases_finds_nothing_when_nothing_is_suppressed(geography: Geography) -> None:
    finding = no_new_cases(week_table(geography, "Darlington"))
    assert listed(finding) == []


def test_an_area_with_no_row_is_no_data_not_suppressed(geography: Geography) -> None:
    rows = [
        r
        for r in read_rows()
        if not (r["areaName"] == "New Earswick" and r["date"] == "2020-11-25")
    ]
    table = week_table(geography, "York", rows)
    status = {row.area_name: row.status for row in table.rows}
    assert status["New Earswick"] == AreaStatus.NO_DATA
    finding = no_new_cases(table)
    assert names(finding) == ["Bishopthorpe & Copmanthorpe"]
    assert finding.figures[0]["no_data_count"] == 1
    roundup = weekly_roundup(table, RoundupParams())
    assert "New Earswick" not in names(roundup)
    assert roundup.figures[0]["no_data_count"] == 1


def test_all_suppressed_patch(geography: Geography) -> None:
    rows = suppress_all(read_rows(), "Ryedale")
    table = week_table(geography, "Ryedale", rows)
    assert len(listed(no_new_cases(table))) == 6
    assert listed(highest_rates(table, HighestRatesParams())) == []
    assert listed(largest_rises(table, ChangeParams())) == []
    assert listed(largest_falls(table, ChangeParams())) == []
    assert listed(weekly_roundup(table, RoundupParams())) == []


def test_highest_rates_ranks_and_flags_against_patch_average(geography: Geography) -> None:
    rows = [
        r for r in read_rows() if r["date"] == "2020-11-25" and r["LtlaName"] in ("York", "Ryedale")
    ]
    finding = highest_rates(week_table(geography, "York,Ryedale"), HighestRatesParams(top=3))
    # Independent arithmetic from the CSV and ONS population: suppressed rows count as zero.
    population = geography.population
    total = sum(int(r["newCasesBySpecimenDateRollingSum"] or 0) for r in rows)
    people = sum(int(population[r["areaCode"]]) for r in rows)
    exact = Decimal(total * 100_000) / people  # PHE rounded half up
    assert finding.figures[0]["patch_average"] == float(
        exact.quantize(Decimal("0.1"), ROUND_HALF_UP)
    )
    assert finding.figures[0]["suppressed_count"] == 3
    rates = [area["rate"] or 0.0 for area in listed(finding)]
    assert rates == sorted(rates, reverse=True)
    best = max(rows, key=lambda r: float(r["newCasesBySpecimenDateRollingRate"] or 0))
    assert names(finding)[0] == best["areaName"] == "Kirkbymoorside & Moors"
    threshold = finding.figures[0]["threshold"]
    assert threshold == float(
        (Decimal(str(finding.figures[0]["patch_average"])) * 2).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
    )
    assert [area["above_threshold"] for area in listed(finding)] == [
        rate > threshold for rate in rates
    ]


def test_highest_rates_keeps_areas_tied_with_the_last_place(geography: Geography) -> None:
    # Real rates for Hartlepool, week to 2020-11-25: Clavering 419.1, Headland & West View
    # 344.5, Seaton Carew 328.3. Give Seaton Carew the second place's rate to make a tie (in
    # the week table: a file saying so would fail validation, the rate not matching the cases).
    table = week_table(geography, "Hartlepool")
    table = table.replace_rows([
        row._replace(rate=344.5) if row.area_name == "Seaton Carew" else row
        for row in table.rows
    ])  # fmt: skip
    finding = highest_rates(table, HighestRatesParams(top=2))
    assert names(finding) == ["Clavering", "Headland & West View", "Seaton Carew"]


def test_largest_falls_with_real_ties_and_tiny_bases(geography: Geography) -> None:
    # Darlington, week to 2020-11-25: Hummersknott -20, then three areas at -15.
    finding = largest_falls(week_table(geography, "Darlington"), ChangeParams(top=2))
    assert names(finding) == [
        "Hummersknott",
        "Albert Hill & Red Hall",
        "Central Darlington",
        "Cockerton & Hopetown",
    ]
    assert [area["change"] for area in listed(finding)] == [-20, -15, -15, -15]
    assert [area["previous_cases"] for area in listed(finding)] == [47, 33, 26, 33]


def test_largest_rises_skip_tiny_bases_and_unknown_changes(geography: Geography) -> None:
    table = week_table(geography, "York")
    finding = largest_rises(table, ChangeParams(top=10, min_previous_cases=5, min_change=1))
    # Real York rises to 2020-11-25: Heworth South & The Groves +6 (from 10), York City Centre
    # +4 (from 13), Westfield +3 (from 15). Suppressed New Earswick and Bishopthorpe have no
    # change to rank.
    assert names(finding) == [
        "Heworth South & The Groves",
        "York City Centre",
        "Westfield, Chapelfields & Foxwood",
    ]
    strict = largest_rises(table, ChangeParams(top=10, min_previous_cases=11, min_change=1))
    assert names(strict) == ["York City Centre", "Westfield, Chapelfields & Foxwood"]


def test_weekly_roundup_lists_every_area_with_three_or_more(geography: Geography) -> None:
    rows = [
        r
        for r in read_rows()
        if r["date"] == "2020-11-25" and r["LtlaName"] in ("York", "Richmondshire")
    ]
    finding = weekly_roundup(week_table(geography, "York,Richmondshire"), RoundupParams())
    expected = sorted(
        (r["LtlaName"], r["areaName"], int(r["newCasesBySpecimenDateRollingSum"]))
        for r in rows
        if r["newCasesBySpecimenDateRollingSum"]
    )
    got = [(area["ltla_name"], area["area_name"], area["cases"]) for area in listed(finding)]
    assert got == expected
    assert finding.figures[0]["suppressed_count"] == 3
    assert finding.figures[0]["councils"] == [
        {
            "ltla_name": name,
            "area_count": sum(1 for e in expected if e[0] == name),
            "cases": sum(e[2] for e in expected if e[0] == name),
        }
        for name in ("Richmondshire", "York")
    ]


def test_patch_with_no_rows_in_the_data_is_an_error(geography: Geography) -> None:
    with pytest.raises(PatchbotError, match="no rows for Sunderland"):
        week_table(geography, "Sunderland")
