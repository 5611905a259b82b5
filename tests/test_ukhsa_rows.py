"""UKHSA's rows, checked before any story: each damage to real rows (tests/data/ukhsa) is one
line naming the geography, the row and the field; never a traceback, never a story."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.errors import PatchbotError
from bot.geography import load_geography
from bot.sources import RawData
from bot.sources.ukhsa_rows import load_deaths
from scripts.build_ukhsa_sample import api_rows
from tests.fakes.ukhsa_api import DATA

TODAY = dt.date(2026, 1, 1)
Document = dict[str, Any]


def document(*codes: str) -> Document:
    """The raw document the ukhsa source builds, from real files."""
    series = []
    for code in codes:
        path = next(DATA.glob(f"COVID-19_deaths_ONSByWeek_LTLA_{code}_*.json"))
        rows = api_rows(json.loads(path.read_text()))
        series.append({"geography": rows[0]["geography"], "results": rows})
    route = {"theme": "infectious_disease", "sub_theme": "respiratory", "topic": "COVID-19",
             "geography_type": "Lower Tier Local Authority"}  # fmt: skip
    return {"route": route, "metric": "COVID-19_deaths_ONSByWeek", "series": series}


def parse(doc: Document | bytes) -> None:
    content = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    load_deaths(RawData(content, "UKHSA API", None), load_geography("councils"), TODAY, "ukhsa")


def damaged(change: Callable[[Document], None]) -> Document:
    doc = copy.deepcopy(document("E06000005", "E06000002"))
    change(doc)
    return doc


def row(doc: Document, number: int = 3, series: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = doc["series"][series]["results"][number - 1]
    return found


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: row(d).update(metric_value="twelve"),
         "UKHSA API: Darlington, row 3, 2022-11-14: metric_value 'twelve' is not a number"),
        (lambda d: row(d).update(metric_value=1.5),
         "UKHSA API: Darlington, row 3, 2022-11-14: metric_value 1.5 is not a count of deaths"),
        (lambda d: row(d).update(metric_value=-2.0),
         "UKHSA API: Darlington, row 3, 2022-11-14: metric_value -2.0 is not a count of deaths"),
        (lambda d: row(d).update(metric_value=None),
         "UKHSA API: Darlington, row 3, 2022-11-14: metric_value None is not a number"),
        (lambda d: row(d).update(date="2099-01-05", year=2099),
         "UKHSA API: Darlington, row 3, 2099-01-05: a date in the future (today is 2026-01-01)"),
        (lambda d: row(d).update(date="14/11/2022"),
         "UKHSA API: Darlington, row 3: date '14/11/2022' is not a YYYY-MM-DD date"),
        (lambda d: row(d).update(year=2021),
         "UKHSA API: Darlington, row 3, 2022-11-14: year 2021 is not the date's year"),
        (lambda d: row(d).update(in_reporting_delay_period="no"),
         "UKHSA API: Darlington, row 3, 2022-11-14: in_reporting_delay_period 'no' is not "
         "true/false"),
        (lambda d: row(d).update(metric="COVID-19_deaths_ONSByDay"),
         "UKHSA API: Darlington, row 3: metric is 'COVID-19_deaths_ONSByDay', expected "
         "'COVID-19_deaths_ONSByWeek'"),
        (lambda d: row(d).update(geography="Hartlepool"),
         "UKHSA API: Darlington, row 3: geography is 'Hartlepool', expected 'Darlington'"),
        (lambda d: row(d).update(age="65+"),
         "UKHSA API: Darlington, row 3: age is '65+', expected 'all'"),
        (lambda d: row(d).pop("geography_code"),
         "UKHSA API: Darlington, row 3: field geography_code missing or not text: None"),
        (lambda d: row(d).update(metric_group="cases"),
         "UKHSA API: Darlington, row 3: COVID-19_deaths_ONSByWeek counts cases, not deaths; "
         "Patchbot's UKHSA stories are about deaths (PATCHBOT_UKHSA_METRIC)"),
        (lambda d: d["series"][0]["results"].append(dict(row(d))),
         "UKHSA API: Darlington, row 54: a second row for the same week"),
        (lambda d: [r.update(geography_code="E06999999") for r in d["series"][0]["results"]],
         "UKHSA API: geography code E06999999 is not a council of England (nor a district "
         "merged into one since 2019)"),
        (lambda d: d["series"][0]["results"].insert(0, "a row"),
         "UKHSA API: Darlington, row 1: a row is not an object"),
        (lambda d: d.pop("route"),
         "UKHSA API: not UKHSA API data (route, metric and series expected)"),
        (lambda d: d["series"].clear(), "UKHSA API: no figures for COVID-19_deaths_ONSByWeek"),
    ],
)  # fmt: skip
def test_damaged_rows_are_one_line_each(change: Callable[[Document], None], message: str) -> None:
    with pytest.raises(PatchbotError) as error:
        parse(damaged(change))
    assert str(error.value) == message


def test_bytes_that_are_not_json() -> None:
    with pytest.raises(PatchbotError, match=r"^UKHSA API: not UKHSA API data \(not JSON\)$"):
        parse(b"\x89PNG\r\n\x1a\n")


def test_the_real_rows_parse() -> None:
    parse(document("E06000005", "E06000002", "E07000027", "E07000030", "E07000031"))
