"""The run context: what one run needs, assembled once from the settings by the CLI or the
service and passed down, so nothing below reads settings or loads a lookup a second time.

A run is for one desk (``bot.desks``): its patch, templates and source, and its name, which
the ledger and every idempotency key carry."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import PatchbotError
from bot.geography import Geography, Patch, load_geography
from bot.rendering import CompiledTemplates, Renderer
from bot.settings import Settings, checked_patch_name
from bot.sources import Source, SourceOptions, open_source, profile_of
from bot.state import DEFAULT_DESK
from bot.stories.settings import StorySettings, load_story_settings

if TYPE_CHECKING:
    from bot.desks import Desk


@dataclass(frozen=True)
class RunContext:
    source: Source
    geography: Geography  # the source's geography
    patch: Patch
    renderer: Renderer
    stories: dict[str, StorySettings]  # stories.toml, read once
    desk: str = DEFAULT_DESK

    @classmethod
    def build(
        cls,
        settings: Settings,
        source: str | None = None,
        patch: str | None = None,
        template_overrides: dict[str, Path] | None = None,
        each_council: bool = False,
        patch_name: str | None = None,
    ) -> RunContext:
        """``source``, ``patch`` and the patch's short name as given on the command line; None
        falls back to the settings. With ``each_council`` the patch is all of England."""
        options = SourceOptions(
            settings.http, settings.phe_api_url, settings.ukhsa, settings.state_dir / "checked"
        )
        opened = open_source(source or settings.source, options)
        geography = load_geography(opened.geography)
        if each_council:
            chosen = geography.england()
        else:
            name = checked_patch_name(patch_name, "--patch-name") or settings.patch_name
            chosen = geography.resolve_patch(settings.patch if patch is None else patch, name)
        templates = templates_for(opened, settings.templates_dir)
        compiled = CompiledTemplates(settings.state_dir)
        renderer = Renderer(templates, template_overrides, settings.render, compiled)
        stories = load_story_settings(templates, every_story=templates == settings.templates_dir)
        return cls(opened, geography, chosen, renderer, stories)

    @classmethod
    def for_desk(
        cls,
        desk: Desk,
        source: str | None = None,
        patch: str | None = None,
        template_overrides: dict[str, Path] | None = None,
        patch_name: str | None = None,
    ) -> RunContext:
        """A desk's run: its settings, and its patch under the short name it gives (or
        ``patch_name``, as given on the command line)."""
        name = patch_name or desk.patch_name
        run = cls.build(desk.settings, source, patch, template_overrides, patch_name=name)
        return dataclasses.replace(run, desk=desk.name)


def templates_for(source: Source, templates_dir: Path) -> Path:
    """The folder of templates for the source's kind of data: PATCHBOT_TEMPLATES_DIR itself, or
    the subfolder the source's profile names (UKHSA's deaths: ``ukhsa-deaths/``)."""
    subfolder = profile_of(source).templates
    if not subfolder:
        return templates_dir
    folder = templates_dir / subfolder
    if templates_dir.is_dir() and not folder.is_dir():
        raise PatchbotError(
            f"PATCHBOT_TEMPLATES_DIR: {templates_dir} has no {subfolder}/ folder, the stories "
            f"for --source {source.name} (copy it from Patchbot's story_templates/)"
        )
    return folder
