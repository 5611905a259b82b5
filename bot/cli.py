"""The ``patchbot`` command line.

Heavy libraries (pandas, requests, Jinja2) are imported inside the commands, so that
``patchbot --help`` answers at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.errors import PatchbotError
from bot.logs import redact

if TYPE_CHECKING:
    from bot.stories import DraftSet

log = logging.getLogger("bot")


class StoryName(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5 on
    """A registered story's name, checked against the registry when the command runs (so a
    story registered by a plug-in is known, and ``--help`` needs no heavy imports)."""

    name = "story"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "STORY"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from bot.stories import STORIES

        if value not in STORIES:
            self.fail(f"{value!r} is not a story; stories: {', '.join(STORIES)}", param, ctx)
        return str(value)


class PatchbotGroup(click.Group):
    """Turns a PatchbotError into one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PatchbotError as error:
            click.echo(f"patchbot: error: {redact(str(error))}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:  # a bug: say so plainly; --debug shows the traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"patchbot: internal error: {type(error).__name__}: {redact(str(error))} "
                "(run with --debug for details)",
                err=True,
            )
            ctx.exit(70)


def _week(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from None


@click.group(cls=PatchbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file to read instead of ./.env.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.version_option(package_name="patchbot")
@click.pass_context
def cli(ctx: click.Context, env_file: Path | None, verbose: bool, debug: bool) -> None:
    """Patchbot drafts local Covid-19 neighbourhood stories from Public Health England data."""
    from bot.logs import configure

    configure(verbose)
    ctx.obj = {"env_file": env_file, "debug": debug}


def data_options(command: Callable[..., None]) -> Callable[..., None]:
    """Which data, patch and week: shared by ``draft``, ``post`` and ``preview``."""
    options = [
        click.option(
            "--source",
            help="bundled (default), phe-api, an http(s) URL, or a .csv/.csv.gz file. "
            "[env: PATCHBOT_SOURCE]",
        ),
        click.option(
            "--patch",
            help="Councils (names or codes, comma-separated) or a preset; default: "
            "north-east-and-north-yorkshire. [env: PATCHBOT_PATCH]",
        ),
        click.option(
            "--week-ending", callback=_week, metavar="YYYY-MM-DD", help="Default: the latest week."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


story_option = click.option(
    "--story",
    "stories",
    multiple=True,
    type=StoryName(),
    help="Only this story (repeatable). Default: every story enabled in stories.toml.",
)


@cli.command()
@data_options
@story_option
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True,
)  # fmt: skip
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write one file per story into this folder.",
)
@click.option(
    "--pictures/--no-pictures",
    default=True,
    show_default=True,
    help="With --out, also draw each story's chart and the patch map as PNGs.",
)
@click.option(
    "--each-council",
    is_flag=True,
    help="Draft for every council in England, each its own patch (instead of --patch).",
)
@click.pass_context
def draft(
    ctx: click.Context,
    source: str | None,
    patch: str | None,
    week_ending: dt.date | None,
    stories: tuple[str, ...],
    output_format: str,
    out: Path | None,
    pictures: bool,
    each_council: bool,
) -> None:
    """Draft the week's stories and print them (never posts to Slack)."""
    from bot import geography, pipeline
    from bot.context import RunContext
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"])
    if each_council and patch:
        raise click.UsageError("--each-council drafts every council: leave out --patch")
    run = RunContext.build(settings, source, patch, each_council=each_council)
    if each_council:
        sets = pipeline.draft_each_council(run, week_ending, stories)
    else:
        sets = [pipeline.draft(run, week_ending, stories)]
    if output_format == "json":
        if each_council:  # one compact line: pretty-printing every council doubles the time
            click.echo(json.dumps({"patches": [s.as_json() for s in sets]}, ensure_ascii=False))
        else:
            click.echo(json.dumps(sets[0].as_json(), indent=2, ensure_ascii=False))
    else:
        for drafts in sets:
            if each_council and drafts.drafts:
                click.echo(f"######## {drafts.patch.name} ########\n")
            for item in drafts.drafts:
                click.echo(f"==== {item.story} ====\n{item.headline}\n\n{item.text}\n")
    for drafts in sets:
        if out is not None and drafts.drafts:
            folder = out / geography.slug(drafts.patch.name) if each_council else out
            _write_drafts(folder, drafts, output_format, pictures)
        if not each_council:
            _say_drafted(drafts)
    if each_council:
        count = sum(len(drafts.drafts) for drafts in sets)
        click.echo(
            f"patchbot: {count} stories drafted for {len(sets)} councils, week ending "
            f"{sets[0].week_ending.isoformat()} ({sets[0].origin})",
            err=True,
        )
        for drafts in sets:
            for story, error in drafts.failed:
                click.echo(
                    f"patchbot: error: {drafts.patch.name}: {story} not drafted: {error}", err=True
                )
    if any(drafts.failed for drafts in sets):
        ctx.exit(4)


def _say_drafted(drafts: DraftSet) -> None:
    released = f", released {drafts.release.isoformat()}" if drafts.release else ""
    count = len(drafts.drafts)
    click.echo(
        f"patchbot: {count} {'story' if count == 1 else 'stories'} drafted for "
        f"{drafts.patch.name}, week ending {drafts.week_ending.isoformat()} "
        f"({drafts.origin}{released})",
        err=True,
    )
    for council in drafts.councils_without_figures():
        click.echo(f"patchbot: warning: the data has no figures for {council} this week", err=True)
    for story, why in drafts.skipped:
        click.echo(f"patchbot: no {story} story: {why}", err=True)
    for story, error in drafts.failed:
        click.echo(f"patchbot: error: {story} not drafted: {error}", err=True)


@cli.command()
@data_options
@story_option
@click.pass_context
def post(
    ctx: click.Context,
    source: str | None,
    patch: str | None,
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
    run = RunContext.build(settings, source, patch)  # bad settings stop us before fetching
    drafts = pipeline.draft(run, week_ending, stories)
    _say_drafted(drafts)
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


@cli.group()
def templates() -> None:
    """Editors' tools for story_templates/ (see story_templates/README.md)."""


@templates.command("check")
@click.option(
    "--templates-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to check. Default: PATCHBOT_TEMPLATES_DIR or story_templates/.",
)
@click.pass_context
def templates_check(ctx: click.Context, templates_dir: Path | None) -> None:
    """Check every template and stories.toml: syntax, unknown variables and filters, and the
    copy rendered against edge cases (one area, ties, all suppressed, a very long list)."""
    from bot.editors import check
    from bot.settings import Settings

    folder = templates_dir or Settings.load(ctx.obj["env_file"]).templates_dir
    problems = check(folder)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(
            f"{len(problems)} {'problem' if len(problems) == 1 else 'problems'} in {folder}",
            err=True,
        )
        ctx.exit(1)
    click.echo(f"All templates in {folder} are fine.")


@templates.command("docs")
@click.option(
    "--write", is_flag=True, help="Write story_templates/README.md instead of printing it."
)
@click.pass_context
def templates_docs(ctx: click.Context, write: bool) -> None:
    """The editors' guide with every variable and filter, generated from the code."""
    from bot.editors import editors_guide
    from bot.rendering import DEFAULT_TEMPLATES_DIR

    guide = editors_guide()
    if write:
        (DEFAULT_TEMPLATES_DIR / "README.md").write_text(guide, encoding="utf-8")
    else:
        click.echo(guide, nl=False)


@cli.command()
@click.argument("story", type=StoryName())
@data_options
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An edited copy of the story's template to preview instead of the real one.",
)
@click.pass_context
def preview(
    ctx: click.Context,
    story: str,
    source: str | None,
    patch: str | None,
    week_ending: dt.date | None,
    template: Path | None,
) -> None:
    """Show STORY drafted from real data, as Slack will show it and as plain text."""
    from bot import pipeline
    from bot.context import RunContext
    from bot.delivery import ledger_draft, plain_copy
    from bot.editors import slack_preview
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"])
    overrides = {story: template} if template else None
    run = RunContext.build(settings, source, patch, template_overrides=overrides)
    drafts = pipeline.draft(run, week_ending, [story])
    if story in drafts.held:  # show what the fact check stopped, so the editor can see why
        drafts = dataclasses.replace(drafts, drafts=[drafts.held[story]])
        click.echo(f"HELD, would not be posted: {drafts.failed[0][1]}\n")
    elif drafts.failed:
        raise PatchbotError(drafts.failed[0][1])
    if not drafts.drafts:
        click.echo(f"No {story} story for {drafts.patch.name} this week: {drafts.skipped[0][1]}")
        return
    draft = ledger_draft(drafts, 0)
    click.echo(slack_preview(draft, settings.slack_channel or "SLACK_CHANNEL"))
    click.echo("\n── Plain text (the .txt file, for the CMS) " + "─" * 20)
    click.echo(plain_copy(draft))


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


@cli.command()
@click.option("--once", is_flag=True, help="Check now, once (post if new), and exit.")
@click.pass_context
def run(ctx: click.Context, once: bool) -> None:
    """Run as a service: on each run day at PATCHBOT_RUN_AT (UK time) check the source for a
    new release, poll until PATCHBOT_POLL_UNTIL, post it as `post` does. SIGTERM or Ctrl-C
    finishes the story being posted and exits.

    With --once: one check now, then exit (status 0 when posted or nothing new, 3 when
    stories were kept for the next run, 4 when a story failed to draft, 1 on errors).
    """
    import os
    import signal
    import threading

    from bot import service
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"])
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():  # asked twice: quit at once (the ledger makes that safe too)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        stop.set()  # no more: the scheduler and the job notice it

    loggers = [logging.getLogger("bot"), logging.getLogger("apscheduler")]
    levels = [logger.level for logger in loggers]
    loggers[0].setLevel(min(logging.INFO, logging.getLogger().getEffectiveLevel()))
    loggers[1].setLevel(logging.WARNING)  # one line per step is ours
    handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not once:
            service.serve(settings, stop)
            return
        result = service.run_once(settings, stop)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    click.echo(f"patchbot: run --once: {result.outcome}: {result.detail}", err=True)
    if result.outcome in (service.CheckOutcome.ERROR, service.CheckOutcome.POST_FAILED):
        ctx.exit(1)
    if result.failed:
        ctx.exit(4)
    if result.outcome == service.CheckOutcome.KEPT:
        ctx.exit(3)


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the service: last check, last release processed, next run, stories, errors."""
    from bot import service
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"])
    for line in service.status_lines(settings):
        click.echo(line)


def _write_drafts(out: Path, drafts: DraftSet, output_format: str, pictures: bool) -> None:
    """One file per story, and its pictures (charts, the patch map) as PNGs beside them."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for item in drafts.drafts:
            if output_format == "json":
                path = out / f"{item.story}.json"
                path.write_text(json.dumps(item.as_json(), indent=2, ensure_ascii=False) + "\n")
            else:
                path = out / f"{item.story}.txt"
                path.write_text(f"{item.headline}\n\n{item.text}\n", encoding="utf-8")
            if pictures:
                from bot.pictures import pictures_for

                for picture in pictures_for(drafts, item):
                    (out / picture.filename).write_bytes(picture.png)
    except OSError as error:
        raise PatchbotError(f"--out: cannot write to {out}: {error.strerror}") from None


def main() -> None:
    cli(prog_name="patchbot")
