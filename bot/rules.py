"""The week's table every story rule reads, and the pieces the rules share.

The week's table (``patches_week``) has one row (``AreaWeek``) per area in each patch, whatever
the data held, with the patch's number and a ``status`` (``bot.cases.AreaStatus``): reported,
suppressed (count withheld) or no_data (the data had no row for it), and names as the copy
prints them (``ltla_name``; the official one is ``ltla_ons_name``). A rule (one per story, in
``bot.stories``) returns, for every patch at once, the areas its story names in the story's
order (as the facts a draft asserts) and the story-level figures the copy quotes.

Plain Python over one week's rows (6,791 neighbourhoods for all England): quicker than a data
frame library for tables this size, and nothing heavy to import before the first draft.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, NotRequired, TypedDict, TypeVar

from bot.cases import AreaStatus, CaseData, CaseRow
from bot.errors import PatchbotError
from bot.geography import Area, Geography, Patch
from bot.geography.names import display_names

F = TypeVar("F")
Key = TypeVar("Key")


class AreaFacts(TypedDict):
    """One area a story names; a figure is None where it was suppressed or is unknown."""

    area_code: str
    area_name: str
    ltla_code: str
    ltla_name: str  # as the copy prints it ("Bristol")
    ltla_ons_name: str  # as ONS and PHE publish it ("Bristol, City of")
    cases: int | None
    rate: float | None
    change: int | None
    change_pct: float | None
    previous_cases: int | None
    status: AreaStatus
    county_or_region: NotRequired[str | None]  # council-level data: what the round-up groups by
    above_threshold: NotRequired[bool]  # highest_rates only
    suppressed: bool
    value: int | None  # the week's figure, whatever it counts (the dataset says): ``cases``


class AreaWeek(NamedTuple):
    """One area of one patch in the week: its figures (None where withheld or unknown). A
    named tuple, not a frozen dataclass: as immutable, and a sixth of the time to make."""

    patch: int  # the patch's position in the list of patches
    area_code: str
    area_name: str  # as the copy prints it
    ltla_code: str
    ltla_name: str  # as the copy prints it ("Bristol")
    ltla_ons_name: str  # as ONS and the publisher name it ("Bristol, City of")
    cases: int | None
    rate: float | None
    change: int | None
    change_pct: float | None
    previous_cases: int | None  # cases minus change: the week before's count
    status: AreaStatus
    population: int | None
    county_or_region: str | None = None
    provisional: bool = False

    def without_figures(self, status: AreaStatus) -> AreaWeek:
        """The area with its figures withheld (suppressed) or unknown (no data)."""
        return self._replace(
            cases=None, rate=None, change=None, change_pct=None, previous_cases=None,
            status=status,
        )  # fmt: skip

    def facts(self, with_county: bool, **extra: bool) -> AreaFacts:
        """The area as a story asserts it (``with_county``: the data says what a round-up
        groups it by), with a story's own marks (``above_threshold``)."""
        found: Any = {
            "area_code": self.area_code, "area_name": self.area_name,
            "ltla_code": self.ltla_code, "ltla_name": self.ltla_name,
            "ltla_ons_name": self.ltla_ons_name, "cases": self.cases, "rate": self.rate,
            "change": self.change, "change_pct": self.change_pct,
            "previous_cases": self.previous_cases, "status": self.status,
        }  # fmt: skip
        if with_county:
            found["county_or_region"] = self.county_or_region
        found.update(extra)
        found["suppressed"] = self.status is AreaStatus.SUPPRESSED
        found["value"] = self.cases
        facts: AreaFacts = found
        return facts


@dataclass(frozen=True)
class WeekTable:
    """Every area of every patch in one week, grouped by patch in the patches' order."""

    week: dt.date
    rows: list[AreaWeek]
    with_county: bool = False  # the data says what a round-up groups each area by

    def of_patch(self, number: int) -> list[AreaWeek]:
        return [row for row in self.rows if row.patch == number]

    def replace_rows(self, rows: list[AreaWeek]) -> WeekTable:
        return dataclasses.replace(self, rows=rows)


@dataclass(frozen=True)
class Finding:
    # The areas each story names, by patch number, in the story's order.
    areas: Mapping[int, list[AreaFacts]]
    # The story-level figures per patch number (each story's own TypedDict of figures).
    figures: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


