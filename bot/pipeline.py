"""One drafting run, end to end: fetch -> validate -> detect -> render (-> deliver).

``draft`` is what ``patchbot draft`` runs; ``patchbot post`` adds ``deliver_drafts``; the service
(``bot.service``) runs the same steps one at a time, to look at a release before drafting it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.datasource import RawData, fetch
from bot.errors import PatchbotError
from bot.geography import load_geography
from bot.rendering import Renderer
from bot.rules import patches_week
from bot.settings import Settings
from bot.stories import (
    DraftSet,
    choose_week,
    draft_patches,
    draft_stories,
    load_story_settings,
)
from bot.validate import CaseData, load_cases

if TYPE_CHECKING:  # Slack's client is only imported when posting: drafting stays quick
    from bot.delivery import DeliveryReport
    from bot.state import Ledger


def fetch_source(
    settings: Settings, source: str | None = None, patch_spec: str | None = None
) -> RawData:
    """The raw data for the patch (for ``phe-api``, one request per area covering it)."""
    geography = load_geography()
    patch = geography.resolve_patch(settings.patch if patch_spec is None else patch_spec)
    return fetch(
        source or settings.source,
        lambda: geography.area_codes_for_api(patch),
        settings.http,
        settings.phe_api_url,
    )


def draft_cases(
    settings: Settings,
    cases: CaseData,
    patch_spec: str | None = None,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
    template_overrides: dict[str, Path] | None = None,
) -> DraftSet:
    """Drafts for one patch and week from validated cases."""
    geography = load_geography()
    patch = geography.resolve_patch(settings.patch if patch_spec is None else patch_spec)
    renderer = Renderer(settings.templates_dir, template_overrides)
    story_settings = load_story_settings(settings.templates_dir)
    return draft_stories(cases, geography, patch, renderer, story_settings, week_ending, only)


def draft(
    settings: Settings,
    source: str | None = None,
    patch_spec: str | None = None,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
    today: dt.date | None = None,
    template_overrides: dict[str, Path] | None = None,
) -> DraftSet:
    """Drafts for one patch and week; arguments left as None fall back to ``settings``."""
    raw = fetch_source(settings, source, patch_spec)
    cases = load_cases(raw, load_geography(), today or dt.date.today())
    return draft_cases(settings, cases, patch_spec, week_ending, only, template_overrides)


def draft_each_council(
    settings: Settings,
    source: str | None = None,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
    today: dt.date | None = None,
) -> list[DraftSet]:
    """Drafts for every council in England, each its own patch, every rule run once for all."""
    geography = load_geography()
    patches = geography.each_council()
    raw = fetch(
        source or settings.source,
        lambda: geography.area_codes_for_api(geography.england()),
        settings.http,
        settings.phe_api_url,
    )
    cases = load_cases(raw, geography, today or dt.date.today())
    week = choose_week(cases, week_ending)
    table = patches_week(cases, geography, patches, week)
    renderer = Renderer(settings.templates_dir)
    story_settings = load_story_settings(settings.templates_dir)
    return draft_patches(table, patches, week, cases, renderer, story_settings, only)


def require_slack_token(settings: Settings, command: str = "post") -> str:
    if not settings.slack_token:
        raise PatchbotError(
            f"SLACK_BOT_TOKEN: not set; `patchbot {command}` needs a Slack bot token (README, "
            "'Slack setup'). `patchbot draft` works without one."
        )
    return settings.slack_token


def deliver_drafts(
    settings: Settings,
    drafts: DraftSet,
    ledger: Ledger,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Post the drafts to Slack through the ledger (each story once; corrections for revised
    figures; failures kept for the next run), as ``patchbot post`` and ``patchbot run`` do.
    ``stop`` is asked before each story: once it says yes, the rest stay pending."""
    from bot.delivery import Courier, deliver, target_for

    require_slack_token(settings)
    story_settings = load_story_settings(settings.templates_dir)
    courier = Courier(ledger, target_for(settings), settings.slack_retries, settings.slack_backoff)
    return deliver(
        drafts,
        ledger,
        courier,
        lambda story: settings.channel_for(story, story_settings[story].channel),
        settings.slack_ops_channel,
        stop=stop,
    )
