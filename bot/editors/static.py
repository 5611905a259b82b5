"""Static checks: syntax errors, unknown variables and unknown filters, each with file:line.

They read the templates and the headline/intro snippets of ``stories.toml`` without rendering
anything, so a mistake is reported where the editor made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import meta, nodes

from bot.editors.problem import Problem
from bot.housestyle import FILTERS
from bot.rendering import Renderer, in_nested_set
from bot.stories import STORIES
from bot.stories.settings import VARIANTS, StorySettings
from bot.template_errors import closest, describe_syntax, did_you_mean

# What every template, partials included, gets whatever the story (bot.stories.story_meta).
COMMON_VARIABLES = frozenset(
    ("patch", "week_ending", "week_start", "previous_week_ending", "published", "is_latest_week",
     "provisional_areas")
)  # fmt: skip
# What a story's snippets may use when the example week gave no variables to compare with.
ANY_STORY_VARIABLES = COMMON_VARIABLES | {"areas", "top_area"}
# Fields editors reach for by another name: area.council is area.ltla_name.
FIELD_SYNONYMS = {
    "council": "ltla_name", "council_name": "ltla_name", "name": "area_name",
    "neighbourhood": "area_name", "code": "area_code", "msoa": "area_code",
}  # fmt: skip
GUIDE = "story_templates/README.md lists each story's variables"


@dataclass(frozen=True)
class Variables:
    """What a template may use: its variables' names, the fields of each group (``patch``,
    ``top_area``) and of the items of each list (``areas``, ``leaders``)."""

    names: frozenset[str]
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    lists: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, examples: Mapping[str, Any], extra: frozenset[str] = frozenset()) -> Variables:
        """From example values (a story's template context)."""
        groups = {k: frozenset(v) for k, v in examples.items() if isinstance(v, dict)}
        lists = {
            name: frozenset(key for item in value for key in item)
            for name, value in examples.items()
            if isinstance(value, list) and value and all(isinstance(i, dict) for i in value)
        }
        return cls(frozenset(examples) | extra, groups, lists)


def source_problems(
    env: jinja2.Environment, source: str, where: str, allowed: Variables, first_line: int = 1
) -> list[Problem]:
    """What is wrong with one template's or snippet's source; ``first_line`` is where it
    starts in its file, so snippets in stories.toml are reported at their own line."""
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError as error:
        line, message = describe_syntax(error, source)
        return [Problem(f"{where}:{first_line + line - 1}", f"syntax error: {message}")]
    problems = [
        Problem(
            f"{where}:{first_line + node.lineno - 1}",
            f"unknown filter '{node.name}'{did_you_mean(node.name, [*FILTERS, *env.filters])}",
        )
        for node in tree.find_all(nodes.Filter)
        if node.name not in env.filters
    ]
    if problems:  # finding variables compiles the template, which stops at a bad filter
        return problems
    unknown = meta.find_undeclared_variables(tree) - allowed.names - set(env.globals)
    for name in sorted(unknown):
        line = min(n.lineno for n in tree.find_all(nodes.Name) if n.name == name)
        hint = did_you_mean(name, allowed.names) or f" ({GUIDE})"
        problems.append(
            Problem(f"{where}:{first_line + line - 1}", f"unknown variable '{name}'{hint}")
        )
    return problems + field_problems(tree, allowed, where, first_line)


def field_problems(
    tree: nodes.Template, allowed: Variables, where: str, first_line: int
) -> list[Problem]:
    """``patch.plcae`` or ``area.council``: a field the group (or the list's items) lacks."""
    looped = _loop_variables(tree, allowed)
    assigned = {n.name for node in tree.find_all(nodes.Assign) for n in node.find_all(nodes.Name)}
    problems: dict[tuple[int, str], Problem] = {}
    for node in tree.find_all(nodes.Getattr):
        owner, fields = _owner(node.node, allowed, looped, assigned)
        if fields is None or node.attr in fields or hasattr(dict, node.attr):
            continue
        meant = closest(node.attr, fields) or FIELD_SYNONYMS.get(node.attr)
        hint = (
            f" (did you mean {owner}.{meant}?)"
            if meant in fields
            else f"; {owner} has {', '.join(sorted(fields))}"
        )
        line = first_line + node.lineno - 1
        problems[(line, node.attr)] = Problem(
            f"{where}:{line}", f"unknown field '{node.attr}' in {owner}.{node.attr}{hint}"
        )
    return list(problems.values())


def _loop_variables(tree: nodes.Template, allowed: Variables) -> dict[str, frozenset[str] | None]:
    """Each {% for x in areas %} variable with the fields of the list's items (None when the
    loop runs over something else, or the same name over different things)."""
    looped: dict[str, frozenset[str] | None] = {}
    for loop in tree.find_all(nodes.For):
        if not isinstance(loop.target, nodes.Name):
            continue
        iterated = loop.iter
        fields = allowed.lists.get(iterated.name) if isinstance(iterated, nodes.Name) else None
        name = loop.target.name
        looped[name] = fields if looped.get(name, fields) == fields else None
    return looped


def _owner(
    node: nodes.Node,
    allowed: Variables,
    looped: Mapping[str, frozenset[str] | None],
    assigned: set[str],
) -> tuple[str, frozenset[str] | None]:
    """How the copy names what a field is read from, and the fields it has (None: unknown)."""
    if isinstance(node, nodes.Name) and node.name not in assigned:
        if node.name in looped:
            return node.name, looped[node.name]
        return node.name, allowed.groups.get(node.name)
    if isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name):
        return f"{node.node.name}[...]", allowed.lists.get(node.node.name)
    return "", None


