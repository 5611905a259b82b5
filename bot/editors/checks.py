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
from bot.render_limits import DEFAULT_LIMITS, RenderLimits
from bot.rendering import Renderer
from bot.sources import SourceProfile, profiles
from bot.stories import STORIES
from bot.stories.settings import read_stories


def check(templates_dir: Path, limits: RenderLimits = DEFAULT_LIMITS) -> list[Problem]:
    """Every problem found in a templates folder and in the folders inside it for other data
    (``ukhsa-deaths/``...), each rendered against its own data (within ``limits``); an empty
    list means all is well."""
    profile = _profile_of_folder(templates_dir)
    every_story = not profile.templates
    problems = _check_folder(templates_dir, profile.sample, every_story, limits)
    if profile.templates:  # a data's own folder, checked on its own
        return problems
    for other in profiles():
        folder = templates_dir / other.templates
        if other.templates and (folder / "stories.toml").is_file():
            problems += [
                problem if problem.where.startswith(str(folder)) else
                Problem(f"{other.templates}/{problem.where}", problem.message)
                for problem in _check_folder(folder, other.sample, False, limits)
            ]  # fmt: skip
    return problems


def _profile_of_folder(templates_dir: Path) -> SourceProfile:
    """The profile whose templates folder this is (PHE's unless it is named as another's)."""
    named = {profile.templates: profile for profile in profiles() if profile.templates}
    return named.get(templates_dir.name, SourceProfile())


def _check_folder(
    templates_dir: Path, sample: str, every_story: bool, limits: RenderLimits
) -> list[Problem]:
    """One folder's problems: its stories.toml (a story whose section is wrong is reported
    once, and its template still checked), then the static checks, then the rendered ones."""
    try:
        renderer = Renderer(templates_dir, limits=limits)
        settings, strays = read_stories(templates_dir, every_story)
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
    data = bundled_data(sample)
    typical = typical_week(data)
    edges = edge_cases(data)
    fallbacks = [fixture for fixture in edges if not fixture.expects_no_story]
    examples = story_variables(data, typical, with_defaults, fallbacks)
    static = static_problems(renderer, usable, examples)
    if static:  # rendering would only repeat them
        return problems + static
    return problems + rendered_problems(renderer, usable, data, [typical, *edges])


def _default_params(story: str) -> Any:
    params_type = STORIES[story].params_type
    return params_type() if params_type is not None else None
