"""``patchbot templates check``: the static checks, then the rendered ones."""

from __future__ import annotations

from pathlib import Path

from bot.editors.fixtures import bundled_data, edge_cases, story_variables, typical_week
from bot.editors.problem import Problem
from bot.editors.rendered import rendered_problems
from bot.editors.static import static_problems
from bot.errors import PatchbotError
from bot.rendering import Renderer
from bot.sources import SourceProfile, profiles
from bot.stories.settings import load_story_settings


def check(templates_dir: Path) -> list[Problem]:
    """Every problem found in a templates folder and in the folders inside it for other data
    (``ukhsa-deaths/``...), each rendered against its own data; an empty list means all is
    well."""
    profile = _profile_of_folder(templates_dir)
    problems = _check_folder(templates_dir, profile.sample, every_story=not profile.templates)
    if profile.templates:  # a data's own folder, checked on its own
        return problems
    for other in profiles():
        folder = templates_dir / other.templates
        if other.templates and (folder / "stories.toml").is_file():
            problems += [
                problem if problem.where.startswith(str(folder)) else
                Problem(f"{other.templates}/{problem.where}", problem.message)
                for problem in _check_folder(folder, other.sample, every_story=False)
            ]  # fmt: skip
    return problems


def _profile_of_folder(templates_dir: Path) -> SourceProfile:
    """The profile whose templates folder this is (PHE's unless it is named as another's)."""
    named = {profile.templates: profile for profile in profiles() if profile.templates}
    return named.get(templates_dir.name, SourceProfile())


def _check_folder(templates_dir: Path, sample: str, every_story: bool) -> list[Problem]:
    try:
        renderer = Renderer(templates_dir)
        settings = load_story_settings(templates_dir, every_story)
    except PatchbotError as error:
        where, _, message = str(error).partition(": ")
        return [Problem(where, message)]
    data = bundled_data(sample)
    typical = typical_week(data)
    edges = edge_cases(data)
    fallbacks = [fixture for fixture in edges if not fixture.expects_no_story]
    examples = story_variables(data, typical, settings, fallbacks)
    allowed = {story: set(context) for story, context in examples.items()}
    problems = static_problems(renderer, settings, allowed)
    if problems:  # rendering would only repeat them
        return problems
    return rendered_problems(renderer, settings, data, [typical, *edges])
