"""The tidy table every source produces and every rule reads: one row per area per week.

A source parses its own format into this table (``bot.sources``); the rules only ever see it.
Its columns: ``area_code``, ``area_name``, ``ltla_code``, ``ltla_name`` (the council; for
council-level data the area is the council itself), ``week_ending`` and the figures ``cases``,
``rate`` (per 100,000), ``change`` and ``change_pct``, each missing (``NA``) when the source
withheld it. *Suppressed* is a row whose count is missing: distinct from zero, and from an area
with no row at all. A source may add ``provisional`` (true where the publisher expects the figure
to change) and ``county_or_region`` (what a council-level round-up groups councils by).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


class AreaStatus(StrEnum):
    """What the data says about an area in a week."""

    REPORTED = "reported"  # a published count
    SUPPRESSED = "suppressed"  # a row whose count was withheld (PHE: 0-2 cases)
    NO_DATA = "no_data"  # the data had no row for the area at all


class Level(StrEnum):
    """How fine a table's areas are."""

    NEIGHBOURHOOD = "neighbourhood"  # MSOAs, about 7,200 people each
    COUNCIL = "council"  # lower-tier local authorities


class Measure(StrEnum):
    """What the ``cases`` column counts."""

    CASES = "cases"
    DEATHS = "deaths"


@dataclass(frozen=True)
class Dataset:
    """Which data a table is: what ``--format json`` and the posts say it came from."""

    source: str  # the --source it was drafted from
    publisher: str  # "Public Health England", "UK Health Security Agency"
    topic: str  # "COVID-19"
    metric: str  # the publisher's name for the figure in ``cases``
    geography_type: str  # the publisher's name for the areas: "MSOA", "Lower Tier Local Authority"

    def as_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def clean_name(name: str) -> str:
    """A name as copy prints it: single spaces, no space before a comma (one HCL name,
    "Little Shelford , Foxton & Haslingfield", has one)."""
    return " ".join(name.split()).replace(" ,", ",")


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One row of the table for one week: an area's figures (None where withheld)."""

    area_code: str
    area_name: str
    ltla_code: str
    ltla_name: str  # as the publisher names the council
    cases: int | None
    rate: float | None
    change: int | None
    change_pct: float | None
    county_or_region: str | None = None  # council-level data: what a round-up groups by
    provisional: bool = False  # the publisher expects the figure to change


ROW_FIELDS = tuple(field.name for field in dataclasses.fields(CaseRow))
NAME_FIELDS = ("area_name", "ltla_name")


class CaseData:
    """The validated table: one row per area per week, where it came from, and what it is.

    Kept as an Arrow table (compact, even for years of history); a week is turned into the
    rows the rules read only when it is asked for.
    """

    def __init__(
        self,
        arrow: pa.Table,
        origin: str,
        release: dt.date | None,
        population: dict[str, int],
        level: Level = Level.NEIGHBOURHOOD,
        measure: Measure = Measure.CASES,
        dataset: Dataset | None = None,
    ) -> None:
        self.arrow = arrow
        self.origin = origin
        self.release = release
        self.level = level
        self.measure = measure
        self.dataset = dataset
        self._population = population  # people by area code
        self._weeks: dict[tuple[dt.date, frozenset[str]], list[CaseRow]] = {}

    @property
    def rows(self) -> int:
        return int(self.arrow.num_rows)

    @functools.cached_property
    def weeks(self) -> list[dt.date]:
        return sorted(pc.unique(self.arrow["week_ending"]).to_pylist())

    @property
    def has_county_or_region(self) -> bool:
        """Whether the source says what a round-up groups each area by (council-level data)."""
        return "county_or_region" in self.arrow.column_names

    def people(self, area_code: str) -> int | None:
        return self._population.get(area_code)

    def week_rows(self, week: dt.date, councils: frozenset[str]) -> list[CaseRow]:
        """The week's rows of these councils, in the source's order, with names cleaned."""
        if (week, councils) not in self._weeks:
            rows = self.arrow.filter(pc.equal(self.arrow["week_ending"], week))
            rows = rows.filter(pc.is_in(rows["ltla_code"], pa.array(list(councils), pa.string())))
            present = [name for name in ROW_FIELDS if name in rows.column_names]
            columns: list[list[Any]] = [rows[name].to_pylist() for name in present]
            for name in NAME_FIELDS:
                at = present.index(name)
                tidy = {text: clean_name(text) for text in set(columns[at])}
                columns[at] = [tidy[text] for text in columns[at]]
            self._weeks[week, councils] = [
                CaseRow(**dict(zip(present, values, strict=True)))
                for values in zip(*columns, strict=True)
            ]
        return self._weeks[week, councils]
