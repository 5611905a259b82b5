"""Render story templates (``story_templates/*.j2``) into headline and copy.

Templates run in Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined``: a misspelt variable
is an error, never a silent blank, and a template cannot reach Python internals. The headline
and intro are chosen from the alternatives in ``stories.toml`` (deterministically per story,
week and patch) and handed to the template as ``headline`` and ``intro``; the template's first
line is the headline, the rest is the story text.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from bot import __version__
from bot.errors import PatchbotError
from bot.housestyle import FILTERS
from bot.logs import step
from bot.render_limits import (
    DEFAULT_LIMITS,
    GENERATOR_VERSION,
    BoundedSandbox,
    RenderLimits,
    render_bounded,
)
from bot.template_errors import describe_runtime, describe_syntax

# The templates Patchbot ships: story_templates/ in a clone, bot/story_templates when installed.
DEFAULT_TEMPLATES_DIR = Path(str(resources.files("bot.story_templates")))
# Two blank lines or more; written with its "\n\n\n" spelt out, which the regex engine finds
# with a quick scan (``\n{3,}`` tried a match at every character: 7x slower on the copy).
_BLANK_LINES = re.compile(r"\n\n\n+")
SNIPPET = "stories.toml:"  # the name a headline or intro is compiled under, before its hash


def variant_index(key: str, count: int) -> int:
    """A stable choice among ``count`` alternatives: the same draft always reads the same,
    and different patches (part of ``key``) spread over the alternatives."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % count


def template_line(error: BaseException) -> tuple[str, int] | None:
    """(template file, line) where a render error happened; Jinja puts template frames in
    the traceback."""
    found = None
    trace: TracebackType | None = error.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".toml")) or filename == "<template>":
            found = (filename, trace.tb_lineno)
        trace = trace.tb_next
    return found


def describe(
    error: jinja2.TemplateError, where: str, root: Path | None = None, names: Iterable[str] = ()
) -> str:
    """One line for an editor: the file (relative to the templates folder) and line, and what
    went wrong in plain words; ``names`` (the story's variables and fields) give "did you
    mean"."""

    def relative(filename: str) -> str:
        path = Path(filename)
        return path.relative_to(root).as_posix() if root and path.is_relative_to(root) else filename

    if isinstance(error, jinja2.TemplateSyntaxError):
        name = relative(error.filename) if error.filename else where
        line, message = describe_syntax(error, error.source or "")
        return f"{name}:{line}: {message}"
    located = template_line(error)
    if located and located[0] != "<template>":
        where = f"{relative(located[0])}:{located[1]}"
    return f"{where}: {describe_runtime(error.message or type(error).__name__, names)}"


def context_names(context: dict[str, Any]) -> set[str]:
    """Every variable of a story and every field of its groups and lists of groups."""
    names = set(context)
    for value in context.values():
        groups = value if isinstance(value, list) else [value]
        names.update(key for group in groups[:1] if isinstance(group, dict) for key in group)
    return names


def no_templates_folder(folder: Path) -> str:
    return (
        f"PATCHBOT_TEMPLATES_DIR: no such folder: {folder} (make it from Patchbot's own "
        f"templates: patchbot templates init {folder})"
    )


def in_nested_set(folder: Path, path: Path) -> bool:
    """Whether ``path`` (in ``folder``) belongs to a set of templates of its own inside it: a
    subfolder with its own stories.toml, for another source's data (``ukhsa-deaths/``)."""
    parents = path.relative_to(folder).parents
    return any((folder / parent / "stories.toml").is_file() for parent in parents if parent.parts)


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled once and kept (``PATCHBOT_STATE_DIR/compiled/``), so a run does not
    compile the same templates again: each is found by its name and checked against its
    source's checksum (Jinja's bytecode cache), in a folder of its own for each Patchbot
    version and code generator (the compiled deadline checks, ``bot.render_limits``). A
    folder that cannot be written, or a damaged file, only means compiling again.

    Compiled code is code Patchbot runs, so its folders are private (0700): one of ours that
    others could write to is made private and emptied (what is in it may not be ours), and one
    owned by another user is not used at all (every run compiles afresh, and says why).
    """

    def __init__(self, state_dir: Path) -> None:
        folder = state_dir / "compiled" / f"{__version__}-{GENERATOR_VERSION}"
        with contextlib.suppress(OSError):
            folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
        super().__init__(str(folder), "%s.jinja")
        opened = [_opened(path) for path in (folder.parent, folder)]
        self.usable = folder.is_dir() and None not in opened
        if self.usable and any(opened):
            self.clear()  # others could write here: what is kept may not be ours
        if folder.is_dir() and not self.usable:
            step("compiled_templates_not_used", level=logging.WARNING, folder=folder,
                 reason="owned by another user: compiling afresh each run")  # fmt: skip

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self.usable:
            return
        try:
            super().load_bytecode(bucket)
        except Exception:  # damaged or from elsewhere: whatever it is, compile again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self.usable:
            return
        with contextlib.suppress(OSError):  # read-only or full: compiled again next run
            super().dump_bytecode(bucket)


def _opened(folder: Path) -> bool | None:
    """Whether others could write to ``folder`` (it is private from now on); None when it is
    not this user's to use."""
    try:
        info = folder.stat()
        if info.st_uid != os.getuid():
            return None
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            folder.chmod(0o700)
            return True
    except OSError:
        return None
    return False


