"""The editors' toolkit: check templates, preview a story, and document every variable.

``check`` parses every template and every headline/intro in ``stories.toml``, reports syntax
errors, unknown variables and unknown filters with ``file:line``, then renders every story and
every variant against edge cases built from the real bundled data (one area, ties, all
suppressed, a very long list, nothing to report) and flags copy problems such as "1 areas".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from jinja2 import meta, nodes

from bot import rules
from bot.datasource import bundled_sample
from bot.errors import PatchbotError
from bot.geography import Geography, Patch, load_geography
from bot.rendering import Renderer
from bot.stories import (
    STORIES,
    StorySettings,
    load_story_settings,
    story_facts,
    story_meta,
    template_context,
)
from bot.validate import CaseData, load_cases

EXAMPLE_PATCH = "north-east-and-north-yorkshire"


@dataclass(frozen=True)
class Problem:
    where: str  # "file:line" or "story [fixture]"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# ---------------------------------------------------------------------------------------
# Fixtures: real bundled data, bent into the edge cases templates must survive.


@dataclass(frozen=True)
class Fixture:
    name: str
    patch: Patch
    table: pd.DataFrame


def _bundled() -> tuple[CaseData, Geography]:
    geography = load_geography()
    return load_cases(bundled_sample(), geography, dt.date.today()), geography


def fixtures(cases: CaseData, geography: Geography) -> Iterator[Fixture]:
    week = cases.weeks[-1]
    york = geography.resolve_patch("York")
    base = rules.patch_week(cases, geography, york, week)
    typical = geography.resolve_patch(EXAMPLE_PATCH)
    yield Fixture("a typical week", typical, rules.patch_week(cases, geography, typical, week))

    empty = dict.fromkeys(["cases", "rate", "change", "change_pct", "previous_cases"], pd.NA)
    reported = base[base["status"] == rules.REPORTED]
    one = base.copy()
    first, second = reported.index[0], base.index[base.index != reported.index[0]][0]
    others = ~one.index.isin([first, second])
    one.loc[others, list(empty)] = pd.NA
    one.loc[others, "status"] = rules.NO_DATA
    one.loc[second, list(empty)] = pd.NA
    one.loc[second, "status"] = rules.SUPPRESSED
    one.loc[first, ["cases", "rate", "change", "change_pct", "previous_cases"]] = [
        12,
        150.0,
        6,
        100.0,
        6,
    ]
    yield Fixture("one area", york, one)

    tied = base.copy()
    mask = tied["status"] == rules.REPORTED
    signs = pd.Series([1 if i % 2 else -1 for i in range(int(mask.sum()))], index=tied.index[mask])
    tied.loc[mask, ["cases", "rate", "previous_cases"]] = [10, 100.0, 10]
    tied.loc[mask, "change"] = signs * 5
    tied.loc[mask, "previous_cases"] = 10 - signs * 5
    tied.loc[mask, "change_pct"] = signs * 100.0
    yield Fixture("ties", york, tied)

    suppressed = base.copy()
    suppressed[list(empty)] = pd.NA
    suppressed["status"] = rules.SUPPRESSED
    yield Fixture("all suppressed", york, suppressed.astype(base.dtypes.to_dict()))

    england = geography.england()
    yield Fixture("a very long list (all England)", england,
                  rules.patch_week(cases, geography, england, week))  # fmt: skip

    nothing = base.copy()
    nothing[list(empty)] = pd.NA
    nothing["status"] = rules.NO_DATA
    yield Fixture("nothing to report", york, nothing.astype(base.dtypes.to_dict()))


# ---------------------------------------------------------------------------------------
# Static checks: syntax, unknown variables and filters, with file:line.

COMMON_VARIABLES = (
    "patch", "week_ending", "week_start", "previous_week_ending", "published", "is_latest_week",
)  # fmt: skip


def _static(
    env: jinja2.Environment, source: str, where: str, allowed: set[str], first_line: int = 1
) -> list[Problem]:
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError as error:
        return [
            Problem(
                f"{where}:{first_line + (error.lineno or 1) - 1}", f"syntax error: {error.message}"
            )
        ]
    problems = [
        Problem(f"{where}:{first_line + node.lineno - 1}", f"unknown filter '{node.name}'")
        for node in tree.find_all(nodes.Filter)
        if node.name not in env.filters
    ]
    if problems:  # finding variables compiles the template, which stops at a bad filter
        return problems
    unknown = meta.find_undeclared_variables(tree) - allowed - set(env.globals)
    for name in sorted(unknown):
        line = min(n.lineno for n in tree.find_all(nodes.Name) if n.name == name)
        problems.append(Problem(f"{where}:{first_line + line - 1}", f"unknown variable '{name}'"))
    return problems


def _toml_line(toml_text: str, snippet: str) -> int:
    at = toml_text.find(snippet)
    return toml_text.count("\n", 0, at) + 1 if at >= 0 else 1


def static_problems(
    renderer: Renderer, settings: dict[str, StorySettings], variables: dict[str, set[str]]
) -> list[Problem]:
    folder = renderer.templates_dir
    problems: list[Problem] = []
    common = set(COMMON_VARIABLES)
    for path in sorted(folder.rglob("*.j2")):
        relative = path.relative_to(folder).as_posix()
        story = path.stem if path.parent == folder else None
        if story is not None and story not in STORIES:
            problems.append(
                Problem(relative, f"no story is called {story!r}; stories: {', '.join(STORIES)}")
            )
            continue
        allowed = common
        if story:
            allowed = variables.get(story, common | {"areas", "top_area"}) | {"headline", "intro"}
        source = renderer.env.loader.get_source(renderer.env, relative)[0]  # type: ignore[union-attr]
        problems += _static(renderer.env, source, relative, allowed)
    toml_path = folder / "stories.toml"
    toml_text = toml_path.read_text(encoding="utf-8") if toml_path.exists() else ""
    for story, story_settings in settings.items():
        for slot in ("headlines", "intros"):
            for snippet in getattr(story_settings, slot):
                line = _toml_line(toml_text, snippet)
                allowed = variables.get(story, common | {"areas", "top_area"})
                problems += _static(renderer.env, snippet, "stories.toml", allowed, line)
    return problems


# ---------------------------------------------------------------------------------------
# Rendered checks: every story, every variant, every fixture; then read the copy.

COPY_RULES = [
    (re.compile(r"(?<![\d.,])\b(?:1|one|ONE) (areas|cases|neighbourhoods|councils)\b"),
     "a count of one with a plural noun"),
    (re.compile(r"(?<![\d.,])\b(?:[02-9]|\d{2,}|\d{1,3}(?:,\d{3})+|two|three|four|five|six|seven|eight|nine"
                r"|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE) (area|case|neighbourhood|council)\b"),
     "a count above one with a singular noun"),
    (re.compile(r"\b(?:These are|Here are) the (?:one|1) \b"), "a plural verb for one"),
    (re.compile(r"(?<![\d.,])\b0 (?:new )?cases?\b"),
     "a zero count: PHE never published 0 (suppressed areas had zero to two cases)"),
    (re.compile(r"\b(?:None|nan|NaN|<NA>|Undefined)\b|\{\{|\}\}|\{%|%\}"),
     "a missing value or template code in the copy"),
    (re.compile(r":\s*(?:\n\nSource:|\Z)"), "a sentence introduces a list, but the list is empty"),
    (re.compile(r"[^\S\n]{2,}|\s[,.;:](?!\d)"), "stray spacing or punctuation"),
]  # fmt: skip


def copy_problems(headline: str, text: str) -> list[str]:
    found = []
    for pattern, message in COPY_RULES:
        for copy in (headline, text):
            match = pattern.search(copy)
            if match:
                start = max(0, match.start() - 30)
                excerpt = copy[start : match.end() + 30].replace("\n", " ")
                found.append(f"{message}: ...{excerpt}...")
                break
    if len(headline) > 150:
        found.append(f"the headline is {len(headline)} characters; Slack headers hold 150")
    first_word = re.sub(r"[^A-Za-z]", "", text.split()[0]) if text.split() else ""
    if not first_word or not first_word.isupper():
        found.append(f"the intro's first word should be in capitals, got {first_word!r}")
    return found


def rendered_problems(
    renderer: Renderer,
    settings: dict[str, StorySettings],
    cases: CaseData,
    all_fixtures: list[Fixture],
) -> list[Problem]:
    problems: list[Problem] = []
    week = cases.weeks[-1]
    for fixture in all_fixtures:
        meta_vars = story_meta(fixture.patch, week, cases.release)
        for story, story_settings in settings.items():
            facts = story_facts(story, fixture.table, story_settings.params)
            where = f"{story} [{fixture.name}]"
            if fixture.name == "nothing to report":
                if facts is not None:
                    problems.append(Problem(where, "drafted a story from a week with no data"))
                continue
            if facts is None:
                continue
            context = template_context(story, meta_vars, facts)
            variants = max(len(story_settings.headlines), len(story_settings.intros))
            for index in range(variants):
                headlines = (story_settings.headlines[index % len(story_settings.headlines)],)
                intros = (story_settings.intros[index % len(story_settings.intros)],)
                label = f"{where}, variant {index + 1}" if variants > 1 else where
                try:
                    headline, text = renderer.render(story, context, headlines, intros, story)
                except PatchbotError as error:
                    problems.append(Problem(label, str(error)))
                    break
                problems += [Problem(label, message) for message in copy_problems(headline, text)]
    return problems


def story_variables(
    cases: CaseData, geography: Geography, settings: dict[str, StorySettings]
) -> dict[str, dict[str, Any]]:
    """Each story's template variables with an example value from the real bundled data."""
    week = cases.weeks[-1]
    patch = geography.resolve_patch(EXAMPLE_PATCH)
    table = rules.patch_week(cases, geography, patch, week)
    found = {}
    for story, story_settings in settings.items():
        facts = story_facts(story, table, story_settings.params)
        if facts is None:  # the example week has nothing: use the edge cases
            continue
        found[story] = template_context(story, story_meta(patch, week, cases.release), facts)
    return found


