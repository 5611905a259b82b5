"""Render story templates (``story_templates/*.j2``) into headline and copy.

Templates run in Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined``: a misspelt variable
is an error, never a silent blank, and a template cannot reach Python internals. The first line a
template renders is the headline; the rest is the story text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from bot.errors import PatchbotError
from bot.housestyle import FILTERS

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "story_templates"
_BLANK_LINES = re.compile(r"\n{3,}")


class Renderer:
    def __init__(self, templates_dir: Path = DEFAULT_TEMPLATES_DIR) -> None:
        if not templates_dir.is_dir():
            raise PatchbotError(f"PATCHBOT_TEMPLATES_DIR: no such folder: {templates_dir}")
        self.templates_dir = templates_dir
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(templates_dir),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text copy; Slack escaping happens at delivery
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,  # partials end in a newline, keeping paragraphs apart
        )
        self.env.filters.update(FILTERS)

    def render(self, story: str, context: dict[str, Any]) -> tuple[str, str]:
        """(headline, text) for ``story``; a broken template is a PatchbotError naming it."""
        name = f"{story}.j2"
        try:
            rendered = self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as error:
            raise PatchbotError(
                f"{error.filename or name}:{error.lineno}: template syntax error: {error.message}"
            ) from None
        except jinja2.TemplateNotFound as error:
            raise PatchbotError(f"{self.templates_dir}: no template {error.name}") from None
        except jinja2.TemplateError as error:
            raise PatchbotError(f"{name}: {error.message or type(error).__name__}") from None
        lines = [line.rstrip() for line in rendered.strip().splitlines()]
        if not lines or not lines[0]:
            raise PatchbotError(f"{name}: the first line (the headline) is empty")
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines[1:]).strip())
        return lines[0], text
