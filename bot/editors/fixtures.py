"""Real bundled data, bent into the edge cases templates must survive, and the example
variables the editors' guide shows.

Both the templates check and the guide start here, so the bundled sample is read and
validated once per process and each check run builds its fixtures once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import rules
from bot.cases import AreaStatus, CaseData, Level
from bot.geography import Geography, Patch, load_geography
from bot.sources import DEFAULT_SOURCE, SourceOptions, open_source
from bot.stories.drafting import story_facts, story_meta, template_context
from bot.stories.settings import StorySettings

EXAMPLE_PATCH = "north-east-and-north-yorkshire"
# One council's neighbourhoods; for council-level data, a region's councils.
EDGE_CASE_PATCH = {Level.NEIGHBOURHOOD: "York", Level.COUNCIL: "North East"}


@dataclass(frozen=True)
class BundledData:
    cases: CaseData
    geography: Geography

    @property
    def week(self) -> dt.date:
        """The newest week of the sample: every fixture and example is drawn from it."""
        return self.cases.weeks[-1]

    def week_table(self, patch: Patch) -> rules.WeekTable:
        return rules.patch_week(self.cases, self.geography, patch, self.week)


@functools.cache
def bundled_data(sample: str = DEFAULT_SOURCE) -> BundledData:
    """A bundled sample (PHE's by default), read and validated once per process."""
    bundled = open_source(sample, SourceOptions())
    geography = load_geography(bundled.geography)
    raw = bundled.fetch(geography.england(), geography)
    return BundledData(bundled.parse(raw, geography, dt.date.today()), geography)


@dataclass(frozen=True)
class Fixture:
    name: str
    patch: Patch
    table: rules.WeekTable
    expects_no_story: bool = False  # a week with no data: drafting anything is the problem
    # The fact check reads the copy for every area's name: seconds for all England, whose
    # fixture is there for length; the others catch a story that drops its list.
    fact_checked: bool = True


def typical_week(data: BundledData) -> Fixture:
    """The example patch's real newest week: the guide's examples and the first fixture."""
    patch = data.geography.resolve_patch(EXAMPLE_PATCH)
    return Fixture("a typical week", patch, data.week_table(patch))


def edge_cases(data: BundledData) -> list[Fixture]:
    """The real week of one council bent into each edge case, plus all England for length."""
    york = data.geography.resolve_patch(EDGE_CASE_PATCH[data.cases.level])
    base = data.week_table(york)
    england = data.geography.england()
    return [
        Fixture("one area", york, _one_area(base)),
        Fixture("ties", york, _ties(base)),
        Fixture("all suppressed", york, _every_area(base, AreaStatus.SUPPRESSED)),
        Fixture(
            "a very long list (all England)", england, data.week_table(england), fact_checked=False
        ),
        Fixture(
            "nothing to report", york, _every_area(base, AreaStatus.NO_DATA), expects_no_story=True
        ),
    ]


def _one_area(base: rules.WeekTable) -> rules.WeekTable:
    """One reported area, one suppressed, the rest without data."""
    first = next(i for i, row in enumerate(base.rows) if row.status is AreaStatus.REPORTED)
    second = next(i for i in range(len(base.rows)) if i != first)
    rows = [row.without_figures(AreaStatus.NO_DATA) for row in base.rows]
    rows[second] = rows[second]._replace(status=AreaStatus.SUPPRESSED)
    rows[first] = base.rows[first]._replace(
        cases=12, rate=150.0, change=6, change_pct=100.0, previous_cases=6
    )
    return base.replace_rows(rows)


def _ties(base: rules.WeekTable) -> rules.WeekTable:
    """Every reported area on the same rate, half rising and half falling by the same amount."""
    rows = []
    reported = 0
    for row in base.rows:
        if row.status is AreaStatus.REPORTED:
            sign = 1 if reported % 2 else -1
            reported += 1
            row = row._replace(
                cases=10, rate=100.0, change=sign * 5, previous_cases=10 - sign * 5,
                change_pct=sign * 100.0,
            )  # fmt: skip
        rows.append(row)
    return base.replace_rows(rows)


def _every_area(base: rules.WeekTable, status: AreaStatus) -> rules.WeekTable:
    """Every area without figures, with one status."""
    return base.replace_rows([row.without_figures(status) for row in base.rows])


def story_variables(
    data: BundledData,
    typical: Fixture,
    settings: dict[str, StorySettings],
    fallbacks: Sequence[Fixture] = (),
) -> dict[str, dict[str, Any]]:
    """Each story's template variables with an example value from a typical week, or, for a
    story with nothing to say that week, from the first of ``fallbacks`` that has it; a story
    with nothing to say in any is left out (the check then allows what all stories have)."""
    found = {}
    for story, story_settings in settings.items():
        for fixture in (typical, *fallbacks):
            facts = story_facts(story, fixture.table, story_settings.params)
            if facts is not None:
                meta = story_meta(fixture.patch, data.week, data.cases.release)
                found[story] = template_context(story, meta, facts)
                break
    return found
