"""The floor: the fastest reasonable program that does what ``patchbot draft --each-council
--format json`` does, written with nothing but the standard library.

    python benchmarks/floor.py [FILE]      (default: the bundled data)

It reads the same gzip CSV (and the same MSOA lookup, display names and story numbers that
ship in ``bot/``), works out the same five lists for every council in England (ties with the
last listed area, thresholds, the twice-the-average flag), writes each story as plain f-string
copy of the same shape (headline, intro, the standing paragraphs, one entry per area) and
prints one JSON line with the same patches, weeks and facts as Patchbot. ``benchmarks/run.py``
checks that the facts are equal before it times anything.

What it leaves out on purpose, because it is what a floor is: checking the file (Patchbot
checks every field and row), the templates editors edit, the house style and the fact check.
It imports nothing from ``bot``: a floor that shared Patchbot's code would share its costs.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import sys
import tomllib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

BOT = Path(__file__).resolve().parent.parent / "bot"
STORIES = Path(__file__).resolve().parent.parent / "story_templates" / "stories.toml"
SUPPRESSED, REPORTED, NO_DATA = "suppressed", "reported", "no_data"
Area = dict[str, Any]
DATASET = {
    "source": "bundled",
    "publisher": "Public Health England",
    "topic": "COVID-19",
    "metric": "newCasesBySpecimenDateRollingSum",
    "geography_type": "MSOA",
}
STANDING = (  # paragraphs every story carries, whatever the patch
    "An interactive map, which breaks down the number of Covid-19 cases per neighbourhood, is "
    "updated each weekday. It shows how many confirmed cases there are per 100,000 people in "
    "each area, which have an average population of about 7,200.\n\nSome areas are coloured "
    'white and described as "suppressed", meaning there have been zero to two cases in the '
    "seven-day period. Public Health England does not publish these figures, to protect the "
    "privacy of individuals."
)


def tidy(name: str) -> str:
    return " ".join(name.split()).replace(" ,", ",")


def read_names() -> tuple[dict[str, str], dict[str, str]]:
    """(official -> printed name, official -> running-copy place) from names.toml."""
    display = tomllib.loads((BOT / "geography" / "names.toml").read_text())["display"]
    printed = {official: shown.removeprefix("the ") for official, shown in display.items()}
    return printed, display


def read_lookup(printed: dict[str, str]) -> tuple[list[list[str]], dict[str, int]]:
    """The lookup's rows (area code, printed area name, council code, official council name)
    and each area's population."""
    rows, population = [], {}
    with gzip.open(BOT / "data" / "msoa_lookup.csv.gz", "rt", encoding="utf-8") as file:
        reader = csv.reader(file)
        next(reader)
        for code, name, ltla_code, ltla_name, *_, people in reader:
            name = tidy(name)
            rows.append([code, printed.get(name, name), ltla_code, ltla_name])
            population[code] = int(people)
    return rows, population


def read_week(path: Path, printed: dict[str, str]) -> tuple[str, list[Area]]:
    """The latest week's rows of the file, as plain records."""
    week, latest = "", []  # only the newest week's rows are kept, however long the history
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        at = {column.lstrip("\ufeff"): i for i, column in enumerate(header)}
        date = at["date"]
        for row in reader:
            if row[date] == week:
                latest.append(row)
            elif row[date] > week:
                week, latest = row[date], [row]
    cols = [at[c] for c in ("areaCode", "areaName", "LtlaCode", "LtlaName")]
    sums, rates, changes, pcts = (
        at[f"newCasesBySpecimenDate{c}"]
        for c in ("RollingSum", "RollingRate", "Change", "ChangePercentage")
    )
    records = []
    for row in latest:
        code, name, ltla_code, ltla_name = (row[i] for i in cols)
        cases = int(row[sums]) if row[sums] not in ("", "-99") else None
        change = int(row[changes]) if row[changes] not in ("", "-99") else None
        name, ltla_name = tidy(name), tidy(ltla_name)
        records.append(
            {
                "area_code": code,
                "area_name": printed.get(name, name),
                "ltla_code": ltla_code,
                "ltla_name": printed.get(ltla_name, ltla_name),
                "ltla_ons_name": ltla_name,
                "cases": cases,
                "rate": float(row[rates]) if row[rates] not in ("", "-99") else None,
                "change": change,
                "change_pct": float(row[pcts]) if row[pcts] not in ("", "-99") else None,
                "previous_cases": None if cases is None or change is None else cases - change,
                "status": REPORTED if cases is not None else SUPPRESSED,
            }
        )
    return week, records


