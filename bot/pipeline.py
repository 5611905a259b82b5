"""One drafting run, end to end: fetch -> validate -> detect -> render (-> deliver).

``draft`` is what ``patchbot draft`` runs; ``patchbot post`` adds ``deliver_drafts``; the service
(``bot.service``) runs the same steps one at a time, to look at a release before drafting it.
Every step takes the run's context (``bot.context``), built once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.cases import CaseData
from bot.context import RunContext
from bot.errors import PatchbotError
from bot.logs import step
from bot.rules import patch_week, patches_week
from bot.settings import Settings
from bot.sources import RawData
from bot.stories.drafting import DraftSet, choose_week, draft_patches

if TYPE_CHECKING:  # Slack's client is only imported when posting: drafting stays quick
    from bot.delivery import DeliveryReport
    from bot.desks import Desk
    from bot.state import Ledger


def fetch(ctx: RunContext) -> RawData:
    """The raw data covering the run's patch."""
    return ctx.source.fetch(ctx.patch, ctx.geography)


def validate(ctx: RunContext, raw: RawData, today: dt.date | None = None) -> CaseData:
    return ctx.source.parse(raw, ctx.geography, today or dt.date.today())


def draft_cases(
    ctx: RunContext,
    cases: CaseData,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
) -> DraftSet:
    """Drafts for the run's patch and one week (default: the latest) from validated cases."""
    week = choose_week(cases, week_ending)
    table = patch_week(cases, ctx.geography, ctx.patch, week)
    return draft_patches(table, [ctx.patch], week, cases, ctx.renderer, ctx.stories, only)[0]


def draft(
    ctx: RunContext,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
    today: dt.date | None = None,
) -> DraftSet:
    drafts = draft_cases(ctx, _read(ctx, today), week_ending, only)
    step("draft", patch=ctx.patch.name, week=drafts.week_ending, stories=len(drafts.drafts),
         skipped=len(drafts.skipped), failed=len(drafts.failed))  # fmt: skip
    return drafts


def _read(ctx: RunContext, today: dt.date | None) -> CaseData:
    """Fetch and validate, each step logged (``-v``) as the service logs its own."""
    step("fetch", source=ctx.source.name, patch=ctx.patch.name)
    raw = fetch(ctx)
    step("fetched", origin=raw.origin, bytes=len(raw.content), release=raw.release or "-")
    cases = validate(ctx, raw, today)
    step("validate", rows=cases.rows, newest_week=cases.weeks[-1], release=raw.release or "-")
    return cases


def draft_each_council(
    ctx: RunContext,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
    today: dt.date | None = None,
) -> list[DraftSet]:
    """Drafts for every council, each its own patch, every rule run once for all (the
    context's patch is all of England)."""
    sets = draft_each_council_cases(ctx, _read(ctx, today), week_ending, only)
    step("draft", patches=len(sets), stories=sum(len(drafts.drafts) for drafts in sets))
    return sets


def draft_each_council_cases(
    ctx: RunContext,
    cases: CaseData,
    week_ending: dt.date | None = None,
    only: Sequence[str] = (),
) -> list[DraftSet]:
    """``draft_each_council`` from validated cases (several weeks of one read)."""
    week = choose_week(cases, week_ending)
    patches = ctx.geography.each_council()
    table = patches_week(cases, ctx.geography, patches, week)
    return draft_patches(table, patches, week, cases, ctx.renderer, ctx.stories, only)


def require_slack_token(settings: Settings, command: str = "post") -> str:
    if not settings.slack_token:
        raise PatchbotError(
            f"SLACK_BOT_TOKEN: not set; `patchbot {command}` needs a Slack bot token (README, "
            "'Slack setup'). `patchbot draft` works without one."
        )
    return settings.slack_token


def deliver_drafts(
    desk: Desk,
    ctx: RunContext,
    drafts: DraftSet,
    ledger: Ledger,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Post a desk's drafts to Slack through the ledger (each story once; corrections for
    revised figures; failures kept for the next run; each problem told to the desk's ops
    channel once a day), as ``patchbot post`` and ``patchbot run`` do. ``stop`` is asked
    before each story: once it says yes, the rest stay pending."""
    from bot.delivery import Courier, OpsAlerts, Routing, deliver, target_for
    from bot.review.stories import ReviewedStories
    from bot.state import Journal

    settings = desk.settings
    require_slack_token(settings)
    target = target_for(settings)
    courier = Courier(
        ledger, target, settings.slack_retries, settings.slack_backoff, settings.slack_max_wait,
        reviews=ReviewedStories(target, settings.state_dir),
    )  # fmt: skip
    routing = Routing(
        lambda story: desk.story_channel(story, ctx.stories[story].channel)[1],
        desk.channels(ctx.stories),
    )
    with Journal(settings.state_dir, desk.name) as journal:
        alerts = OpsAlerts(target, settings.slack_ops_channel, journal)
        return deliver(drafts, ledger, courier, routing, alerts, stop=stop)
