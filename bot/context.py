"""The run context: what one run needs, assembled once from the settings by the CLI or the
service and passed down, so nothing below reads settings or loads a lookup a second time.

A run is for one desk (``bot.desks``): its patch, templates and source, and its name, which
the ledger and every idempotency key carry."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.geography import Geography, Patch, load_geography
from bot.rendering import Renderer
from bot.settings import Settings
from bot.sources import Source, SourceOptions, open_source
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
    ) -> RunContext:
        """``source`` and ``patch`` as given on the command line; None falls back to the
        settings. With ``each_council`` the patch is all of England."""
        options = SourceOptions(http=settings.http, phe_api_url=settings.phe_api_url)
        opened = open_source(source or settings.source, options)
        geography = load_geography(opened.geography)
        if each_council:
            chosen = geography.england()
        else:
            chosen = geography.resolve_patch(settings.patch if patch is None else patch)
        renderer = Renderer(settings.templates_dir, template_overrides)
        return cls(opened, geography, chosen, renderer, load_story_settings(settings.templates_dir))

    @classmethod
    def for_desk(
        cls,
        desk: Desk,
        source: str | None = None,
        patch: str | None = None,
        template_overrides: dict[str, Path] | None = None,
    ) -> RunContext:
        """A desk's run: its settings, and its patch under the short name it gives."""
        run = cls.build(desk.settings, source, patch, template_overrides)
        chosen = run.patch
        if desk.patch_name:
            chosen = dataclasses.replace(chosen, name=desk.patch_name, place=desk.patch_name)
        return dataclasses.replace(run, patch=chosen, desk=desk.name)
