"""``highest_rates``: areas ranked by rate, those above a multiple of the patch average marked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, NamedTuple, TypedDict

from bot.cases import AreaStatus
from bot.rules import AreaWeek, Finding, WeekTable, by_patch, listed, one_decimal, per_patch, top
from bot.stories import Story, register_story
from bot.stories.limits import Limit


@dataclass(frozen=True)
class HighestRatesParams:
    top: Annotated[int, Limit(1, why="a list needs at least one area")] = 20  # more when tied
    # flag areas above this multiple of the patch average
    above_average_multiple: Annotated[
        float, Limit(1, above=True, why='"more than one times the average" is no story')
    ] = 2.0
    min_cases: int = 0  # list only areas with at least this many (a rate from one is noise)


class RatesFigures(TypedDict):
    patch_average: Annotated[
        float,
        "the patch's rate per 100,000: total cases / total population; suppressed areas count "
        "as zero",
    ]
    patch_average_high: Annotated[
        float,
        "the highest the true average can be: each suppressed area counted at two cases (the "
        "top of PHE's 0-2 band); equal to `patch_average` when nothing was suppressed",
    ]
    patch_cases: Annotated[int, "total cases in the patch (suppressed areas count as zero)"]
    patch_population: Annotated[int, "the population of the areas with figures (ONS mid-2019)"]
    above_average_multiple: Annotated[
        float, "stories.toml: areas above this multiple of the average are marked"
    ]
    threshold: Annotated[
        float, "the rate above which an area is marked: the average times the multiple"
    ]
    above_threshold_count: Annotated[
        int, "how many areas of the whole patch are above the threshold"
    ]
    listed_above_threshold_count: Annotated[
        int, "how many listed areas are above the threshold (marked *)"
    ]
    suppressed_count: Annotated[
        int, "how many areas had their count suppressed (zero to two cases)"
    ]
    suppressed_counted_as: Annotated[int, "what a suppressed area counts as in the average (0)"]
    no_data_count: Annotated[int, "how many areas had no figures in the data at all"]
    top: Annotated[int, "stories.toml: how many areas to list (more when tied with the last)"]
    min_cases: Annotated[int, "stories.toml: areas with fewer cases are not listed"]


SUPPRESSED_AT_MOST = 2  # PHE withheld counts of zero to two


class _Average(NamedTuple):
    average: float  # suppressed areas at zero
    high: float  # suppressed areas at two: the true average lies between the two
    threshold: float
    cases: int
    population: int


def _per_100k(cases: int, population: int) -> float:
    return one_decimal(Decimal(cases * 100_000) / population) if population else 0.0


def _averages(table: WeekTable, multiple: Decimal) -> dict[int, _Average]:
    """Per patch, over the areas with a row: the average with suppressed areas counted as
    zero cases and as two (their true 0-2 is unknown); areas with no row are left out."""
    totals: dict[int, list[int]] = {}  # patch -> [cases, population, suppressed areas]
    for row in table.rows:
        if row.status is AreaStatus.NO_DATA:
            continue
        total = totals.setdefault(row.patch, [0, 0, 0])
        total[0] += row.cases or 0
        total[1] += row.population or 0
        total[2] += row.status is AreaStatus.SUPPRESSED
    averages = {}
    for patch, (cases, population, suppressed) in totals.items():
        average = _per_100k(cases, population)
        high = _per_100k(cases + SUPPRESSED_AT_MOST * suppressed, population)
        threshold = one_decimal(Decimal(str(average)) * multiple)
        averages[patch] = _Average(average, high, threshold, cases, population)
    return averages


def _ranked(row: AreaWeek) -> tuple[float, int, str]:
    """Highest rate first, then most cases, then by name."""
    return -(row.rate or 0.0), -(row.cases or 0), row.area_name


def highest_rates(table: WeekTable, params: HighestRatesParams) -> Finding:
    """Areas ranked by rate, flagged when above a multiple of the patch average
    (total cases / total population x 100,000)."""
    averages = _averages(table, Decimal(str(params.above_average_multiple)))
    rated = by_patch(
        row for row in table.rows
        if row.rate is not None and (row.cases or 0) >= params.min_cases
    )  # fmt: skip
    areas: dict[int, list[AreaWeek]] = {}
    marks: dict[int, list[bool]] = {}
    flagged: dict[int, int] = {}
    for patch, rows in rated.items():
        threshold = averages[patch].threshold
        areas[patch] = top(sorted(rows, key=_ranked), lambda row: row.rate, params.top)
        marks[patch] = [(row.rate or 0.0) > threshold for row in areas[patch]]
        # Counted over the whole patch: more areas can be above the line than the list shows.
        flagged[patch] = sum((row.rate or 0.0) > threshold for row in rows)

    def figures(patch: int, counts: dict[str, int]) -> RatesFigures:
        average, high, threshold, cases, population = averages.get(
            patch, _Average(0.0, 0.0, 0.0, 0, 0)
        )
        return RatesFigures(
            patch_average=average,
            patch_average_high=high,
            patch_cases=cases,
            patch_population=population,
            above_average_multiple=params.above_average_multiple,
            threshold=threshold,
            above_threshold_count=flagged.get(patch, 0),
            listed_above_threshold_count=sum(marks.get(patch, [])),
            suppressed_count=counts[AreaStatus.SUPPRESSED],
            suppressed_counted_as=0,
            no_data_count=counts[AreaStatus.NO_DATA],
            top=params.top,
            min_cases=params.min_cases,
        )

    return Finding(listed(table, areas, above_threshold=marks), per_patch(table, figures))


register_story(
    Story(
        name="highest_rates",
        rule=highest_rates,
        params_type=HighestRatesParams,
        figures_type=RatesFigures,
        nothing="no area has a published rate",
        lead_by="rate",
        chart="highest_rates",
    )
)