def absent(code: str, name: str, ltla_code: str, ltla_name: str, printed: dict[str, str]) -> Area:
    return {
        "area_code": code, "area_name": name, "ltla_code": ltla_code,
        "ltla_name": printed.get(ltla_name, ltla_name), "ltla_ons_name": ltla_name,
        "cases": None, "rate": None, "change": None, "change_pct": None,
        "previous_cases": None, "status": NO_DATA,
    }  # fmt: skip


def facts_of(area: Area, **extra: Any) -> Area:
    return {**area, **extra, "suppressed": area["status"] == SUPPRESSED, "value": area["cases"]}


def tenth(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def per_100k(cases: int, population: int) -> float:
    return tenth(Decimal(cases * 100_000) / population) if population else 0.0


def with_ties(ranked: list[Area], key: str, n: int) -> list[Area]:
    """The first n, and any after them tied with the n-th."""
    if len(ranked) <= n:
        return ranked
    last = ranked[n - 1][key]
    end = n
    while end < len(ranked) and ranked[end][key] == last:
        end += 1
    return ranked[:end]


def by_council(areas: Iterable[Area]) -> list[Area]:
    return sorted(areas, key=lambda a: (a["ltla_name"], a["area_name"]))


def quiet(areas: list[Area], counts: dict[str, int]) -> tuple[list[Area], dict[str, Any]]:
    figures = {
        "area_count": len(areas),
        "suppressed_count": counts[SUPPRESSED],
        "no_data_count": counts[NO_DATA],
        "zero_count": sum(1 for a in areas if a["cases"] == 0),
    }
    return [facts_of(a) for a in by_council(a for a in areas if a["status"] == SUPPRESSED)], figures


def highest(
    areas: list[Area], counts: dict[str, int], params: dict[str, Any], population: dict[str, int]
) -> tuple[list[Area], dict[str, Any]]:
    counted = [a for a in areas if a["status"] != NO_DATA]
    cases = sum(a["cases"] or 0 for a in counted)
    people = sum(population[a["area_code"]] for a in counted)
    average = per_100k(cases, people) if counted else 0.0
    high = per_100k(cases + 2 * counts[SUPPRESSED], people) if counted else 0.0
    multiple = params.get("above_average_multiple", 2.0)
    threshold = tenth(Decimal(str(average)) * Decimal(str(multiple))) if counted else 0.0
    least = params.get("min_cases", 0)
    rated = [
        a for a in areas if a["rate"] is not None and (not least or (a["cases"] or 0) >= least)
    ]
    rated.sort(key=lambda a: a["area_name"])
    rated.sort(key=lambda a: (a["rate"], a["cases"]), reverse=True)
    listed = [
        facts_of(a, above_threshold=a["rate"] > threshold)
        for a in with_ties(rated, "rate", params["top"])
    ]
    figures = {
        "patch_average": average, "patch_average_high": high, "patch_cases": cases,
        "patch_population": people, "above_average_multiple": multiple, "threshold": threshold,
        "above_threshold_count": sum(1 for a in rated if a["rate"] > threshold),
        "listed_above_threshold_count": sum(1 for a in listed if a["above_threshold"]),
        "suppressed_count": counts[SUPPRESSED], "suppressed_counted_as": 0,
        "no_data_count": counts[NO_DATA], "top": params["top"], "min_cases": least,
    }  # fmt: skip
    return listed, figures


def moved(
    areas: list[Area], params: dict[str, Any], sign: int
) -> tuple[list[Area], dict[str, Any]]:
    least = max(params["min_change"], 1)
    known = [
        {**a, "size": abs(a["change"])}
        for a in areas
        if a["change"] is not None
        and a["previous_cases"] >= params["min_previous_cases"]
        and abs(a["change"]) >= least
        and a["change"] * sign > 0
    ]
    known.sort(key=lambda a: a["area_name"])
    known.sort(key=lambda a: a["size"], reverse=True)
    listed = [
        facts_of({k: v for k, v in a.items() if k != "size"})
        for a in with_ties(known, "size", params["top"])
    ]
    figures = {k: params[k] for k in ("top", "min_previous_cases", "min_change")}
    return listed, figures


def roundup(
    areas: list[Area], counts: dict[str, int], params: dict[str, Any]
) -> tuple[list[Area], dict[str, Any]]:
    least = params["min_cases"]
    listed = by_council(a for a in areas if a["cases"] is not None and a["cases"] >= least)
    councils: dict[str, list[int]] = {}
    for area in listed:
        totals = councils.setdefault(area["ltla_name"], [0, 0])
        totals[0] += 1
        totals[1] += area["cases"]
    cases = sum(a["cases"] for a in listed)
    figures = {
        "min_cases": least, "listed_count": len(listed), "listed_cases": cases,
        "unlisted_reported_count": counts[REPORTED] - len(listed),
        "suppressed_count": counts[SUPPRESSED], "no_data_count": counts[NO_DATA],
        "area_count": len(areas),
        "councils": [
            {"ltla_name": name, "area_count": count, "cases": total}
            for name, (count, total) in councils.items()
        ],
    }  # fmt: skip
    return [facts_of(a) for a in listed], figures


def uk_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}"


