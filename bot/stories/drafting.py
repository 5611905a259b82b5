"""Drafting: run each story's rule on a week's table, turn its finding into facts, render and
fact-check the draft.

The facts are what the copy is built from and what ``--format json`` shows: the areas a story
names, in its order, with suppressed or unknown figures as ``None``, plus the story's figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import factcheck
from bot.cases import AreaStatus, CaseData, Dataset, Level, Measure
from bot.errors import PatchbotError
from bot.geography import Patch
from bot.rendering import Renderer
from bot.rules import AreaWeek, Finding, WeekTable
from bot.stories import STORIES
from bot.stories.settings import StorySettings

# What a story asserts: ``areas`` (a list of AreaFacts) beside its own figures TypedDict.
Facts = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    story: str
    headline: str
    text: str
    facts: Facts

    def as_json(self) -> dict[str, Any]:
        return {
            "story": self.story,
            "headline": self.headline,
            "text": self.text,
            "facts": self.facts,
        }


@dataclass(frozen=True)
class DraftSet:
    patch: Patch
    week_ending: dt.date
    release: dt.date | None
    origin: str
    drafts: list[Draft]
    skipped: list[tuple[str, str]]  # (story, why there is none)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (story, error)
    held: dict[str, Draft] = dataclasses.field(default_factory=dict)  # failed the fact check
    table: WeekTable | None = dataclasses.field(default=None, repr=False)  # the week's table
    number: int = 0  # this patch's number in ``table``
    level: Level = Level.NEIGHBOURHOOD  # how fine the data's areas are
    measure: Measure = Measure.CASES  # what its counts count
    dataset: Dataset | None = None  # which data it is, where the source says
    provisional: list[str] = dataclasses.field(default_factory=list)  # areas, figures not final

    def councils_without_figures(self) -> list[str]:
        """Councils of the patch with no row at all in the data this week."""
        if self.table is None:
            return []
        empty: dict[str, bool] = {}
        for row in self.patch_table():
            empty[row.ltla_name] = empty.get(row.ltla_name, True) and (
                row.status is AreaStatus.NO_DATA
            )
        return sorted(name for name, none in empty.items() if none)

    def patch_table(self) -> list[AreaWeek]:
        """This patch's rows of the week table (every area, with its status), for the map."""
        assert self.table is not None
        return self.table.of_patch(self.number)

    def as_json(self) -> dict[str, Any]:
        return {
            "patch": {"name": self.patch.name, "councils": list(self.patch.council_names)},
            "week_ending": self.week_ending.isoformat(),
            "release": self.release.isoformat() if self.release else None,
            "dataset": self.dataset.as_json() if self.dataset else None,
            "provisional": self.provisional,
            "stories": [draft.as_json() for draft in self.drafts],
        }


def choose_week(cases: CaseData, week_ending: dt.date | None) -> dt.date:
    weeks = cases.weeks
    if week_ending is None:
        return weeks[-1]
    if week_ending not in weeks:
        shown = ", ".join(week.isoformat() for week in weeks[-8:])
        raise PatchbotError(
            f"--week-ending {week_ending.isoformat()}: not in {cases.origin} (weeks: {shown})"
        )
    return week_ending


def story_meta(
    patch: Patch,
    week: dt.date,
    release: dt.date | None,
    latest: bool = True,
    provisional: Sequence[str] = (),
) -> dict[str, Any]:
    """The variables every template gets, whatever the story."""
    return {
        "patch": {
            "name": patch.name,
            "place": patch.place,
            "councils": list(patch.council_names),
            "note": patch.note,
        },
        "week_ending": week,
        "week_start": week - dt.timedelta(days=6),
        "previous_week_ending": week - dt.timedelta(days=7),
        "published": release,
        "is_latest_week": latest,
        "provisional_areas": list(provisional),
    }


def story_facts(name: str, table: WeekTable, params: Any) -> Facts | None:
    """What a story asserts for a one-patch table (its areas and figures), or None when it has
    nothing to report."""
    finding = STORIES[name].rule(table, params)
    areas = finding.areas.get(0)
    return {"areas": areas, **finding.figures[0]} if areas else None


def template_context(story: str, meta: dict[str, Any], facts: Facts) -> dict[str, Any]:
    """Everything a story's template may use (besides ``headline`` and ``intro``), including
    ``leaders``: the areas sharing first place, so the copy never crowns one of a tie."""
    top = facts["areas"][0]
    key = STORIES[story].lead_by
    leaders = [a for a in facts["areas"] if a[key] == top[key]] if key else [top]
    return {**meta, **facts, "top_area": top, "leaders": leaders}