def static_problems(
    renderer: Renderer, settings: dict[str, StorySettings], examples: dict[str, dict[str, Any]]
) -> list[Problem]:
    """Every template file, then every snippet in stories.toml; ``examples`` holds each
    story's template variables with example values (a story with nothing to say in the
    example week has none: it may use what any story has)."""
    shared = next(iter(examples.values()), {})
    common = Variables.of({k: v for k, v in shared.items() if k in COMMON_VARIABLES})
    anything = Variables(ANY_STORY_VARIABLES, common.groups)
    variables = {story: Variables.of(context) for story, context in examples.items()}
    templates = template_problems(renderer, variables, common, anything)
    return templates + snippet_problems(renderer, settings, variables, anything)


def template_problems(
    renderer: Renderer, variables: dict[str, Variables], common: Variables, anything: Variables
) -> list[Problem]:
    folder = renderer.templates_dir
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*.j2")):
        if in_nested_set(folder, path):
            continue  # another data's templates: checked against that data
        relative = path.relative_to(folder).as_posix()
        story = path.stem if path.parent == folder else None  # partials are shared
        if story is not None and story not in STORIES:
            meant = did_you_mean(story, STORIES, "{}.j2")
            problems.append(
                Problem(relative, f"no story is called {story!r}{meant}; stories: "
                        f"{', '.join(STORIES)}")
            )  # fmt: skip
            continue
        allowed = common
        if story:
            own = variables.get(story, anything)
            allowed = Variables(own.names | {"headline", "intro"}, own.groups, own.lists)
        source = renderer.env.loader.get_source(renderer.env, relative)[0]  # type: ignore[union-attr]
        problems += source_problems(renderer.env, source, relative, allowed)
    return problems


def snippet_problems(
    renderer: Renderer,
    settings: dict[str, StorySettings],
    variables: dict[str, Variables],
    anything: Variables,
) -> list[Problem]:
    toml_path = renderer.templates_dir / "stories.toml"
    toml_text = toml_path.read_text(encoding="utf-8") if toml_path.exists() else ""
    problems: list[Problem] = []
    for story, story_settings in settings.items():
        allowed = variables.get(story, anything)
        for slot in VARIANTS:
            for snippet in getattr(story_settings, slot):
                line = _toml_line(toml_text, snippet)
                problems += source_problems(renderer.env, snippet, "stories.toml", allowed, line)
    return problems


def _toml_line(toml_text: str, snippet: str) -> int:
    """The line a snippet starts on in stories.toml (the TOML reader does not say)."""
    at = toml_text.find(snippet)
    return toml_text.count("\n", 0, at) + 1 if at >= 0 else 1