def check(templates_dir: Path) -> list[Problem]:
    """Every problem found in a templates folder; an empty list means all is well."""
    try:
        renderer = Renderer(templates_dir)
        settings = load_story_settings(templates_dir)
    except PatchbotError as error:
        where, _, message = str(error).partition(": ")
        return [Problem(where, message)]
    cases, geography = _bundled()
    examples = story_variables(cases, geography, settings)
    allowed = {story: set(context) for story, context in examples.items()}
    problems = static_problems(renderer, settings, allowed)
    if problems:  # rendering would only repeat them
        return problems
    return rendered_problems(renderer, settings, cases, list(fixtures(cases, geography)))


# ---------------------------------------------------------------------------------------
# Preview: a story as Slack will show it, and as plain text.


def slack_preview(draft: dict[str, Any], channel: str) -> str:
    """A text picture of the Block Kit messages ``bot.slack`` would post."""
    from bot.delivery.slack import build_messages

    main, thread = build_messages(draft)
    lines = [f"┌─ Slack, {channel} " + "─" * 40]
    for number, message in enumerate([main, *thread], start=1):
        if number > 1:
            lines.append(f"│  ↳ reply in thread (part {number})")
        for block in message["blocks"]:
            if block["type"] == "header":
                lines.append(f"│ ▌{block['text']['text']}")
            elif block["type"] == "section":
                lines += [f"│ {line}" for line in _unescape(block["text"]["text"]).split("\n")]
                lines.append("│")
            else:
                lines.append(f"│ ⓘ {_unescape(block['elements'][0]['text'])}")
    lines.append("│  ↳ reply in thread: the plain copy as a .txt file")
    lines.append("└" + "─" * 50)
    return "\n".join(lines)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# ---------------------------------------------------------------------------------------
