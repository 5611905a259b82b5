"""Static checks: syntax errors, unknown variables and unknown filters, each with file:line.

They read the templates and the headline/intro snippets of ``stories.toml`` without rendering
anything, so a mistake is reported where the editor made it.
"""

from __future__ import annotations

import jinja2
from jinja2 import meta, nodes

from bot.editors.problem import Problem
from bot.rendering import Renderer, in_nested_set
from bot.stories import STORIES
from bot.stories.settings import VARIANTS, StorySettings

# What every template, partials included, gets whatever the story (bot.stories.story_meta).
COMMON_VARIABLES = frozenset(
    ("patch", "week_ending", "week_start", "previous_week_ending", "published", "is_latest_week",
     "provisional_areas")
)  # fmt: skip
# What a story's snippets may use when the example week gave no variables to compare with.
ANY_STORY_VARIABLES = COMMON_VARIABLES | {"areas", "top_area"}


def source_problems(
    env: jinja2.Environment, source: str, where: str, allowed: set[str], first_line: int = 1
) -> list[Problem]:
    """What is wrong with one template's or snippet's source; ``first_line`` is where it
    starts in its file, so snippets in stories.toml are reported at their own line."""
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError as error:
        line = first_line + (error.lineno or 1) - 1
        return [Problem(f"{where}:{line}", f"syntax error: {error.message}")]
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


def static_problems(
    renderer: Renderer, settings: dict[str, StorySettings], variables: dict[str, set[str]]
) -> list[Problem]:
    """Every template file, then every snippet in stories.toml; ``variables`` holds each
    story's template variables."""
    return template_problems(renderer, variables) + snippet_problems(renderer, settings, variables)


def template_problems(renderer: Renderer, variables: dict[str, set[str]]) -> list[Problem]:
    folder = renderer.templates_dir
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*.j2")):
        if in_nested_set(folder, path):
            continue  # another data's templates: checked against that data
        relative = path.relative_to(folder).as_posix()
        story = path.stem if path.parent == folder else None  # partials are shared
        if story is not None and story not in STORIES:
            problems.append(
                Problem(relative, f"no story is called {story!r}; stories: {', '.join(STORIES)}")
            )
            continue
        allowed = set(COMMON_VARIABLES)
        if story:
            allowed = variables.get(story, set(ANY_STORY_VARIABLES)) | {"headline", "intro"}
        source = renderer.env.loader.get_source(renderer.env, relative)[0]  # type: ignore[union-attr]
        problems += source_problems(renderer.env, source, relative, allowed)
    return problems


def snippet_problems(
    renderer: Renderer, settings: dict[str, StorySettings], variables: dict[str, set[str]]
) -> list[Problem]:
    toml_path = renderer.templates_dir / "stories.toml"
    toml_text = toml_path.read_text(encoding="utf-8") if toml_path.exists() else ""
    problems: list[Problem] = []
    for story, story_settings in settings.items():
        allowed = variables.get(story, set(ANY_STORY_VARIABLES))
        for slot in VARIANTS:
            for snippet in getattr(story_settings, slot):
                line = _toml_line(toml_text, snippet)
                problems += source_problems(renderer.env, snippet, "stories.toml", allowed, line)
    return problems


def _toml_line(toml_text: str, snippet: str) -> int:
    """The line a snippet starts on in stories.toml (the TOML reader does not say)."""
    at = toml_text.find(snippet)
    return toml_text.count("\n", 0, at) + 1 if at >= 0 else 1