@dataclass(frozen=True)
class _Week:
    """What every patch's drafts share: the week, its findings, and the check's inputs."""

    week: dt.date
    cases: CaseData
    renderer: Renderer
    settings: dict[str, StorySettings]
    names: list[str]
    broken: list[tuple[str, str]]  # (story, its mistake in stories.toml): held, every patch
    findings: dict[str, Finding]
    literals: set[float]  # numbers typed into the templates themselves


def draft_patches(
    table: WeekTable,
    patches: Sequence[Patch],
    week: dt.date,
    cases: CaseData,
    renderer: Renderer,
    settings: dict[str, StorySettings],
    only: Sequence[str] = (),
) -> list[DraftSet]:
    """Every enabled story (or just ``only``) for every patch of a week table
    (``rules.patches_week``): each rule runs once for all patches.

    A story whose template or stories.toml section is wrong is reported in ``failed``; the
    other stories still go out.
    """
    names = list(only) or [name for name in STORIES if settings[name].enabled]
    disabled = [
        (name, "disabled in stories.toml") for name in STORIES if not only and name not in names
    ]
    broken = [(name, str(settings[name].mistake)) for name in names if settings[name].mistake]
    names = [name for name in names if settings[name].mistake is None]
    findings = {name: STORIES[name].rule(table, settings[name].params) for name in names}
    snippets = [
        text for name in names for text in (*settings[name].headlines, *settings[name].intros)
    ]
    shared = _Week(
        week, cases, renderer, settings, names, broken, findings,
        factcheck.literal_numbers([*renderer.sources(), *snippets]),
    )  # fmt: skip
    has_rows = {row.patch for row in table.rows if row.status is not AreaStatus.NO_DATA}
    provisional = provisional_areas(table)
    sets = []
    for number, patch in enumerate(patches):
        flagged = provisional.get(number, [])
        drafted = _draft_patch(
            shared, number, patch, list(disabled), number not in has_rows, flagged
        )
        sets.append(dataclasses.replace(drafted, table=table, number=number))
    return sets


def provisional_areas(table: WeekTable) -> dict[int, list[str]]:
    """Per patch, the areas whose figures this week (or the week before) the publisher says
    may still change; none when the source marks nothing provisional."""
    found: dict[int, list[str]] = {}
    for row in table.rows:
        if row.provisional:
            found.setdefault(row.patch, []).append(row.area_name)
    return {patch: sorted(names) for patch, names in found.items()}


def _draft_patch(
    shared: _Week,
    number: int,
    patch: Patch,
    skipped: list[tuple[str, str]],
    empty: bool,
    provisional: list[str],
) -> DraftSet:
    """One patch's drafts: rendered, fact-checked, or the reason each story has none."""
    cases, week = shared.cases, shared.week
    latest = week == cases.weeks[-1]
    meta = story_meta(patch, week, cases.release, latest, provisional)
    drafts: list[Draft] = []
    failed: list[tuple[str, str]] = list(shared.broken)
    held: dict[str, Draft] = {}
    for name in shared.names:
        areas = shared.findings[name].areas.get(number)
        if not areas:
            nothing = f"nothing to report: {STORIES[name].nothing}"
            skipped.append((name, "no figures in the data" if empty else nothing))
            continue
        facts: Facts = {"areas": areas, **shared.findings[name].figures[number]}
        try:
            draft = _render(shared, name, meta, facts, patch)
        except PatchbotError as error:
            failed.append((name, str(error)))
            continue
        dates = (
            meta["week_ending"],
            meta["week_start"],
            meta["previous_week_ending"],
            cases.release,
        )
        problems = factcheck.check(
            draft.headline,
            draft.text,
            facts,
            (*dates, cases.release),
            shared.literals,
            patch.council_names,
        )
        if problems:
            failed.append((name, f"held by the fact check: {'; '.join(problems)}"))
            held[name] = draft
            continue
        drafts.append(draft)
    return DraftSet(
        patch, week, cases.release, cases.origin, drafts, skipped, failed, held,
        level=cases.level, measure=cases.measure, dataset=cases.dataset, provisional=provisional,
    )  # fmt: skip


def _render(shared: _Week, name: str, meta: dict[str, Any], facts: Facts, patch: Patch) -> Draft:
    settings = shared.settings[name]
    headline, text = shared.renderer.render(
        name,
        template_context(name, meta, facts),
        headlines=settings.headlines,
        intros=settings.intros,
        variant_key=f"{name}|{shared.week.isoformat()}|{patch.name}",
    )
    return Draft(name, headline, text, facts)