# The editors' guide (story_templates/README.md), generated so it cannot drift from the code.

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
    "listed_above_threshold_count": "how many listed areas are above the threshold (marked *)",
    "area_count": "how many neighbourhoods the patch has",
    "suppressed_count": "how many areas had their count suppressed (zero to two cases)",
    "no_data_count": "how many areas had no figures in the data at all",
    "patch_average": "the patch's rate per 100,000: total cases / total population; suppressed "
    "areas count as zero",
    "patch_cases": "total cases in the patch (suppressed areas count as zero)",
    "patch_population": "the population of the areas with figures (ONS mid-2019)",
    "above_average_multiple": "stories.toml: areas above this multiple of the average are marked",
    "threshold": "the rate above which an area is marked: the average times the multiple",
    "above_threshold_count": "how many areas of the whole patch are above the threshold",
    "suppressed_counted_as": "what a suppressed area counts as in the average (0)",
    "top": "stories.toml: how many areas to list (more when tied with the last)",
    "min_previous_cases": "stories.toml: areas with fewer cases the week before are left out",
    "min_cases": "stories.toml: the round-up lists areas with at least this many cases",
    "listed_count": "how many areas the round-up lists",
    "listed_cases": "the total cases of the listed areas",
    "unlisted_reported_count": "areas with figures but below `min_cases`",
    "councils": "per council: `ltla_name`, `area_count` and `cases` of its listed areas",
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


