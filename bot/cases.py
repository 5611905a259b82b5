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
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:  # pyarrow is imported only where a table is read (not for a kept one)
    import pyarrow as pa


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


class CaseRow(NamedTuple):
    """One row of the table for one week: an area's figures (None where withheld). A named
    tuple, not a frozen dataclass: as immutable, and a fifth of the time to make (every
    area of England each run)."""

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


ROW_FIELDS = CaseRow._fields
NAME_FIELDS = ("area_name", "ltla_name")
_OPTIONAL = CaseRow._field_defaults


@runtime_checkable
class CaseTable(Protocol):
    """Where a ``CaseData``'s rows are kept: an Arrow table in memory (``ArrowCases``), or a
    table checked by an earlier run and read back a week at a time (``bot.sources.checked``)."""

    @property
    def num_rows(self) -> int: ...

    @property
    def column_names(self) -> list[str]: ...

    def weeks(self) -> list[dt.date]: ...

    def week_columns(self, week: dt.date) -> dict[str, list[Any]]:
        """The week's rows, every area, as columns (``ROW_FIELDS`` the table has)."""
        ...

    def arrow(self) -> pa.Table: ...


class ArrowCases:
    """A ``CaseTable`` over an Arrow table: compact, even for years of history."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)

    @property
    def column_names(self) -> list[str]:
        return list(self.table.column_names)

    def weeks(self) -> list[dt.date]:
        import pyarrow.compute as pc

        return sorted(pc.unique(self.table["week_ending"]).to_pylist())

    def week_columns(self, week: dt.date) -> dict[str, list[Any]]:
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = self.table.filter(pc.equal(self.table["week_ending"], week))
        columns = {}
        for name in ROW_FIELDS:
            if name in rows.column_names:
                column = rows[name]
                if pa.types.is_dictionary(column.type):  # codes and names: decoded in one go,
                    column = column.cast(column.type.value_type)  # not a scalar at a time (30x)
                columns[name] = column.to_pylist()
        return columns

    def arrow(self) -> pa.Table:
        return self.table


class CaseData:
    """The validated table: one row per area per week, where it came from, and what it is.

    A week is turned into the rows the rules read only when it is asked for.
    """

    def __init__(
        self,
        table: pa.Table | CaseTable,
        origin: str,
        release: dt.date | None,
        population: dict[str, int],
        level: Level = Level.NEIGHBOURHOOD,
        measure: Measure = Measure.CASES,
        dataset: Dataset | None = None,
    ) -> None:
        """``table``: a source's Arrow table with the columns above, or a ``CaseTable``."""
        self.table = table if isinstance(table, CaseTable) else ArrowCases(table)
        self.origin = origin
        self.release = release
        self.level = level
        self.measure = measure
        self.dataset = dataset
        self._population = population  # people by area code
        self._weeks: dict[tuple[dt.date, frozenset[str]], list[CaseRow]] = {}
        self._columns: dict[dt.date, dict[str, list[Any]]] = {}  # every council's, by week

    @property
    def arrow(self) -> pa.Table:
        return self.table.arrow()

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @functools.cached_property
    def weeks(self) -> list[dt.date]:
        return self.table.weeks()

    @property
    def has_county_or_region(self) -> bool:
        """Whether the source says what a round-up groups each area by (council-level data)."""
        return "county_or_region" in self.table.column_names

    def people(self, area_code: str) -> int | None:
        return self._population.get(area_code)

    def week_rows(self, week: dt.date, councils: frozenset[str]) -> list[CaseRow]:
        """The week's rows of these councils, in the source's order, with names cleaned."""
        if (week, councils) not in self._weeks:
            if week not in self._columns:
                self._columns[week] = self._week_columns(week)
            columns = self._columns[week]
            ours = [at for at, code in enumerate(columns["ltla_code"]) if code in councils]
            picked = [[column[at] for at in ours] for column in columns.values()]
            self._weeks[week, councils] = [CaseRow(*values) for values in zip(*picked, strict=True)]
        return self._weeks[week, councils]

    def _week_columns(self, week: dt.date) -> dict[str, list[Any]]:
        """Every ``ROW_FIELDS`` column of the week, in order, names cleaned, a default filling
        a column the source does not have."""
        columns = self.table.week_columns(week)
        count = len(columns["area_code"])
        for name in NAME_FIELDS:
            tidy = {text: clean_name(text) for text in set(columns[name])}
            columns[name] = [tidy[text] for text in columns[name]]
        return {name: columns.get(name) or [_OPTIONAL[name]] * count for name in ROW_FIELDS}
