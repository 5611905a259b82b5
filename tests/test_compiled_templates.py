"""Templates are compiled once and kept (``bot.rendering.CompiledTemplates``): a later run reads
the compiled code back instead of compiling again, an edited template is compiled anew, the
kept code still stops at the render deadline, and a cache that cannot be used only means
compiling again."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import jinja2
import pytest

from bot.render_limits import RenderLimits
from bot.rendering import CompiledTemplates, Renderer
from tests.helpers import LIST_LOOPS, TOO_LONG, Run, with_line


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every template Jinja compiles from source from now on (a spy: each is
    still compiled)."""
    seen: list[str] = []
    original = jinja2.Environment.compile

    def compile_(self: jinja2.Environment, source: Any, name: str | None = None,
                 *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        seen.append(str(name))
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile_)
    return seen


def render_all(renderer: Renderer) -> str:
    """Load a story's template and render a headline: what each gives back."""
    template = renderer.env.get_template("weekly_roundup.j2")
    headline = renderer.snippet("{{ patch.name }}: {{ areas|length }} areas")
    return f"{template.name} {headline.render(patch={'name': 'York'}, areas=[1, 2])}"


def test_a_second_renderer_reads_the_compiled_templates_back(
    tmp_path: Path, compiles: list[str]
) -> None:
    first = render_all(Renderer(compiled=CompiledTemplates(tmp_path)))
    assert "weekly_roundup.j2" in compiles
    assert any(name.startswith("stories.toml:") for name in compiles)
    kept = list((tmp_path / "compiled").glob("*/*.jinja"))
    assert len(kept) >= 2
    compiles.clear()
    second = render_all(Renderer(compiled=CompiledTemplates(tmp_path)))
    assert compiles == []  # nothing compiled from source
    assert second == first
    assert second.endswith("York: 2 areas")


def test_an_edited_template_is_compiled_anew(run_cli: Run, templates: Path, tmp_path: Path) -> None:
    env = {"PATCHBOT_TEMPLATES_DIR": str(templates), "PATCHBOT_STATE_DIR": str(tmp_path / "s")}
    before = run_cli("draft", "--patch", "York", "--story", "largest_falls", env=env)
    assert before.exit_code == 0, before.stderr
    story = templates / "largest_falls.j2"
    story.write_text(story.read_text() + "\nA line the editor added this morning.\n")
    after = run_cli("draft", "--patch", "York", "--story", "largest_falls", env=env)
    assert "A line the editor added this morning." not in before.stdout
    assert "A line the editor added this morning." in after.stdout


def test_kept_code_still_stops_at_the_deadline(
    run_cli: Run, templates: Path, tmp_path: Path
) -> None:
    env = {
        "PATCHBOT_TEMPLATES_DIR": str(with_line(templates, LIST_LOOPS)),
        "PATCHBOT_STATE_DIR": str(tmp_path / "s"),
        "PATCHBOT_RENDER_SECONDS": "0.5",
    }
    for _ in range(2):  # compiled, then read back
        done = run_cli("draft", "--patch", "York", env=env)
        assert done.exit_code == 4, done.stderr
        assert f"largest_falls not drafted: {TOO_LONG}\n" in done.stderr
    assert list((tmp_path / "s" / "compiled").glob("*/*.jinja"))


def test_a_damaged_kept_file_is_compiled_again(tmp_path: Path, compiles: list[str]) -> None:
    first = render_all(Renderer(compiled=CompiledTemplates(tmp_path)))
    for kept in (tmp_path / "compiled").glob("*/*.jinja"):
        kept.write_bytes(kept.read_bytes()[:40])  # torn
    compiles.clear()
    assert render_all(Renderer(compiled=CompiledTemplates(tmp_path))) == first
    assert "weekly_roundup.j2" in compiles


def test_a_cache_that_cannot_be_written_only_means_compiling_again(tmp_path: Path) -> None:
    (tmp_path / "compiled").write_text("a file where the folder should be")
    renderer = Renderer(compiled=CompiledTemplates(tmp_path), limits=RenderLimits())
    assert render_all(renderer).endswith("York: 2 areas")


def test_compiled_code_is_kept_where_only_this_user_can_write(tmp_path: Path) -> None:
    render_all(Renderer(compiled=CompiledTemplates(tmp_path)))
    for folder in (tmp_path / "compiled", *(tmp_path / "compiled").iterdir()):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_kept_code_others_could_have_written_is_not_run(
    tmp_path: Path, compiles: list[str]
) -> None:
    first = render_all(Renderer(compiled=CompiledTemplates(tmp_path)))
    (folder,) = (tmp_path / "compiled").iterdir()
    folder.chmod(0o777)  # a careless state folder: anyone could have swapped the code
    compiles.clear()
    assert render_all(Renderer(compiled=CompiledTemplates(tmp_path))) == first
    assert "weekly_roundup.j2" in compiles  # compiled from source, not read back
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    compiles.clear()
    render_all(Renderer(compiled=CompiledTemplates(tmp_path)))
    assert compiles == []  # private again: kept from now on


def test_a_compiled_folder_owned_by_another_user_is_not_used(
    tmp_path: Path, compiles: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    first = render_all(Renderer(compiled=CompiledTemplates(tmp_path)))
    (folder,) = (tmp_path / "compiled").iterdir()
    try:
        os.chown(folder, os.getuid() + 4242, -1)
    except PermissionError:
        pytest.skip("giving a folder to another user needs root")
    compiles.clear()
    with caplog.at_level(logging.WARNING):
        assert render_all(Renderer(compiled=CompiledTemplates(tmp_path))) == first
    assert "weekly_roundup.j2" in compiles
    assert "step=compiled_templates_not_used" in caplog.text
    assert "owned by another user" in caplog.text
