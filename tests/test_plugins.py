"""The seams: a story, a data source and a geography are each one registry entry, and a new
one is drafted through the same pipeline as the built-in ones, CLI included."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypedDict

import pyarrow as pa
import pytest

from bot.cases import CaseData, Level, Measure
from bot.editors import editors_guide
from bot.geography import Geography, Patch, load_geography
from bot.rules import Finding, WeekTable, by_patch, listed, per_patch, top
from bot.sources import SOURCES, RawData, SourceOptions, register_source
from bot.stories import STORIES, Story, register_story
from tests.helpers import DATA, EXCERPT, Run, read_rows

WEEK = "2020-11-25"
CASES = "newCasesBySpecimenDateRollingSum"


# -- a sixth story, written as a newsroom would: a rule, a registry entry, a template


@dataclass(frozen=True)
class MostCasesParams:
    top: int = 3  # areas listed (more when tied with the last)


class MostCasesFigures(TypedDict):
    top: Annotated[int, "stories.toml: how many areas to list"]
    reported_count: Annotated[int, "how many areas had a published count"]


def most_cases(table: WeekTable, params: MostCasesParams) -> Finding:
    """The areas with the most cases this week."""
    counted = by_patch(row for row in table.rows if row.cases is not None)
    ranked = {
        patch: sorted(rows, key=lambda row: (-(row.cases or 0), row.area_name))
        for patch, rows in counted.items()
    }
    return Finding(
        listed(
            table,
            {patch: top(rows, lambda row: row.cases, params.top) for patch, rows in ranked.items()},
        ),
        per_patch(
            table,
            lambda _patch, counts: MostCasesFigures(
                top=params.top, reported_count=counts["reported"]
            ),
        ),
    )


MOST_CASES = DATA / "most_cases"  # its template, and its section of stories.toml


@pytest.fixture
def sixth_story(templates: Path) -> Iterator[Path]:
    """The story registered for the test, and a templates folder that has its template."""
    register_story(
        Story(
            name="most_cases",
            rule=most_cases,
            params_type=MostCasesParams,
            figures_type=MostCasesFigures,
            nothing="no area has a published count",
            lead_by="cases",
        )
    )
    shutil.copy(MOST_CASES / "most_cases.j2", templates)
    with (templates / "stories.toml").open("a", encoding="utf-8") as toml:
        toml.write("\n" + (MOST_CASES / "stories.toml").read_text(encoding="utf-8"))
    yield templates
    STORIES.pop("most_cases")


def test_a_story_registered_from_outside_is_drafted_with_figures_from_the_data(
    run_cli: Run, sixth_story: Path
) -> None:
    env = {"PATCHBOT_TEMPLATES_DIR": str(sixth_story)}
    result = run_cli(
        "draft", "--source", str(EXCERPT), "--patch", "York", "--story", "most_cases", env=env
    )
    assert result.exit_code == 0, result.stderr
    york = [r for r in read_rows() if r["date"] == WEEK and r["LtlaName"] == "York"]
    counted = [r for r in york if r["newCasesBySpecimenDateRollingSum"]]
    ranked = sorted(
        counted, key=lambda r: (-int(r["newCasesBySpecimenDateRollingSum"]), r["areaName"])
    )
    first, third = ranked[0], ranked[2]
    # The top three, and any area tied with the third (the list keeps ties at the cut-off).
    listed = [r for r in ranked if int(r[CASES]) >= int(third[CASES])]
    assert len(listed) == 4  # the excerpt has a tie for third place
    assert result.stdout.startswith(
        "==== most_cases ====\nThe 4 areas of York with the most new Covid-19 cases\n"
    )
    assert (
        # One council: not repeated after the area (issue 14)
        f"{first['areaName'].upper()} recorded the most new Covid-19 cases in York in the "
        f"week to November 25, according to Public Health England data: "
        f"{first['newCasesBySpecimenDateRollingSum']}." in result.stdout
    )
    assert f"the four areas of the {len(counted)} with published figures" in result.stdout
    for row in listed:
        cases = row["newCasesBySpecimenDateRollingSum"]
        assert f"\n{row['areaName']}\n{cases} new cases\n" in result.stdout  # one council
    assert "1 story drafted for York" in result.stderr


def test_every_tool_knows_a_registered_story(run_cli: Run, sixth_story: Path) -> None:
    env = {"PATCHBOT_TEMPLATES_DIR": str(sixth_story)}
    checked = run_cli("templates", "check", "--templates-dir", str(sixth_story))
    assert checked.exit_code == 0, checked.stdout
    preview = run_cli("preview", "most_cases", "--source", str(EXCERPT), "--patch", "York", env=env)
    assert preview.exit_code == 0, preview.stderr
    assert "The 4 areas of York with the most new Covid-19 cases" in preview.stdout
    guide = editors_guide(sixth_story)
    assert "### most_cases\n" in guide
    assert "| `reported_count` | whole number | " in guide
    assert "how many areas had a published count |" in guide
    unknown = run_cli("draft", "--story", "least_cases", env=env)
    assert unknown.exit_code == 2
    assert "'least_cases' is not a story; stories: " in unknown.stderr
    assert "most_cases" in unknown.stderr


def test_a_registered_story_with_a_mistake_is_named_by_the_check(
    run_cli: Run, sixth_story: Path
) -> None:
    template = sixth_story / "most_cases.j2"
    template.write_text(template.read_text().replace("area.cases|counted", "area.cses|counted"))
    checked = run_cli("templates", "check", "--templates-dir", str(sixth_story))
    assert checked.exit_code == 1
    assert "most_cases.j2:8: " in checked.stdout  # the line with the mistake


# -- a data source registered from the test: a tiny council-level dataset


TINY: dict[str, tuple[int | None, int]] = {  # council -> (this week, the week before)
    "Darlington": (120, 100),
    "Hartlepool": (40, 55),
    "Stockton-on-Tees": (None, 8),  # suppressed this week
}
TINY_WEEKS = (dt.date(2023, 11, 9), dt.date(2023, 11, 16))


class TinySource:
    """Council-level figures held in memory: no file, no network."""

    name = "tiny"
    geography = "councils"

    def __init__(self, spec: str, options: SourceOptions) -> None:
        self.spec = spec

    def fetch(self, patch: Patch, geography: Geography) -> RawData:
        return RawData(b"tiny", "the tiny test source", dt.date(2023, 11, 20))

    def parse(self, raw: RawData, geography: Geography, today: dt.date) -> CaseData:
        people = geography.population
        codes = {c.name: c.code for c in geography.councils.values()}
        rows = []
        for name, (current, previous) in TINY.items():
            for week, cases in zip(TINY_WEEKS, (previous, current), strict=True):
                change = None if cases is None or week == TINY_WEEKS[0] else cases - previous
                rows.append({
                    "area_code": codes[name], "area_name": name, "ltla_code": codes[name],
                    "ltla_name": name, "week_ending": week, "cases": cases,
                    "rate": None if cases is None else per_100k(cases, int(people[codes[name]])),
                    "change": change,
                    "change_pct": None if change is None else round(100 * change / previous, 1),
                })  # fmt: skip
        table = pa.Table.from_pylist(rows)
        return CaseData(table, raw.origin, raw.release, people, Level.COUNCIL, Measure.CASES)


def per_100k(cases: int, people: int) -> float:
    return round(cases * 100_000 / people, 1)


@pytest.fixture
def tiny_source() -> Iterator[None]:
    register_source("tiny")(TinySource)
    yield
    SOURCES.pop("tiny")


def test_a_source_registered_from_outside_is_drafted_at_council_level(
    run_cli: Run, tiny_source: None
) -> None:
    result = run_cli(
        "draft", "--source", "tiny", "--patch", "Darlington, Hartlepool, Stockton-on-Tees",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["week_ending"] == "2023-11-16"
    assert document["release"] == "2023-11-20"
    stories = {story["story"]: story for story in document["stories"]}
    quiet = stories["no_new_cases"]["facts"]["areas"]
    assert [(a["area_name"], a["cases"], a["status"]) for a in quiet] == [
        ("Stockton-on-Tees", None, "suppressed")
    ]
    rises = stories["largest_rises"]["facts"]["areas"]
    assert [(a["area_name"], a["cases"], a["change"]) for a in rises] == [("Darlington", 120, 20)]
    falls = stories["largest_falls"]["facts"]["areas"]
    assert [(a["area_name"], a["cases"], a["change"]) for a in falls] == [("Hartlepool", 40, -15)]
    councils = load_geography("councils")
    people = councils.population
    rates = stories["highest_rates"]["facts"]
    darlington = per_100k(120, int(people["E06000005"]))
    assert rates["areas"][0]["area_name"] == "Darlington"
    assert rates["areas"][0]["rate"] == darlington
    assert f"{darlington:,}" in stories["highest_rates"]["text"]
    assert "DARLINGTON" in stories["largest_rises"]["text"]
    assert stories["weekly_roundup"]["facts"]["listed_cases"] == 160


def test_the_built_in_registries(run_cli: Run) -> None:
    assert list(STORIES) == [
        "no_new_cases", "highest_rates", "largest_rises", "largest_falls", "weekly_roundup"
    ]  # fmt: skip
    assert {"bundled", "phe-api", "phe-csv"} <= set(SOURCES)
    assert load_geography("councils").level is Level.COUNCIL
    assert load_geography().level is Level.NEIGHBOURHOOD
