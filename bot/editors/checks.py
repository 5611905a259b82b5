"""``patchbot templates check``: stories.toml, then the static checks, then the rendered ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.editors.fixtures import bundled_data, edge_cases, story_variables, typical_week
from bot.editors.problem import Problem
from bot.editors.rendered import rendered_problems
from bot.editors.static import static_problems
from bot.errors import PatchbotError
from bot.rendering import Renderer
from bot.stories import STORIES
from bot.stories.settings import read_stories


def check(templates_dir: Path) -> list[Problem]:
    """Every problem found in a templates folder; an empty list means all is well. A story
    whose stories.toml section is wrong is reported once, and its template still checked
    against the variables any story has."""
    try:
        renderer = Renderer(templates_dir)
        settings, strays = read_stories(templates_dir)
    except PatchbotError as error:
        where, _, message = str(error).partition(": ")
        return [Problem(where, message)]
    mistakes = [*strays, *(s.mistake for s in settings.values() if s.mistake is not None)]
    problems = [Problem(mistake.where, mistake.message) for mistake in mistakes]
    usable = {story: s for story, s in settings.items() if s.mistake is None}
    # A held story's template is still checked, against the variables its default numbers give.
    with_defaults = {
        story: s if s.mistake is None else replace(s, params=_default_params(story))
        for story, s in settings.items()
    }
    data = bundled_data()
    typical = typical_week(data)
    examples = story_variables(data, typical, with_defaults)
    static = static_problems(renderer, usable, examples)
    if static:  # rendering would only repeat them
        return problems + static
    return problems + rendered_problems(renderer, usable, data, [typical, *edge_cases(data)])


def _default_params(story: str) -> Any:
    params_type = STORIES[story].params_type
    return params_type() if params_type is not None else None
