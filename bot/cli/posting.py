"""``patchbot post`` and ``patchbot history``: drafts posted once, and what was posted."""

from __future__ import annotations

import datetime as dt

import click

from bot.cli import cli
from bot.cli.drafting import say_drafted
from bot.cli.options import data_options, story_option


@cli.command()
@data_options
@story_option
@click.pass_context
def post(
    ctx: click.Context,
    source: str | None,
    patch: str | None,
    patch_name: str | None,
    week_ending: dt.date | None,
    stories: tuple[str, ...],
) -> None:
    """Draft the week's stories and post them to Slack, each once.

    Stories already posted are not posted again; a story whose figures PHE revised gets one
    correction in its thread; a story Slack could not take is kept and sent on the next run
    (exit status 3); a story whose template fails is not drafted, the others still go out
    (exit status 4).
    """
    from bot import pipeline
    from bot.context import RunContext
    from bot.settings import Settings
    from bot.state import Ledger, state_lock

    settings = Settings.load(ctx.obj["env_file"])
    pipeline.require_slack_token(settings)
    # bad settings stop us before fetching
    run = RunContext.build(settings, source, patch, patch_name=patch_name)
    drafts = pipeline.draft(run, week_ending, stories)
    say_drafted(drafts)
    # Two posting at once could post a story twice.
    with state_lock(settings.state_dir), Ledger(settings.state_dir) as ledger:
        report = pipeline.deliver_drafts(settings, run, drafts, ledger)
    click.echo(f"patchbot: Slack: {report.summary()}", err=True)
    for name in report.settings_changed:
        click.echo(
            f"patchbot: not re-posted: {name}: the figures differ only by story settings or "
            "templates (the same data release)",
            err=True,
        )
    for name, why in report.kept:
        click.echo(f"patchbot: kept for the next run: {name}: {why}", err=True)
    if drafts.failed:
        ctx.exit(4)
    if report.kept:
        ctx.exit(3)


@cli.command()
@click.option("--limit", default=50, show_default=True, help="How many posts to list.")
@click.pass_context
def history(ctx: click.Context, limit: int) -> None:
    """List what was posted to Slack, newest first."""
    from bot.settings import Settings
    from bot.state import Ledger, PostKind, PostStatus

    settings = Settings.load(ctx.obj["env_file"])
    with Ledger(settings.state_dir) as ledger:
        posts = ledger.history(limit)
    if not posts:
        click.echo(f"Nothing posted yet (ledger: {ledger.path}).")
        return
    rows = [("#", "posted (UTC)", "story", "week", "release", "status", "where")]
    for item in posts:
        status = "revised" if item.revised else item.status
        if item.kind == PostKind.CORRECTION:
            status = f"correction of #{item.corrects}" + (", revised" if item.revised else "")
        where = f"{item.channel} ts={item.ts}" if item.ts else item.channel
        if item.last_error and item.status != PostStatus.POSTED:
            where += f" (last error: {item.last_error})"
        rows.append(
            (f"#{item.id}", item.posted_at or "-", item.story, item.week_ending,
             item.release or "-", status, where)
        )  # fmt: skip
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
