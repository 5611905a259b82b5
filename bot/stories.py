"""Stories: run each rule on a patch's week, turn its finding into facts, render the draft.

The facts are what the copy is built from and what ``--format json`` shows: the areas a story
names, in its order, with suppressed or unknown figures as ``None``, plus story-level figures.
Story settings (enabled, list lengths, thresholds) come from ``stories.toml`` beside the
templates, so editors can change them without touching Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bot import factcheck, rules
from bot.errors import PatchbotError
from bot.geography import Geography, Patch
from bot.rendering import Renderer
from bot.validate import CaseData

log = logging.getLogger(__name__)

AREA_FIELDS = (
    "area_code", "area_name", "ltla_name", "cases", "rate", "change", "change_pct",
    "previous_cases", "status",
)  # fmt: skip


@dataclass(frozen=True)
class StoryKind:
    name: str
    params_type: type[Any] | None
    detect: Callable[..., rules.Finding]
    nothing: str  # why a week can have no such story, for the run's log


STORIES: dict[str, StoryKind] = {
    kind.name: kind
    for kind in (
        StoryKind(
            "no_new_cases", None, lambda table, _params: rules.no_new_cases(table),
            "no area had its count suppressed",
        ),
        StoryKind(
            "highest_rates", rules.HighestRatesParams, rules.highest_rates,
            "no area has a published rate",
        ),
        StoryKind(
            "largest_rises", rules.ChangeParams, rules.largest_rises,
            "no area's cases rose from a base large enough to count",
        ),
        StoryKind(
            "largest_falls", rules.ChangeParams, rules.largest_falls,
            "no area's cases fell from a base large enough to count",
        ),
        StoryKind(
            "weekly_roundup", rules.RoundupParams, rules.weekly_roundup,
            "no area reached the round-up's minimum count",
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class StorySettings:
    enabled: bool
    params: Any  # the rule's params dataclass, or None
    channel: str | None = None  # Slack channel for this story, if not the default
    headlines: tuple[str, ...] = ()  # alternative headlines (Jinja snippets)
    intros: tuple[str, ...] = ()  # alternative first paragraphs


def load_story_settings(templates_dir: Path) -> dict[str, StorySettings]:
    """Read ``stories.toml``: every story needs its headlines and intros there; numbers left out
    take the defaults of ``bot.rules``."""
    if not templates_dir.is_dir():
        raise PatchbotError(f"PATCHBOT_TEMPLATES_DIR: no such folder: {templates_dir}")
    path = templates_dir / "stories.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PatchbotError(
            f"{templates_dir}: no stories.toml (start from a copy of Patchbot's story_templates/)"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise PatchbotError(f"{path}: {error}") from None
    unknown = sorted(set(document) - set(STORIES))
    if unknown:
        raise PatchbotError(f"{path}: unknown story [{unknown[0]}]; stories: {', '.join(STORIES)}")
    settings = {}
    for name, kind in STORIES.items():
        section = dict(document.get(name, {}))
        enabled = section.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise PatchbotError(f"{path}: [{name}] enabled must be true or false")
        channel = section.pop("channel", None)
        if channel is not None and (not isinstance(channel, str) or not channel.strip()):
            raise PatchbotError(f'{path}: [{name}] channel must be a channel name like "#covid"')
        variants = {key: _snippets(path, name, key, section.pop(key, None)) for key in VARIANTS}
        params = None
        if kind.params_type is not None:
            params = _params(path, name, kind.params_type, section)
        elif section:
            raise PatchbotError(f"{path}: [{name}] has no setting {next(iter(section))!r}")
        settings[name] = StorySettings(enabled, params, channel, **variants)
    return settings


VARIANTS = ("headlines", "intros")


def _snippets(path: Path, story: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        raise PatchbotError(f"{path}: [{story}] needs {key} = [...] (at least one)")
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item.strip() for item in value)
    ):
        raise PatchbotError(f"{path}: [{story}] {key} must be a list of one or more texts")
    return tuple(value)


def _params(path: Path, story: str, params_type: type[Any], section: dict[str, Any]) -> Any:
    defaults = params_type()
    fields = {f.name: f for f in dataclasses.fields(params_type)}
    for key, value in section.items():
        if key not in fields:
            raise PatchbotError(
                f"{path}: [{story}] has no setting {key!r}; settings: enabled, {', '.join(fields)}"
            )
        expected = type(getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PatchbotError(f"{path}: [{story}] {key} must be a number, got {value!r}")
        if expected is int and not isinstance(value, int):
            raise PatchbotError(f"{path}: [{story}] {key} must be a whole number, got {value!r}")
        if value < 0 or (key == "top" and value < 1):
            raise PatchbotError(f"{path}: [{story}] {key} is out of range: {value!r}")
    return dataclasses.replace(defaults, **section)


@dataclass(frozen=True)
class Draft:
    story: str
    headline: str
    text: str
    facts: dict[str, Any]

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
    table: pd.DataFrame | None = dataclasses.field(default=None, repr=False)  # the week's table
    number: int = 0  # this patch's number in ``table``

    def councils_without_figures(self) -> list[str]:
        """Councils of the patch with no row at all in the data this week."""
        if self.table is None:
            return []
        rows = self.patch_table()
        empty = rows.groupby("ltla_name")["status"].agg(lambda s: bool((s == rules.NO_DATA).all()))
        return sorted(str(name) for name, none in empty.items() if none)

    def patch_table(self) -> pd.DataFrame:
        """This patch's rows of the week table (every MSOA, with its status), for the map."""
        assert self.table is not None
        rows: pd.DataFrame = self.table[self.table[rules.PATCH] == self.number]
        return rows

    def as_json(self) -> dict[str, Any]:
        return {
            "patch": {"name": self.patch.name, "councils": list(self.patch.council_names)},
            "week_ending": self.week_ending.isoformat(),
            "release": self.release.isoformat() if self.release else None,
            "stories": [draft.as_json() for draft in self.drafts],
        }


