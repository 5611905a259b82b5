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

import pandas as pd

from bot import rules
from bot.cases import AreaStatus, CaseData, Level
from bot.geography import Geography, Patch, load_geography
from bot.sources import DEFAULT_SOURCE, SourceOptions, open_source
from bot.stories.drafting import story_facts, story_meta, template_context
from bot.stories.settings import StorySettings

EXAMPLE_PATCH = "north-east-and-north-yorkshire"
# One council's neighbourhoods; for council-level data, a region's councils.
EDGE_CASE_PATCH = {Level.NEIGHBOURHOOD: "York", Level.COUNCIL: "North East"}
# The columns a suppressed or missing area has no figure for.
FIGURE_COLUMNS = ["cases", "rate", "change", "change_pct", "previous_cases"]


@dataclass(frozen=True)
class BundledData:
    cases: CaseData
    geography: Geography

    @property
    def week(self) -> dt.date:
        """The newest week of the sample: every fixture and example is drawn from it."""
        return self.cases.weeks[-1]

    def week_table(self, patch: Patch) -> pd.DataFrame:
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
    table: pd.DataFrame
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


def _one_area(base: pd.DataFrame) -> pd.DataFrame:
    """One reported area, one suppressed, the rest without data."""
    reported = base[base["status"] == AreaStatus.REPORTED]
    one = base.copy()
    first, second = reported.index[0], base.index[base.index != reported.index[0]][0]
    others = ~one.index.isin([first, second])
    one.loc[others, FIGURE_COLUMNS] = pd.NA
    one.loc[others, "status"] = AreaStatus.NO_DATA
    one.loc[second, FIGURE_COLUMNS] = pd.NA
    one.loc[second, "status"] = AreaStatus.SUPPRESSED
    one.loc[first, FIGURE_COLUMNS] = [12, 150.0, 6, 100.0, 6]
    return one


def _ties(base: pd.DataFrame) -> pd.DataFrame:
    """Every reported area on the same rate, half rising and half falling by the same amount."""
    tied = base.copy()
    mask = tied["status"] == AreaStatus.REPORTED
    signs = pd.Series([1 if i % 2 else -1 for i in range(int(mask.sum()))], index=tied.index[mask])
    tied.loc[mask, ["cases", "rate", "previous_cases"]] = [10, 100.0, 10]
    tied.loc[mask, "change"] = signs * 5
    tied.loc[mask, "previous_cases"] = 10 - signs * 5
    tied.loc[mask, "change_pct"] = signs * 100.0
    return tied


def _every_area(base: pd.DataFrame, status: str) -> pd.DataFrame:
    """Every area without figures, with one status; the column types kept for the rules."""
    blank = base.copy()
    blank[FIGURE_COLUMNS] = pd.NA
    blank["status"] = status
    return blank.astype(base.dtypes.to_dict())


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
