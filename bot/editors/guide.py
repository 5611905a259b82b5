"""The editors' guide (story_templates/README.md), generated so it cannot drift from the code.

The hand-written part is ``bot/data/editors_guide.md``; the tables of variables, area fields
and filters are built here from the real bundled data and the filters' own docstrings.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

from bot.editors.fixtures import EXAMPLE_PATCH, bundled_data, story_variables, typical_week
from bot.rendering import DEFAULT_TEMPLATES_DIR, Renderer
from bot.sources import DEFAULT_SOURCE
from bot.stories import STORIES
from bot.stories.settings import load_story_settings

# The variables every story's template gets (bot.stories.story_meta and template_context).
VARIABLE_HELP = {
    "headline": "the headline chosen from `headlines` in stories.toml (templates only)",
    "intro": "the first paragraph chosen from `intros` in stories.toml (templates only)",
    "patch": "the newsroom's patch: `patch.name`, `patch.place` (as copy says it, e.g. "
    '"the North East and North Yorkshire") and `patch.councils` (list of council names)',
    "week_ending": "the last day of the seven-day week the figures cover",
    "week_start": "the first day of that week",
    "previous_week_ending": "the last day of the week before (for changes)",
    "published": "the day PHE published the data, or nothing when the source does not say",
    "areas": "the areas the story lists, in order; each has the fields in the table below",
    "top_area": "the first of `areas`",
    "leaders": "the areas sharing first place: one, unless there is a tie",
    "is_latest_week": 'true when the week is the newest in the data ("the latest")',
    "provisional_areas": "the names of the areas whose figures the publisher says may still "
    "change (UKHSA: in its reporting delay); empty for PHE",
}

AREA_HELP = {
    "area_code": "the ONS code of the neighbourhood (MSOA)",
    "area_name": "its House of Commons Library name",
    "ltla_name": "its council",
    "cases": "cases in the week; nothing when suppressed",
    "rate": "cases per 100,000 people; nothing when suppressed",
    "change": "cases compared with the week before; nothing when either week was suppressed",
    "change_pct": "that change in per cent",
    "previous_cases": "cases the week before",
    "status": '"reported", "suppressed" or "no_data"',
    "suppressed": "true when the count was withheld (zero to two cases)",
    "value": "the week's figure, whatever the data counts: the same as `cases`",
    "county_or_region": "UKHSA's council-level data only: the council's county, or its region "
    "when no county is above it (the round-up groups by it)",
    "above_threshold": "highest_rates only: true when above the marked threshold",
}
FILTER_EXAMPLES = [
    ("num", "{{ 3|num }} / {{ 12|num }}"),
    ("figure", "{{ 1234|figure }}"),
    ("spelled", "{{ 147|spelled }}"),
    ("counted", '{{ 1|counted("area") }} / {{ 3|counted("area") }} / '
                '{{ 29|counted("new case", digits=True) }}'),
    ("plural", '{{ 2|plural("has", "have") }}'),
    ("lead_count", '{{ 13|lead_count("area") }} / {{ 148|lead_count("area") }}'),
    ("rate", "{{ 452.2|rate }} / {{ 1234.56|rate }}"),
    ("percent", "{{ -42.6|percent }}"),
    ("times", "{{ 2|times }} / {{ 3|times }}"),
    ("uk_date", '{{ "2020-11-25"|uk_date }} / {{ "2020-11-25"|uk_date(year=True) }}'),
    ("listing", '{{ ["Darlington", "Hartlepool", "York"]|listing }}'),
    ("where", '{{ {"area_name": "Park East", "ltla_name": "Darlington"}|where }}'),
]  # fmt: skip
TABLE_RULE = "|---|---|---|---|"


def variable_help(story: str, name: str) -> str:
    """A variable's help: common to every story, or one of the story's own figures (whose
    help is written beside the figure, in the story's registry entry)."""
    return {**VARIABLE_HELP, **STORIES[story].figure_help()}[name]


def editors_guide(templates_dir: Path = DEFAULT_TEMPLATES_DIR) -> str:
    """The whole guide as Markdown: the hand-written part, then the generated tables for the
    stories of ``templates_dir``."""
    data = bundled_data(DEFAULT_SOURCE)  # the same key as the check's, so it is read once
    settings = load_story_settings(templates_dir)
    examples = story_variables(data, typical_week(data), settings)
    guide = resources.files("bot").joinpath("data/editors_guide.md").read_text(encoding="utf-8")
    out = [guide.strip(), ""]
    out.append("## Variables, story by story\n")
    out.append(
        f"Examples are real: the bundled PHE data for the {EXAMPLE_PATCH} preset, week to "
        f"{data.week.isoformat()}. Nothing (a suppressed or unknown figure) shows as `None`; a "
        "template must check `area.suppressed` before printing a count.\n"
    )
    for story, context in examples.items():
        out += _story_section(story, context)
    out += _area_section(examples["highest_rates"]["top_area"])
    out += _filters_section(Renderer(templates_dir))
    return "\n".join(out) + "\n"


def _story_section(story: str, context: dict[str, Any]) -> list[str]:
    out = [f"### {story}\n", f"| variable | type | example | what it is |\n{TABLE_RULE}"]
    for name in ("headline", "intro"):  # chosen from stories.toml, so no example to show
        out.append(f"| `{name}` | text | (see stories.toml) | {variable_help(story, name)} |")
    for name, value in context.items():
        out.append(
            f"| `{name}` | {_kind(value)} | {_example(value)} | {variable_help(story, name)} |"
        )
    return [*out, ""]


def _area_section(area: dict[str, Any]) -> list[str]:
    out = ["### Each area in `areas` (and `top_area`)\n"]
    out.append(f"| field | type | example | what it is |\n{TABLE_RULE}")
    for name, value in area.items():
        out.append(f"| `area.{name}` | {_kind(value)} | {_example(value)} | {AREA_HELP[name]} |")
    return out


def _filters_section(renderer: Renderer) -> list[str]:
    out = ["\n## Filters\n", "Write `{{ value|filter }}`. They live in `bot/housestyle.py`.\n"]
    out.append(f"| filter | what it does | example | gives |\n{TABLE_RULE}")
    for name, example in FILTER_EXAMPLES:
        doc = " ".join((renderer.env.filters[name].__doc__ or "").split()).split(": ")[0]
        result = renderer.env.from_string(example).render()
        code = example.replace("|", "\\|")  # a bare | would split the table's cell
        out.append(f"| `{name}` | {doc} | `{code}` | {result} |")
    return out


def _kind(value: Any) -> str:
    """The type of a value, in an editor's words."""
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int):
        return "whole number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "group" if isinstance(value, dict) else "nothing"


def _example(value: Any) -> str:
    """A value as one short table cell: lists and groups summarised, long text cut."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = f"{len(value)} items, e.g. {_example(value[0])}"
    elif isinstance(value, dict) and "area_name" in value:
        value = f"{value['area_name']}, {value['ltla_name']}"
    elif isinstance(value, dict) and "place" in value:
        value = f"{value['name']} ({len(value['councils'])} councils)"
    elif isinstance(value, dict):
        value = ", ".join(f"{k}: {v}" for k, v in value.items())
    text = str(value) if not isinstance(value, dt.date) else value.isoformat()
    return (text if len(text) <= 60 else text[:57] + "...").replace("|", "\\|")
