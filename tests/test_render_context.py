"""The context a template renders in (``bot.render_limits``): made for every rendering and
include, it is Jinja's own but for the names of the template's globals, which only
``{% import %}`` reads and which are listed when it does."""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2.runtime import Context

from bot.rendering import Renderer


def _renderer(tmp_path: Path, files: dict[str, str]) -> Renderer:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Renderer(tmp_path)


def test_a_context_holds_what_jinjas_own_holds(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, {"story.j2": "{% block lead %}{{ n }}{% endblock %}"})
    template = renderer.env.get_template("story.j2", globals={"extra": 1})
    ours = template.new_context({"n": 2})
    jinjas = Context(renderer.env, ours.parent, ours.name, template.blocks, template.globals)
    assert type(ours) is not Context
    assert set(vars(jinjas)) <= {*vars(ours), "globals_keys"}
    for name, value in vars(jinjas).items():
        if name == "eval_ctx":
            assert vars(getattr(ours, name)) == vars(value)
        else:
            assert getattr(ours, name) == value, name
    assert ours.globals_keys == {*renderer.env.globals, "extra"}


def test_an_imported_template_sees_the_globals_of_the_one_importing_it(tmp_path: Path) -> None:
    renderer = _renderer(
        tmp_path,
        {
            "macros.j2": "{% macro signed() %}{{ desk }}{% endmacro %}",
            "story.j2": '{% import "macros.j2" as m %}{{ m.signed() }}',
        },
    )
    template = renderer.env.get_template("story.j2", globals={"desk": "North desk"})
    assert template.render() == "North desk"
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path))
    assert plain.get_template("story.j2", globals={"desk": "North desk"}).render() == "North desk"
