"""One drafting run, end to end: fetch -> validate -> detect -> render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.datasource import fetch
from bot.geography import load_geography
from bot.rendering import Renderer
from bot.settings import Settings
from bot.stories import DraftSet, draft_stories, load_story_settings
from bot.validate import load_cases


def draft(
    settings: Settings,
    source: str | None = None,
    patch_spec: str | None = None,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
    today: dt.date | None = None,
) -> DraftSet:
    """Drafts for one patch and week; arguments left as None fall back to ``settings``."""
    geography = load_geography()
    patch = geography.resolve_patch(patch_spec or settings.patch)
    renderer = Renderer(settings.templates_dir)
    story_settings = load_story_settings(settings.templates_dir)
    raw = fetch(
        source or settings.source,
        lambda: geography.area_codes_for_api(patch),
        settings.http,
        settings.phe_api_url,
    )
    cases = load_cases(raw, geography, today or dt.date.today())
    return draft_stories(cases, geography, patch, renderer, story_settings, week_ending, only)