def _kind(value: Any) -> str:
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


def editors_guide() -> str:
    from bot.rendering import DEFAULT_TEMPLATES_DIR

    settings = load_story_settings(DEFAULT_TEMPLATES_DIR)
    cases, geography = _bundled()
    examples = story_variables(cases, geography, settings)
    renderer = Renderer(DEFAULT_TEMPLATES_DIR)
    week = dt.date.fromisoformat(str(cases.weeks[-1]))
    guide = resources.files("bot").joinpath("data/editors_guide.md").read_text(encoding="utf-8")
    out = [guide.strip(), ""]
    out.append("## Variables, story by story\n")
    out.append(
        f"Examples are real: the bundled PHE data for the {EXAMPLE_PATCH} preset, week to "
        f"{week.isoformat()}. Nothing (a suppressed or unknown figure) shows as `None`; a "
        "template must check `area.suppressed` before printing a count.\n"
    )
    for story, context in examples.items():
        out.append(f"### {story}\n")
        out.append("| variable | type | example | what it is |\n|---|---|---|---|")
        for name in ["headline", "intro", *context]:
            value = "(see stories.toml)" if name in ("headline", "intro") else context[name]
            kind = "text" if name in ("headline", "intro") else _kind(value)
            out.append(f"| `{name}` | {kind} | {_example(value)} | {VARIABLE_HELP[name]} |")
        out.append("")
    out.append("### Each area in `areas` (and `top_area`)\n")
    out.append("| field | type | example | what it is |\n|---|---|---|---|")
    for name, value in examples["highest_rates"]["top_area"].items():
        out.append(f"| `area.{name}` | {_kind(value)} | {_example(value)} | {AREA_HELP[name]} |")
    out.append("\n## Filters\n")
    out.append("Write `{{ value|filter }}`. They live in `bot/housestyle.py`.\n")
    out.append("| filter | what it does | example | gives |\n|---|---|---|---|")
    for name, example in FILTER_EXAMPLES:
        doc = " ".join((renderer.env.filters[name].__doc__ or "").split()).split(": ")[0]
        result = renderer.env.from_string(example).render()
        code = example.replace("|", "\\|")  # a bare | would split the table's cell
        out.append(f"| `{name}` | {doc} | `{code}` | {result} |")
    return "\n".join(out) + "\n"
