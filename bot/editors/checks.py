"""``patchbot templates check``: the static checks, then the rendered ones."""

from __future__ import annotations

from pathlib import Path

from bot.editors.fixtures import bundled_data, edge_cases, story_variables, typical_week
from bot.editors.problem import Problem
from bot.editors.rendered import rendered_problems
from bot.editors.static import static_problems
from bot.errors import PatchbotError
from bot.rendering import Renderer
from bot.stories.settings import load_story_settings


def check(templates_dir: Path) -> list[Problem]:
    """Every problem found in a templates folder; an empty list means all is well."""
    try:
        renderer = Renderer(templates_dir)
        settings = load_story_settings(templates_dir)
    except PatchbotError as error:
        where, _, message = str(error).partition(": ")
        return [Problem(where, message)]
    data = bundled_data()
    typical = typical_week(data)
    examples = story_variables(data, typical, settings)
    allowed = {story: set(context) for story, context in examples.items()}
    problems = static_problems(renderer, settings, allowed)
    if problems:  # rendering would only repeat them
        return problems
    return rendered_problems(renderer, settings, data, [typical, *edge_cases(data)])
