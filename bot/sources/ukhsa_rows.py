"""The UKHSA API's time-series rows, every field checked, summed into today's councils, as the
tidy table of ``bot.cases``.

The raw data (``ukhsa.py`` fetches it; the bundled sample is the same) is one JSON document:
``{"route": {theme, sub_theme, topic, geography_type}, "metric": ..., "series": [{"geography":
name, "results": [the API's rows, as it gave them]}]}``.

Councils, not districts: a council formed since 2019 from merged districts (North Yorkshire,
Cumberland, Somerset...) has figures for a week only when the data has its own row, or a row for
every one of its districts, which are then summed (a partial sum would understate it); otherwise
it has no row ("no figures published"). Rates are per 100,000 people of the ONS mid-2019
population of the council (``bot.geography.councils``), one decimal, rounded half up.

UKHSA dates a weekly figure by the Monday its week begins (``date``, with its ``epiweek``); the
table's ``week_ending`` is that Monday plus six days. Figures flagged ``in_reporting_delay_period``
are kept, marked ``provisional``: the copy says they may change, and a later refresh that changes
one becomes a correction.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.cases import CaseData, Dataset, Level, Measure
from bot.errors import PatchbotError
from bot.geography import Geography
from bot.geography.councils import predecessors
from bot.rules import one_decimal
from bot.sources import RawData

if TYPE_CHECKING:
    import pyarrow as pa

PUBLISHER = "UK Health Security Agency"
MAX_WEEKLY_DEATHS = 10_000  # more in one council in a week is not a real figure
WEEK = dt.timedelta(days=7)
# The API's headline series: every row must be this breakdown (no age or sex strata).
HEADLINE = {"stratum": "default", "sex": "all", "age": "all"}
TEXT_FIELDS = (
    "theme", "sub_theme", "topic", "geography_type", "geography", "geography_code", "metric",
    "metric_group", "stratum", "sex", "age", "date",
)  # fmt: skip
TEXT_COLUMNS = ("area_code", "area_name", "ltla_code", "ltla_name", "county_or_region")


@dataclass(frozen=True)
class Figure:
    """One API row, checked: a district's or council's deaths in the week beginning ``day``."""

    code: str
    day: dt.date
    value: int
    provisional: bool


def read_document(raw: RawData) -> tuple[dict[str, str], str, list[dict[str, Any]]]:
    """(route, metric, series) of the raw JSON, its shape checked."""
    try:
        document = json.loads(raw.content)
    except ValueError:
        raise PatchbotError(f"{raw.origin}: not UKHSA API data (not JSON)") from None
    route = document.get("route") if isinstance(document, dict) else None
    series = document.get("series") if isinstance(document, dict) else None
    metric = document.get("metric") if isinstance(document, dict) else None
    if (
        not isinstance(route, dict)
        or not all(isinstance(route.get(key), str) for key in ("theme", "sub_theme", "topic"))
        or not isinstance(route.get("geography_type"), str)
        or not isinstance(metric, str)
        or not isinstance(series, list)
        or not all(isinstance(s, dict) and isinstance(s.get("results"), list) for s in series)
    ):
        raise PatchbotError(f"{raw.origin}: not UKHSA API data (route, metric and series expected)")
    return route, metric, series


def check_row(row: object, expected: dict[str, str], where: str, today: dt.date) -> Figure:
    """One row of the API, every field the stories rely on checked."""
    if not isinstance(row, dict):
        raise PatchbotError(f"{where}: a row is not an object")
    for field in TEXT_FIELDS:
        if not isinstance(row.get(field), str):
            raise PatchbotError(f"{where}: field {field} missing or not text: {row.get(field)!r}")
    for field, value in expected.items():
        if row[field] != value:
            raise PatchbotError(f"{where}: {field} is {row[field]!r}, expected {value!r}")
    try:
        day = dt.date.fromisoformat(row["date"])
    except ValueError:
        raise PatchbotError(f"{where}: date {row['date']!r} is not a YYYY-MM-DD date") from None
    where = f"{where}, {row['date']}"
    if day > today:
        raise PatchbotError(f"{where}: a date in the future (today is {today.isoformat()})")
    if row.get("year") not in (None, day.year):
        raise PatchbotError(f"{where}: year {row.get('year')!r} is not the date's year")
    count = row.get("metric_value")
    if isinstance(count, bool) or not isinstance(count, int | float) or not math.isfinite(count):
        raise PatchbotError(f"{where}: metric_value {count!r} is not a number")
    if count < 0 or count != int(count) or count > MAX_WEEKLY_DEATHS:
        raise PatchbotError(f"{where}: metric_value {count!r} is not a count of deaths")
    delayed = row.get("in_reporting_delay_period", False)
    if not isinstance(delayed, bool):
        raise PatchbotError(f"{where}: in_reporting_delay_period {delayed!r} is not true/false")
    return Figure(row["geography_code"], day, int(count), delayed)


def read_figures(raw: RawData, today: dt.date) -> tuple[dict[str, str], str, list[Figure]]:
    """(route, metric, figures): every row of every series, checked; a geography's week given
    twice is an error."""
    route, metric, series = read_document(raw)
    figures: list[Figure] = []
    seen: set[tuple[str, dt.date]] = set()
    for item in series:
        geography = item.get("geography")
        expected = {**route, "metric": metric, "geography": str(geography), **HEADLINE}
        for number, row in enumerate(item["results"], start=1):
            where = f"{raw.origin}: {geography}, row {number}"
            if isinstance(row, dict) and row.get("metric_group") not in (None, "deaths"):
                raise PatchbotError(
                    f"{where}: {metric} counts {row.get('metric_group')}, not deaths; Patchbot's "
                    "UKHSA stories are about deaths (PATCHBOT_UKHSA_METRIC)"
                )
            figure = check_row(row, expected, where, today)
            if (figure.code, figure.day) in seen:
                raise PatchbotError(f"{where}: a second row for the same week")
            seen.add((figure.code, figure.day))
            figures.append(figure)
    if not figures:
        raise PatchbotError(f"{raw.origin}: no figures for {metric}")
    return route, metric, figures


def council_weeks(
    figures: list[Figure], geography: Geography, origin: str
) -> dict[tuple[str, dt.date], Figure]:
    """The figures summed into today's councils: a council's own row, or all its districts'."""
    merged = predecessors()
    successor = {district: code for code, districts in merged.items() for district in districts}
    own: dict[tuple[str, dt.date], Figure] = {}
    parts: dict[tuple[str, dt.date], list[Figure]] = defaultdict(list)
    for figure in figures:
        if figure.code in geography.councils:
            own[(figure.code, figure.day)] = figure
        elif figure.code in successor:
            parts[(successor[figure.code], figure.day)].append(figure)
        else:
            raise PatchbotError(
                f"{origin}: geography code {figure.code} is not a council of England "
                "(nor a district merged into one since 2019)"
            )
    for (code, day), found in parts.items():
        if (code, day) in own or {f.code for f in found} != set(merged[code]):
            continue  # the council's own row wins; a partial sum would understate it
        total = sum(f.value for f in found)
        own[(code, day)] = Figure(code, day, total, any(f.provisional for f in found))
    return own