def copy(
    story: str, place: str, week: dt.date, areas: list[Area], figures: dict[str, Any]
) -> tuple[str, str]:
    """A story's headline and text: the same paragraphs as Patchbot's, in plain f-strings."""
    top = areas[0]
    where = f"{top['area_name']} in {top['ltla_name']}"
    headline = {
        "no_new_cases": f"{len(areas)} areas of {place} record little or no new Covid-19 cases",
        "highest_rates": f"{where} tops Covid-19 rates in {place}",
        "largest_rises": f"The {len(areas)} areas of {place} where Covid-19 cases rose most",
        "largest_falls": f"The {len(areas)} areas of {place} where Covid-19 cases fell most",
        "weekly_roundup": f"Covid-19 cases in every neighbourhood of {place} with 3 or more",
    }[story]
    intro = (
        f"{where.upper()} leads {len(areas)} neighbourhoods of {place} in the week to "
        f"{uk_date(week)}, according to Public Health England data."
    )
    start = week - dt.timedelta(days=6)
    lines = [
        intro,
        f"The latest data covers the seven days from {uk_date(start)} to {uk_date(week)}.",
        STANDING,
    ]
    if story == "highest_rates":
        lines.append(
            f"The average across {place} was {figures['patch_average']:.1f} cases per 100,000 "
            f"people: {figures['patch_cases']:,} cases among {figures['patch_population']:,} "
            "people."
        )
    for area in areas:
        mark = " *" if area.get("above_threshold") else ""
        figure = "suppressed" if area["cases"] is None else f"{area['cases']:,} new cases"
        rate = "" if area["rate"] is None else f"{area['rate']:.1f} cases per 100,000 people\n"
        change = "" if area["change"] is None else f"{area['change']:+,} on the week before\n"
        lines.append(f"{area['area_name']}, {area['ltla_name']}{mark}\n{rate}{figure}\n{change}")
    lines.append("Source: Public Health England, Open Government Licence v3.0.")
    return headline, "\n\n".join(lines)


def main() -> None:
    source = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else next((BOT / "data" / "sample").glob("*.csv.gz"))
    )
    release = source.name.removesuffix(".csv.gz").rpartition("_")[2]
    settings = tomllib.loads(STORIES.read_text())
    printed, places = read_names()
    lookup, population = read_lookup(printed)
    week_text, rows = read_week(source, printed)
    week = dt.date.fromisoformat(week_text)
    by_ltla: dict[str, list[Area]] = {}
    for row in rows:
        if row["area_code"] in population:
            by_ltla.setdefault(row["ltla_code"], []).append(row)
    found = {row["area_code"] for row in rows}
    councils: dict[str, str] = {}
    for code, name, ltla_code, ltla_name in lookup:
        councils[ltla_code] = ltla_name
        if code not in found:
            by_ltla.setdefault(ltla_code, []).append(
                absent(code, name, ltla_code, ltla_name, printed)
            )
    patches = sorted((printed.get(name, name), code) for code, name in councils.items())
    out = []
    for name, code in patches:
        areas = by_ltla.get(code, [])
        counts = dict.fromkeys((REPORTED, SUPPRESSED, NO_DATA), 0)
        for area in areas:
            counts[area["status"]] += 1
        place = places.get(councils[code], name)
        found_lists = {
            "no_new_cases": quiet(areas, counts),
            "highest_rates": highest(areas, counts, settings["highest_rates"], population),
            "largest_rises": moved(areas, settings["largest_rises"], 1),
            "largest_falls": moved(areas, settings["largest_falls"], -1),
            "weekly_roundup": roundup(areas, counts, settings["weekly_roundup"]),
        }
        stories = []
        for story, (listed, figures) in found_lists.items():
            if listed:
                headline, text = copy(story, place, week, listed, figures)
                facts = {"areas": listed, **figures}
                stories.append({"story": story, "headline": headline, "text": text, "facts": facts})
        out.append(
            {
                "patch": {"name": name, "councils": [name]},
                "week_ending": week_text,
                "release": release,
                "dataset": DATASET,
                "provisional": [],
                "stories": stories,
            }
        )
    sys.stdout.write(json.dumps({"patches": out}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
