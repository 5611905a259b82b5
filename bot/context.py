"""The run context: what one run needs, assembled once from the settings by the CLI or the
service and passed down, so nothing below reads settings or loads a lookup a second time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.geography import Geography, Patch, load_geography
from bot.rendering import Renderer
from bot.settings import Settings, checked_patch_name
from bot.sources import Source, SourceOptions, open_source
from bot.stories.settings import StorySettings, load_story_settings


@dataclass(frozen=True)
class RunContext:
    source: Source
    geography: Geography  # the source's geography
    patch: Patch
    renderer: Renderer
    stories: dict[str, StorySettings]  # stories.toml, read once

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
        options = SourceOptions(http=settings.http, phe_api_url=settings.phe_api_url)
        opened = open_source(source or settings.source, options)
        geography = load_geography(opened.geography)
        if each_council:
            chosen = geography.england()
        else:
            name = checked_patch_name(patch_name, "--patch-name") or settings.patch_name
            chosen = geography.resolve_patch(settings.patch if patch is None else patch, name)
        renderer = Renderer(settings.templates_dir, template_overrides)
        return cls(opened, geography, chosen, renderer, load_story_settings(settings.templates_dir))