def load_deaths(raw: RawData, geography: Geography, today: dt.date, source: str) -> CaseData:
    """The raw UKHSA document as the tidy table: one row per council per week."""
    route, metric, figures = read_figures(raw, today)
    weeks = council_weeks(figures, geography, raw.origin)
    people = geography.population
    rows = []
    for (code, day), figure in sorted(weeks.items(), key=lambda item: (item[0][1], item[0][0])):
        council = geography.councils[code]
        before = weeks.get((code, day - WEEK))
        change = None if before is None else figure.value - before.value
        pct = None
        if before is not None and before.value and change is not None:
            pct = one_decimal(Decimal(100 * change) / before.value)
        population = int(people[code])
        in_county = council.utla_code != council.code
        rows.append({
            "area_code": code, "area_name": council.name, "ltla_code": code,
            "ltla_name": council.name,
            "county_or_region": council.utla_name if in_county else council.region_name,
            "week_ending": day + dt.timedelta(days=6), "cases": figure.value,
            "rate": one_decimal(Decimal(figure.value * 100_000) / population),
            "change": change, "change_pct": pct,
            "provisional": figure.provisional or (before is not None and before.provisional),
        })  # fmt: skip
    import pyarrow as pa  # here: a run on the PHE data never needs it

    table = pa.Table.from_pylist(rows, schema=_schema())
    dataset = Dataset(source, PUBLISHER, route["topic"], metric, route["geography_type"])
    return CaseData(table, raw.origin, raw.release, people, Level.COUNCIL, Measure.DEATHS, dataset)


def _schema() -> pa.Schema:
    """The tidy table's columns; pyarrow is imported only when a UKHSA file is read."""
    import pyarrow as pa

    return pa.schema([
        *((name, pa.string()) for name in TEXT_COLUMNS), ("week_ending", pa.date32()),
        ("cases", pa.int64()), ("rate", pa.float64()), ("change", pa.int64()),
        ("change_pct", pa.float64()), ("provisional", pa.bool_()),
    ])  # fmt: skip
