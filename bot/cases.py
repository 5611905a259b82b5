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

import pandas as pd
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


_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype()}


def clean_names(names: pd.Series) -> pd.Series:
    """Names as copy prints them: single spaces, no space before a comma (one HCL name,
    "Little Shelford , Foxton & Haslingfield", has one)."""
    tidy = {name: " ".join(name.split()).replace(" ,", ",") for name in names.unique()}
    if all(name == clean for name, clean in tidy.items()):
        return names
    cleaned: pd.Series = names.map(tidy)
    return cleaned


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas with nullable numbers (a missing count stays missing)."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=_NULLABLE.get, date_as_object=False)
    return frame


def decoded(table: pa.Table) -> pa.Table:
    """Text a source kept dictionary-encoded (to hold long history small) as plain text."""
    for index, column in enumerate(table.schema):
        if pa.types.is_dictionary(column.type):
            plain = pc.cast(table[column.name], column.type.value_type)
            table = table.set_column(index, column.name, plain)
    return table


class CaseData:
    """The validated table: one row per area per week, where it came from, and what it is.

    Kept as an Arrow table (compact, even for years of history); a week is turned into the
    pandas table the rules use only when it is asked for.
    """

    def __init__(
        self,
        arrow: pa.Table,
        origin: str,
        release: dt.date | None,
        population: pd.Series,
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
        self._weeks: dict[dt.date, pd.DataFrame] = {}

    @property
    def rows(self) -> int:
        return int(self.arrow.num_rows)

    @functools.cached_property
    def weeks(self) -> list[dt.date]:
        return sorted(pc.unique(self.arrow["week_ending"]).to_pylist())

    def week_rows(self, week: dt.date) -> pd.DataFrame:
        """The week's rows as a tidy pandas table, with names cleaned and population joined."""
        if week not in self._weeks:
            rows = self.arrow.filter(pc.equal(self.arrow["week_ending"], week))
            frame = to_pandas(decoded(rows))
            self._weeks[week] = frame.assign(
                week_ending=frame["week_ending"].astype("datetime64[us]"),
                area_name=clean_names(frame["area_name"]),
                ltla_name=clean_names(frame["ltla_name"]),
                population=frame["area_code"].map(self._population).astype("Int64"),
            )
        return self._weeks[week]