class Renderer:
    def __init__(
        self,
        templates_dir: Path = DEFAULT_TEMPLATES_DIR,
        overrides: dict[str, Path] | None = None,
        limits: RenderLimits = DEFAULT_LIMITS,
        compiled: CompiledTemplates | None = None,
    ) -> None:
        """``overrides`` maps a story to an edited template file to use instead (preview);
        ``limits`` bound each rendering's time and output (``bot.render_limits``);
        ``compiled`` keeps compiled templates for the next run."""
        if not templates_dir.is_dir():
            raise PatchbotError(no_templates_folder(templates_dir))
        self.templates_dir = templates_dir
        edited = {
            f"{story}.j2": path.read_text(encoding="utf-8")
            for story, path in (overrides or {}).items()
        }
        self.limits = limits
        self._snippets: dict[str, str] = {}  # headlines and intros by name
        self._compiled: dict[str, jinja2.Template] = {}  # and by their text
        self.env = BoundedSandbox(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.DictLoader(edited),
                    jinja2.DictLoader(self._snippets),  # the same dictionary, filled as needed
                    jinja2.FileSystemLoader(templates_dir),
                ]
            ),
            bytecode_cache=compiled,
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text copy; Slack escaping happens at delivery
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,  # partials end in a newline, keeping paragraphs apart
            auto_reload=False,  # templates are read once per run, not stat()ed per include
            # and kept in a plain dictionary: a run's templates are few, looked up at each of
            # its 4,800 includes, and Jinja's default (the 400 most recently used) locks and
            # reorders its list at every lookup
            cache_size=-1,
        )
        self.env.max_chars = limits.max_chars
        self.env.filters.update(FILTERS)  # each refuses a misspelt variable itself

    def sources(self) -> list[str]:
        """The text of every template of this folder (an edited override in place of its
        original), not of the folders inside it for other data."""
        return [
            self.env.loader.get_source(self.env, name)[0]  # type: ignore[union-attr]
            for name in self.env.list_templates(extensions=["j2"])
            if not in_nested_set(self.templates_dir, self.templates_dir / name)
        ]

    def snippet(self, source: str) -> jinja2.Template:
        """A headline or intro from stories.toml, compiled once (named by its text's hash, so
        the compiled code is kept for the next run as a template file's is)."""
        if source not in self._compiled:  # looked up for every story of every patch
            name = SNIPPET + hashlib.sha256(source.encode()).hexdigest()
            self._snippets[name] = source
            self._compiled[source] = self.env.get_template(name)
        return self._compiled[source]

    def intro(self, source: str, context: dict[str, Any]) -> str:
        """An intro from stories.toml, rendered within the limits."""
        return render_bounded(self.snippet(source), context, self.limits, "stories.toml intro")

    def _choose(
        self,
        story: str,
        slot: str,
        options: Sequence[str],
        key: str,
        scope: dict[str, Any],
        context: dict[str, Any],
    ) -> str:
        index = variant_index(f"{key}|{slot}", len(options))
        where = f"stories.toml [{story}] {slot}[{index + 1}]"
        template = self.snippet(options[index])
        try:
            rendered = render_bounded(template, scope, self.limits, where, shared=True)
        except jinja2.TemplateError as error:
            names = context_names(context)
            raise PatchbotError(describe(error, where, self.templates_dir, names)) from None
        return " ".join(rendered.split())  # a snippet may span lines in the TOML

    def render(
        self,
        story: str,
        context: dict[str, Any],
        headlines: Sequence[str],
        intros: Sequence[str],
        variant_key: str,
    ) -> tuple[str, str]:
        """(headline, text) for ``story``; a broken template is a PatchbotError naming the
        file and line."""
        name = f"{story}.j2"
        scope = {**self.env.globals, **context}  # shared by the three renderings, not copied
        full = {
            **scope,
            "headline": self._choose(story, "headlines", headlines, variant_key, scope, context),
            "intro": self._choose(story, "intros", intros, variant_key, scope, context),
        }
        if not full["headline"]:
            raise PatchbotError(f"stories.toml [{story}]: the headline came out empty this week")
        try:
            template = self.env.get_template(name)
            rendered = render_bounded(template, full, self.limits, name, shared=True)
        except jinja2.TemplateNotFound as error:
            raise PatchbotError(f"{self.templates_dir}: no template {error.name}") from None
        except jinja2.TemplateError as error:
            names = context_names({**context, "headline": "", "intro": ""})
            raise PatchbotError(describe(error, name, self.templates_dir, names)) from None
        lines = [line.rstrip() for line in rendered.strip().splitlines()]
        if not lines or not lines[0]:
            raise PatchbotError(f"{name}:1: the first line (the headline) is empty")
        if full["headline"] not in lines[0]:  # else the intro or a paragraph becomes the headline
            raise PatchbotError(
                f"{name}:1: the first line must be {{{{ headline }}}}, the headline chosen from "
                "stories.toml"
            )
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines[1:]).strip())
        return lines[0], text
