"""``patchbot post`` and ``patchbot history``: drafts posted once, and what was posted."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING

import click

from bot.cli import cli
from bot.cli.drafting import say_drafted
from bot.cli.options import chosen_desks, data_options, desk_option, story_option
from bot.errors import PatchbotError
from bot.logs import step

if TYPE_CHECKING:
    from bot.context import RunContext
    from bot.delivery import DeliveryReport
    from bot.desks import Desk
    from bot.review.actions import Review
    from bot.state import Post
    from bot.stories import DraftSet


@cli.command()
@data_options
@story_option
@desk_option
@click.pass_context
def post(
    ctx: click.Context,
    source: str | None,
    patch: str | None,
    patch_name: str | None,
    week_ending: dt.date | None,
    stories: tuple[str, ...],
    desk_name: str | None,
) -> None:
    """Draft the week's stories and post them to Slack, each once (with a desks file, for
    every desk, or the one --desk names).

    Stories already posted are not posted again; a story whose figures PHE revised gets one
    correction in its thread; a story Slack could not take is kept and sent on the next run
    (exit status 3); a story whose template fails is not drafted, the others still go out
    (exit status 4).
    """
    from bot import pipeline
    from bot.context import RunContext
    from bot.settings import Settings
    from bot.state import state_lock

    settings = Settings.load(ctx.obj["env_file"])
    pipeline.require_slack_token(settings)
    desks = chosen_desks(settings, desk_name, patch)
    # Bad settings of any desk stop us before fetching anything.
    runs = [
        (desk, RunContext.for_desk(desk, source, patch, patch_name=patch_name)) for desk in desks
    ]
    failed = kept = False
    for desk, run in runs:
        drafts = pipeline.draft(run, week_ending, stories)
        say_drafted(drafts)
        # Two posting at once could post a story twice.
        with state_lock(settings.state_dir):
            report = _deliver(desk, run, drafts)
        step("post", desk=desk.name, posted=len(report.posted), corrected=len(report.corrected),
             unchanged=len(report.unchanged), kept=len(report.kept))  # fmt: skip
        who = f"{desk.name}: " if desk.explicit else ""
        click.echo(f"patchbot: {who}Slack: {report.summary()}", err=True)
        for name in report.settings_changed:
            click.echo(
                f"patchbot: not re-posted: {name}: the figures differ only by story settings "
                "or templates (the same data release)",
                err=True,
            )
        for name, why in report.kept:
            click.echo(f"patchbot: kept for the next run: {name}: {why}", err=True)
        failed, kept = failed or bool(drafts.failed), kept or bool(report.kept)
    if failed:
        ctx.exit(4)
    if kept:
        ctx.exit(3)


def _deliver(desk: Desk, run: RunContext, drafts: DraftSet) -> DeliveryReport:
    """Post one desk's drafts; an error that stops it is kept for ``patchbot status``."""
    from bot import pipeline
    from bot.state import Ledger

    state = desk.settings.state_dir
    try:
        with Ledger(state, desk.name) as ledger:
            report = pipeline.deliver_drafts(desk, run, drafts, ledger)
    except PatchbotError as error:
        _remember_error(desk, f"post: {error}")
        raise
    if report.kept:
        name, why = report.kept[0]
        _remember_error(desk, f"post: {len(report.kept)} kept for the next run ({name}: {why})")
    return report


def _remember_error(desk: Desk, error: str) -> None:
    from bot.state import EventKind, Journal

    with contextlib.suppress(PatchbotError), Journal(desk.settings.state_dir, desk.name) as journal:
        journal.log_event(EventKind.ERROR, error)


@cli.command()
@click.option("--limit", default=50, show_default=True, help="How many posts to list.")
@desk_option
@click.pass_context
def history(ctx: click.Context, limit: int, desk_name: str | None) -> None:
    """List what was posted to Slack, newest first (with a desks file, desk by desk), with
    each story's review in Slack: posted, claimed, approved, held, edited or corrected, by
    whom (a Slack user ID) and when (UK time)."""
    from bot.settings import Settings
    from bot.state import Ledger
    from bot.state.reviews import Reviews

    settings = Settings.load(ctx.obj["env_file"])
    for desk in chosen_desks(settings, desk_name, None):
        with Ledger(settings.state_dir, desk.name) as ledger:
            posts = ledger.history(limit)
        with Reviews(settings.state_dir) as reviews:
            states = reviews.latest(post.corrects or post.id for post in posts)
        if desk.explicit:
            click.echo(f"== desk {desk.name} ==")
        if not posts:
            click.echo(f"Nothing posted yet (ledger: {ledger.path}).")
            continue
        _history_table(posts, {post_id: _review_cell(r) for post_id, r in states.items()})


def _review_cell(review: Review) -> str:
    from bot.review.actions import clock

    who = f" by {review.holder}" if review.holder else ""
    return f"{review.state}{who} {clock(review.at)}"


def _history_table(posts: list[Post], reviews: dict[int, str]) -> None:
    from bot.state import PostKind, PostStatus

    rows = [("#", "posted (UTC)", "story", "week", "release", "status", "review", "where")]
    for item in posts:
        status = "revised" if item.revised else item.status
        if item.kind == PostKind.CORRECTION:
            status = f"correction of #{item.corrects}" + (", revised" if item.revised else "")
        where = f"{item.channel} ts={item.ts}" if item.ts else item.channel
        unreviewed = "posted" if item.status == PostStatus.POSTED else "-"
        if item.last_error and item.status != PostStatus.POSTED:
            where += f" (last error: {item.last_error})"
        rows.append(
            (f"#{item.id}", item.posted_at or "-", item.story, item.week_ending,
             item.release or "-", status, reviews.get(item.corrects or item.id, unreviewed), where)
        )  # fmt: skip
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
