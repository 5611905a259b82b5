"""Drafting this week's stories from UKHSA's data: the live source against the fake API (the
real files of tests/data/ukhsa, served in the API's JSON) and the bundled sample, through the
CLI. Every number in the drafts is checked against the real files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import time
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.geography import load_geography
from bot.housestyle import num
from tests.fakes.ukhsa_api import DATA, FakeUkhsaApi
from tests.helpers import CliResult, Run, run_patchbot

ACCEPTANCE = (
    "County Durham, Darlington, Hartlepool, Stockton-on-Tees, Middlesbrough, Redcar and Cleveland"
)
LATEST, BEFORE = "2023-10-30", "2023-10-23"  # UKHSA's dates: the Monday each week begins


def real_values() -> dict[str, dict[str, int]]:
    """Deaths by council code and date, straight from the real UKHSA files."""
    found: dict[str, dict[str, int]] = {}
    for path in DATA.glob("COVID-19_deaths_ONSByWeek_*.json"):
        document = json.loads(path.read_text())
        values = {e["date"]: int(e["metric_value"]) for e in document["time_series"]}
        found[document["geography_code"]] = values
    return found


def people(*district_codes: str) -> int:
    """ONS mid-2019 population of 2019/20 districts: their neighbourhoods (MSOAs) summed."""
    areas = load_geography().areas
    return sum(area.population for area in areas if area.ltla_code in district_codes)


def per_100k(deaths: int, population: int) -> float:
    rate = Decimal(deaths * 100_000) / population
    return float(rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def live(ukhsa: FakeUkhsaApi) -> dict[str, str]:
    return {"PATCHBOT_UKHSA_API_URL": ukhsa.base_url, "PATCHBOT_HTTP_BACKOFF": "0"}


def stories_of(result: CliResult) -> dict[str, dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    return {story["story"]: story for story in result.json()["stories"]}


def test_the_week_s_stories_from_the_api_every_number_from_the_real_files(
    run_cli: Run, ukhsa: FakeUkhsaApi
) -> None:
    result = run_cli(
        "draft", "--source", "ukhsa", "--patch", ACCEPTANCE, "--format", "json", env=live(ukhsa)
    )
    document = result.json()
    assert document["week_ending"] == "2023-11-05"  # the week beginning Monday 2023-10-30
    assert document["dataset"] == {
        "source": "ukhsa", "publisher": "UK Health Security Agency", "topic": "COVID-19",
        "metric": "COVID-19_deaths_ONSByWeek", "geography_type": "Lower Tier Local Authority",
    }  # fmt: skip
    real = real_values()
    stories = stories_of(result)
    assert set(stories) == {"no_new_cases", "highest_rates", "largest_falls", "weekly_roundup"}
    for story in stories.values():
        for area in story["facts"]["areas"]:
            code = area["area_code"]
            now, before = real[code][LATEST], real[code][BEFORE]
            assert area["value"] == area["cases"] == now, (story["story"], code)
            assert area["previous_cases"] == before
            assert area["change"] == now - before
            assert area["rate"] == per_100k(now, people(code))
            assert "Hartlepool" not in area["area_name"]  # no series: "no figures published"
    quiet = stories["no_new_cases"]
    zeros = sorted(a["area_name"] for a in quiet["facts"]["areas"])
    assert zeros == ["Darlington", "Redcar and Cleveland"]
    assert quiet["headline"] == (
        "No Covid-19 deaths registered in Darlington and Redcar and Cleveland this week"
    )
    assert "No figures were published for one other council in" in quiet["text"]
    durham = real["E06000047"]
    falls = stories["largest_falls"]
    assert falls["text"].startswith(
        "COUNTY DURHAM saw the largest fall in deaths involving Covid-19 in County Durham, "
        "Darlington, Hartlepool, Stockton-on-Tees, Middlesbrough and Redcar and Cleveland in "
        "the week beginning October 30, according to UK Health Security Agency figures, with "
        f"{['no', 'one'][durham[LATEST]]} death registered, down from {num(durham[BEFORE])} the "
        "week before."
    )
    roundup = stories["weekly_roundup"]["text"]
    listed = sum(v[LATEST] for v in real.values() if v is not real["E06000014"])
    assert "\nNorth East\nCounty Durham - 1 death\nMiddlesbrough - 1 death\n" in roundup
    rates = stories["highest_rates"]
    assert rates["facts"]["patch_cases"] == sum(
        real[c][LATEST] for c in ("E06000047", "E06000005", "E06000004", "E06000002", "E06000003")
    )
    assert f"{rates['facts']['patch_cases']} deaths among" in rates["text"]
    assert listed >= rates["facts"]["patch_cases"]
    for story in stories.values():
        assert "Source: UK Health Security Agency; Office for National Statistics." in story["text"]
        assert "Open Government Licence v3.0" in story["text"]
        assert "case" not in story["text"].replace("Covid-19", "")  # deaths are not cases
    assert "warning: the data has no figures for Hartlepool this week" in result.stderr
    # About one request per council: five series, two to find the newest year, six to find
    # the topic, check the geography type and the metric.
    assert len(ukhsa.series_requests()) == 5 + 2
    assert len(ukhsa.requests) == 5 + 2 + 6


def test_week_ending_picks_an_earlier_week(run_cli: Run, ukhsa: FakeUkhsaApi) -> None:
    result = run_cli(
        "draft", "--source", "ukhsa", "--patch", "County Durham, Middlesbrough",
        "--week-ending", "2023-10-01", "--story", "weekly_roundup", "--format", "json",
        env=live(ukhsa),
    )  # fmt: skip
    (roundup,) = stories_of(result).values()
    real = real_values()
    week = "2023-09-25"
    for area in roundup["facts"]["areas"]:
        assert area["cases"] == real[area["area_code"]][week]
    assert "in the week beginning September 25" in roundup["text"]
    wrong = run_cli("draft", "--source", "ukhsa", "--week-ending", "2023-09-25", env=live(ukhsa))
    assert wrong.exit_code == 1
    assert "--week-ending 2023-09-25: not in UKHSA API" in wrong.stderr
    assert "2023-11-05" in wrong.stderr


def test_a_merged_council_is_its_districts_summed_or_not_at_all(
    run_cli: Run, ukhsa: FakeUkhsaApi
) -> None:
    """Westmorland and Furness (2023) is Barrow-in-Furness + Eden + South Lakeland, all in the
    data; North Yorkshire is seven districts, of which the data has only Craven: no figure."""
    result = run_cli(
        "draft", "--source", "ukhsa", "--patch", "Eden, North Yorkshire, York",
        "--story", "highest_rates", "--format", "json", env=live(ukhsa),
    )  # fmt: skip
    assert result.json()["patch"]["councils"] == [
        "Westmorland and Furness",
        "North Yorkshire",
        "York",
    ]
    real = real_values()
    districts = ("E07000027", "E07000030", "E07000031")
    deaths = {week: sum(real[d][week] for d in districts) for week in (LATEST, BEFORE)}
    facts = stories_of(result)["highest_rates"]["facts"]
    assert facts["no_data_count"] == 1
    merged = {a["area_name"]: a for a in facts["areas"]}.get("Westmorland and Furness")
    if deaths[LATEST]:
        assert merged is not None
        assert merged["cases"] == deaths[LATEST]
        assert merged["change"] == deaths[LATEST] - deaths[BEFORE]
        assert merged["rate"] == per_100k(deaths[LATEST], people(*districts))
    assert "the data has no figures for North Yorkshire this week" in result.stderr
    # Craven alone is not asked for: a sum of one district would understate North Yorkshire.
    assert not [r for r in ukhsa.series_requests() if "Craven" in r.path]


def test_provisional_figures_are_said_to_be_so(run_cli: Run, ukhsa: FakeUkhsaApi) -> None:
    ukhsa.mark_provisional("Darlington", LATEST)
    result = run_cli(
        "draft", "--source", "ukhsa", "--patch", "Darlington, Middlesbrough", "--format", "json",
        env=live(ukhsa),
    )  # fmt: skip
    assert result.json()["provisional"] == ["Darlington"]
    for story in stories_of(result).values():
        assert story["text"].count("provisional") == 1
        assert (
            "The figure for Darlington is provisional and may be revised as more deaths are "
            "registered." in story["text"]
        )


def test_each_council_from_the_sample(run_cli: Run) -> None:
    started = time.perf_counter()
    everyone = run_cli("draft", "--source", "ukhsa-sample", "--each-council", "--format", "json")
    seconds = time.perf_counter() - started
    assert everyone.exit_code == 0, everyone.stderr
    patches = {p["patch"]["name"]: p for p in everyone.json()["patches"]}
    assert len(patches) == len(load_geography("councils").councils)
    for council in ("Middlesbrough", "Westmorland and Furness", "City of London"):
        single = run_cli(
            "draft", "--source", "ukhsa-sample", "--patch", council, "--format", "json"
        )
        assert patches[council] == single.json(), council
    assert patches["Hartlepool"]["stories"] == []  # no series: nothing to draft
    assert seconds < 60


def test_all_of_england_stays_well_under_the_firewall_limit(run_cli: Run) -> None:
    """Every council in England from a fake API serving all 259 real series (the bundled
    sample's rows): one request per series, far below 2,000 in five minutes."""
    sample = next((resources.files("bot") / "data" / "ukhsa").iterdir())
    document = json.loads(gzip.decompress(sample.read_bytes()))
    with FakeUkhsaApi([]) as ukhsa:
        ukhsa.ingest_rows([row for series in document["series"] for row in series["results"]])
        result = run_cli("draft", "--source", "ukhsa", "--each-council", env=live(ukhsa))
        assert result.exit_code == 0, result.stderr
        requests = len(ukhsa.requests)
    # 259 series less the 11 districts of councils the data has only in part (Cumberland two
    # of three, North Yorkshire six of seven, Somerset three of four), plus the newest year
    # (two) and the route, geography type and metric (six).
    assert requests == 259 - 11 + 2 + 6
    assert requests < 300
    assert "stories drafted for 296 councils" in result.stderr


# The README's quick start, as a newsroom runs it: a process of its own, no settings.
@pytest.mark.process
def test_the_sample_drafts_offline_from_a_fresh_clone(tmp_path: Path) -> None:
    result = run_patchbot("draft", "--source", "ukhsa-sample", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "==== weekly_roundup ====" in result.stdout
    assert (
        "The latest figures, published by the UK Health Security Agency on November 16, cover "
        "deaths registered in the week beginning October 30." in result.stdout
    )
    assert "(bundled UKHSA sample, released 2023-11-16)" in result.stderr
    assert dt.date(2023, 11, 16).strftime("%A") == "Thursday"  # UKHSA publishes on Thursdays
