"""Rendered checks: every story, every variant, every fixture; then read the copy.

Rendering finds what parsing cannot (an attribute an area does not have, a filter given the
wrong value), and the copy lint (``bot.copylint``) finds what no error would: "1 areas",
"None", an empty list.
"""

from __future__ import annotations

import re
from typing import Any

from bot.copylint import CopyContext, lint
from bot.editors.fixtures import BundledData, Fixture
from bot.editors.problem import Problem
from bot.errors import PatchbotError
from bot.rendering import Renderer
from bot.stories.drafting import story_facts, story_meta, template_context
from bot.stories.settings import StorySettings


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
    problems: list[Problem] = []
    for fixture in all_fixtures:
        meta = story_meta(fixture.patch, data.week, data.cases.release)
        for story, story_settings in settings.items():
            facts = story_facts(story, fixture.table, story_settings.params)
            where = f"{story} [{fixture.name}]"
            if fixture.expects_no_story:
                if facts is not None:
                    problems.append(Problem(where, "drafted a story from a week with no data"))
            elif facts is not None:
                context = template_context(story, meta, facts)
                problems += variant_problems(renderer, story, story_settings, context, where)
    return problems


def variant_problems(
    renderer: Renderer,
    story: str,
    story_settings: StorySettings,
    context: dict[str, Any],
    where: str,
) -> list[Problem]:
    """Each headline/intro variant rendered in turn (one of each passed, so the renderer has
    no choice to make); a render error is reported once, not once per variant."""
    headlines, intros = story_settings.headlines, story_settings.intros
    variants = max(len(headlines), len(intros))
    problems: list[Problem] = []
    for index in range(variants):
        headline_only = (headlines[index % len(headlines)],)
        intro_only = (intros[index % len(intros)],)
        label = f"{where}, variant {index + 1}" if variants > 1 else where
        try:
            headline, text = renderer.render(story, context, headline_only, intro_only, story)
        except PatchbotError as error:
            problems.append(Problem(label, str(error)))
            break
        problems += [Problem(label, message) for message in copy_problems(headline, text, context)]
    return problems