def patches_week(
    cases: CaseData, geography: Geography, patches: Sequence[Patch], week: dt.date
) -> WeekTable:
    """Every area of every patch for ``week``, with its status; areas without a row kept
    (after the patch's rows, in the geography's order)."""
    names = display_names()
    printed: dict[str, str] = {}

    def shown(official: str) -> str:
        if official not in printed:
            printed[official] = names.name(official)
        return printed[official]

    councils = frozenset(code for patch in patches for code in patch.council_codes)
    data = _by_council(cases.week_rows(week, councils))
    areas = _by_council(geography.areas)
    rows: list[AreaWeek] = []
    for number, patch in enumerate(patches):
        found = _in_order(data, patch.council_codes)
        seen = {row.area_code for row in found}
        for row in found:
            rows.append(_area_week(number, row, cases.people(row.area_code), shown))
        for area in _in_order(areas, patch.council_codes):
            if area.area_code not in seen:
                rows.append(AreaWeek(
                    number, area.area_code, shown(area.area_name), area.ltla_code,
                    shown(area.ltla_name), area.ltla_name, None, None, None, None, None,
                    AreaStatus.NO_DATA, area.population,
                ))  # fmt: skip
    return WeekTable(week, rows, cases.has_county_or_region)


Row = TypeVar("Row", CaseRow, Area)


def _by_council(rows: Iterable[Row]) -> dict[str, list[tuple[int, Row]]]:
    """Rows by their council's code, each with its position."""
    grouped: dict[str, list[tuple[int, Row]]] = {}
    for index, row in enumerate(rows):
        grouped.setdefault(row.ltla_code, []).append((index, row))
    return grouped


def _in_order(grouped: Mapping[str, list[tuple[int, Row]]], councils: Iterable[str]) -> list[Row]:
    """The rows of these councils, in their original order."""
    chosen = [item for code in set(councils) for item in grouped.get(code, ())]
    return [row for _index, row in sorted(chosen, key=lambda item: item[0])]


def _area_week(
    number: int, row: CaseRow, people: int | None, shown: Callable[[str], str]
) -> AreaWeek:
    previous = row.cases - row.change if row.cases is not None and row.change is not None else None
    status = AreaStatus.SUPPRESSED if row.cases is None else AreaStatus.REPORTED
    return AreaWeek(
        number, row.area_code, shown(row.area_name), row.ltla_code, shown(row.ltla_name),
        row.ltla_name, row.cases, row.rate, row.change, row.change_pct, previous, status,
        people, row.county_or_region, row.provisional is True,
    )  # fmt: skip


def patch_week(cases: CaseData, geography: Geography, patch: Patch, week: dt.date) -> WeekTable:
    """One patch's week table; a patch with no rows in the data is an error."""
    table = patches_week(cases, geography, [patch], week)
    if all(row.status is AreaStatus.NO_DATA for row in table.rows):
        raise PatchbotError(
            f"{cases.origin}: no rows for {patch.name} in the week ending {week.isoformat()}"
        )
    return table


def one_decimal(value: Decimal) -> float:
    """Round half up, as PHE published its rates (Python's round() goes half to even)."""
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def status_counts(rows: Iterable[AreaWeek]) -> dict[int, dict[str, int]]:
    """Per patch with rows: how many areas are reported, suppressed, no_data, and in all."""
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        if row.patch not in counts:
            counts[row.patch] = {**dict.fromkeys(AreaStatus, 0), "total": 0}
        tally = counts[row.patch]
        tally[row.status] += 1
        tally["total"] += 1
    return counts


def per_patch(table: WeekTable, make: Callable[[int, dict[str, int]], F]) -> dict[int, F]:
    """Story-level figures for every patch, from its status counts."""
    return {patch: make(patch, counts) for patch, counts in status_counts(table.rows).items()}


def by_patch(rows: Iterable[AreaWeek]) -> dict[int, list[AreaWeek]]:
    """Rows grouped by patch, each group in the rows' order."""
    grouped: dict[int, list[AreaWeek]] = {}
    for row in rows:
        grouped.setdefault(row.patch, []).append(row)
    return grouped


def top(ranked: list[AreaWeek], key: Callable[[AreaWeek], Key], n: int) -> list[AreaWeek]:
    """The first ``n`` rows of one patch's ranked rows, plus any tied with the n-th."""
    if len(ranked) <= n:
        return ranked
    last = key(ranked[n - 1])
    end = n
    while end < len(ranked) and key(ranked[end]) == last:
        end += 1
    return ranked[:end]


def by_council(rows: Iterable[AreaWeek]) -> list[AreaWeek]:
    return sorted(rows, key=lambda row: (row.ltla_name, row.area_name))


def listed(
    table: WeekTable, areas: Mapping[int, list[AreaWeek]], **marks: Mapping[int, list[bool]]
) -> dict[int, list[AreaFacts]]:
    """The areas a story names, by patch, as facts (with any per-area ``marks``)."""
    return {
        patch: [
            row.facts(
                table.with_county, **{mark: values[patch][i] for mark, values in marks.items()}
            )
            for i, row in enumerate(rows)
        ]
        for patch, rows in areas.items()
        if rows
    }
