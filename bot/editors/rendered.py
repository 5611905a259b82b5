"""Rendered checks: every story, every variant, every fixture; then read the copy.

Rendering finds what parsing cannot (an attribute an area does not have, a filter given the
wrong value), and the copy lint finds what no error would: "1 areas", "None", an empty list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot import factcheck
from bot.copylint import CopyContext, lint
from bot.editors.fixtures import BundledData, Fixture
from bot.editors.problem import Problem
from bot.errors import PatchbotError
from bot.rendering import Renderer
from bot.stories.drafting import Facts, story_facts, story_meta, template_context
from bot.stories.settings import StorySettings

SLACK_HEADER_LIMIT = 150


SOURCE_LINE = "Source:"
LICENCE = "Open Government Licence"
Found = tuple[tuple[str, str], Problem]  # (what makes it the same mistake, the problem)
FACT_CHECK = "fact check"  # reported only for a story with no other problem: it is the echo


def copy_problems(headline: str, text: str, context: dict[str, Any] | None = None) -> list[str]:
    """What reads wrong in a rendered story: the house-style lint (``bot.copylint``), and an
    intro that does not open in capitals."""
    found = lint(headline, text, CopyContext.of(context or {}))
    first_word = re.sub(r"[^A-Za-z]", "", text.split()[0]) if text.split() else ""
    if not first_word or not first_word.isupper():
        found.append(f"the intro's first word should be in capitals, got {first_word!r}")
    return found


def rendered_problems(
    renderer: Renderer,
    settings: dict[str, StorySettings],
    data: BundledData,
    all_fixtures: list[Fixture],
) -> list[Problem]:
    """Every story, every variant, every fixture; each mistake reported once, where it first
    shows (one misspelt field is one problem, not one per fixture)."""
    snippets = [text for s in settings.values() for text in (*s.headlines, *s.intros)]
    literals = factcheck.literal_numbers([*renderer.sources(), *snippets])
    found: dict[tuple[str, str], Problem] = {}
    for fixture in all_fixtures:
        meta = story_meta(fixture.patch, data.week, data.cases.release)
        for story, story_settings in settings.items():
            facts = story_facts(story, fixture.table, story_settings.params)
            where = f"{story} [{fixture.name}]"
            if fixture.expects_no_story:
                if facts is not None:
                    problem = Problem(where, "drafted a story from a week with no data")
                    found.setdefault((story, problem.message), problem)
            elif facts is not None:
                drafted = Drafted(story, story_settings, facts, fixture, literals)
                for key, problem in variant_problems(renderer, drafted, meta, where):
                    found.setdefault(key, problem)
    named = {story for story, what in found if what != FACT_CHECK}
    return [problem for (story, what), problem in found.items()
            if what != FACT_CHECK or story not in named]  # fmt: skip


@dataclass(frozen=True)
class Drafted:
    """One story's facts from one fixture, and what the fact check needs."""

    story: str
    settings: StorySettings
    facts: Facts
    fixture: Fixture
    literals: set[float]


def variant_problems(
    renderer: Renderer, drafted: Drafted, meta: dict[str, Any], where: str
) -> list[Found]:
    """Each headline/intro variant rendered in turn (one of each passed, so the renderer has
    no choice to make), its needs checked, its copy read."""
    story, headlines, intros = drafted.story, drafted.settings.headlines, drafted.settings.intros
    context = template_context(story, meta, drafted.facts)
    variants = max(len(headlines), len(intros))
    problems: list[Found] = []
    for index in range(variants):
        headline_only = (headlines[index % len(headlines)],)
        intro_only = (intros[index % len(intros)],)
        label = f"{where}, variant {index + 1}" if variants > 1 else where
        try:
            headline, text = renderer.render(story, context, headline_only, intro_only, story)
        except PatchbotError as error:
            at, _, message = str(error).partition(": ")
            problems.append(((at, message), Problem(at, f"{message}; seen drafting {label}")))
            continue
        intro = " ".join(renderer.intro(intro_only[0], context).split())
        # One mistake, one problem: a missing intro is not also "a lower-case first word",
        # nor an empty list also "areas missing from the copy".
        source = renderer.env.loader.get_source(renderer.env, f"{story}.j2")[0]  # type: ignore[union-attr]
        needs = story_needs(story, source, text, intro)
        linted = [] if needs else copy_problems(headline, text, context)
        held = []
        if drafted.fixture.fact_checked and not needs and not linted:
            held = _fact_check(drafted, meta, headline, text)
        problems += [((story, need.message), need) for need in needs]
        problems += [((story, m.split(":")[0]), Problem(label, m)) for m in linted]
        problems += [((story, FACT_CHECK), problem) for problem in held]
    return problems


def story_needs(story: str, source: str, text: str, intro: str) -> list[Problem]:
    """What every story must have besides its headline (which the renderer insists on): the
    intro, and the source line the data licences require; ``source`` is the template's own
    text, to say on which line the missing piece belongs."""
    template = f"{story}.j2"
    lines = source.splitlines()
    headline_at = next((n for n, line in enumerate(lines, 1) if "headline" in line), 1)
    problems = []
    if intro and not " ".join(text.split()).startswith(intro):
        problems.append(
            Problem(f"{template}:{headline_at + 1}", "{{ intro }} must come right after "
                    "{{ headline }}, as the first paragraph: it is missing or moved")
        )  # fmt: skip
    credits = [line for line in text.splitlines() if line.startswith(SOURCE_LINE)]
    if not credits:
        problems.append(
            Problem(f"{template}:{len(lines)}", "the source line is missing: the data's "
                    'licences require it; end the story with {% include "partials/source.j2" %}')
        )  # fmt: skip
    elif not any(LICENCE in line for line in credits):
        problems.append(
            Problem("partials/source.j2", f"the source line must credit the {LICENCE} (the "
                    "data's licence requires it)")
        )  # fmt: skip
    return problems


def _fact_check(drafted: Drafted, meta: dict[str, Any], headline: str, text: str) -> list[Problem]:
    """What ``draft`` would hold: a list story that does not list its areas, a number typed
    in that is not in the facts. One problem per story, however many areas it misses."""
    dates = (
        meta["week_ending"],
        meta["week_start"],
        meta["previous_week_ending"],
        meta["published"],
    )
    councils = drafted.fixture.patch.council_names
    found = factcheck.check(headline, text, drafted.facts, dates, drafted.literals, councils)
    if not found:
        return []
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return [
        Problem(f"{drafted.story}.j2", f"the fact check would hold this story: {found[0]}{more}")
    ]