def area_records(areas: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    """The areas of a finding as plain Python records (None where suppressed or unknown),
    grouped by patch number, in the story's order."""
    columns = [c for c in (*AREA_FIELDS, "above_threshold") if c in areas.columns]
    # pandas-stubs lack na_value=None, which pandas documents and which gives plain None
    values = [areas[c].to_numpy(dtype=object, na_value=None) for c in columns]  # type: ignore[call-overload]
    grouped: dict[int, list[dict[str, Any]]] = {}
    for patch, *row in zip(areas[rules.PATCH].tolist(), *values, strict=True):
        record = dict(zip(columns, row, strict=True))
        record["suppressed"] = record["status"] == rules.SUPPRESSED
        grouped.setdefault(patch, []).append(record)
    return grouped


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
    patch: Patch, week: dt.date, release: dt.date | None, latest: bool = True
) -> dict[str, Any]:
    """The variables every template gets, whatever the story."""
    return {
        "patch": {
            "name": patch.name,
            "place": patch.place,
            "councils": list(patch.council_names),
        },
        "week_ending": week,
        "week_start": week - dt.timedelta(days=6),
        "previous_week_ending": week - dt.timedelta(days=7),
        "published": release,
        "is_latest_week": latest,
    }


def story_facts(name: str, table: pd.DataFrame, params: Any) -> dict[str, Any] | None:
    """What a story asserts for a one-patch table (its areas and figures), or None when it has
    nothing to report."""
    finding = STORIES[name].detect(table, params)
    areas = area_records(finding.areas).get(0)
    return {"areas": areas, **finding.figures[0]} if areas else None


LEAD_BY = {"highest_rates": "rate", "largest_rises": "change", "largest_falls": "change"}


def template_context(story: str, meta: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """Everything a story's template may use (besides ``headline`` and ``intro``), including
    ``leaders``: the areas sharing first place, so the copy never crowns one of a tie."""
    top = facts["areas"][0]
    key = LEAD_BY.get(story)
    leaders = [a for a in facts["areas"] if key and a[key] == top[key]] if key else [top]
    return {**meta, **facts, "top_area": top, "leaders": leaders}


def draft_patches(
    table: pd.DataFrame,
    patches: Sequence[Patch],
    week: dt.date,
    cases: CaseData,
    renderer: Renderer,
    settings: dict[str, StorySettings],
    only: Sequence[str] = (),
) -> list[DraftSet]:
    """Every enabled story (or just ``only``) for every patch of a week table
    (``rules.patches_week``): each rule runs once for all patches.

    A story whose template fails is reported in ``failed``; the other stories still go out.
    """
    names = list(only) or [name for name in STORIES if settings[name].enabled]
    disabled = [
        (name, "disabled in stories.toml") for name in STORIES if not only and name not in names
    ]
    findings = {name: STORIES[name].detect(table, settings[name].params) for name in names}
    records = {name: area_records(finding.areas) for name, finding in findings.items()}
    snippets = [
        text for name in names for text in (*settings[name].headlines, *settings[name].intros)
    ]
    literals = factcheck.literal_numbers([*renderer.sources(), *snippets])
    has_rows = set(table.loc[table["status"] != rules.NO_DATA, rules.PATCH].unique().tolist())
    sets = []
    for number, patch in enumerate(patches):
        meta = story_meta(patch, week, cases.release, latest=week == cases.weeks[-1])
        drafts: list[Draft] = []
        skipped, failed, held = list(disabled), [], {}
        empty = number not in has_rows
        for name in names:
            areas = records[name].get(number)
            if not areas:
                why = (
                    "no figures in the data"
                    if empty
                    else f"nothing to report: {STORIES[name].nothing}"
                )
                skipped.append((name, why))
                continue
            facts = {"areas": areas, **findings[name].figures[number]}
            try:
                headline, text = renderer.render(
                    name,
                    template_context(name, meta, facts),
                    headlines=settings[name].headlines,
                    intros=settings[name].intros,
                    variant_key=f"{name}|{week.isoformat()}|{patch.name}",
                )
            except PatchbotError as error:
                failed.append((name, str(error)))
                continue
            dates = (
                meta["week_ending"],
                meta["week_start"],
                meta["previous_week_ending"],
                cases.release,
            )
            problems = factcheck.check(headline, text, facts, dates, literals, patch.council_names)
            if problems:
                failed.append((name, f"held by the fact check: {'; '.join(problems)}"))
                held[name] = Draft(name, headline, text, facts)
                continue
            drafts.append(Draft(name, headline, text, facts))
        sets.append(
            DraftSet(
                patch,
                week,
                cases.release,
                cases.origin,
                drafts,
                skipped,
                failed,
                held,
                table,
                number,
            )
        )
    return sets


def draft_stories(
    cases: CaseData,
    geography: Geography,
    patch: Patch,
    renderer: Renderer,
    settings: dict[str, StorySettings],
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
) -> DraftSet:
    """Every enabled story (or just ``only``) for ``patch`` in the chosen week."""
    week = choose_week(cases, week_ending)
    table = rules.patch_week(cases, geography, patch, week)
    return draft_patches(table, [patch], week, cases, renderer, settings, only)[0]
