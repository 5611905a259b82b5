"""The ``patchbot`` command line.

Heavy libraries (pandas, requests, Jinja2) are imported inside the commands, so that
``patchbot --help`` answers at once.
"""

from __future__ import annotations

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

STORY_NAMES = ("no_new_cases", "highest_rates", "largest_rises", "largest_falls", "weekly_roundup")
log = logging.getLogger("bot")


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


def draft_options(command: Callable[..., None]) -> Callable[..., None]:
    """The selectors ``draft`` and ``post`` share."""
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
        click.option(
            "--story",
            "stories",
            multiple=True,
            type=click.Choice(STORY_NAMES),
            help="Only this story (repeatable). Default: every story enabled in stories.toml.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@draft_options
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True,
)  # fmt: skip
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write one file per story into this folder.",
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
) -> None:
    """Draft the week's stories and print them (never posts to Slack)."""
    from bot import pipeline
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"])
    drafts = pipeline.draft(settings, source, patch, week_ending, stories)
    if output_format == "json":
        click.echo(json.dumps(drafts.as_json(), indent=2, ensure_ascii=False))
    else:
        for item in drafts.drafts:
            click.echo(f"==== {item.story} ====\n{item.headline}\n\n{item.text}\n")
    if out is not None:
        _write_drafts(out, drafts, output_format)
    _say_drafted(drafts)
    if drafts.failed:
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
    for story, why in drafts.skipped:
        click.echo(f"patchbot: no {story} story: {why}", err=True)
    for story, error in drafts.failed:
        click.echo(f"patchbot: error: {story} not drafted: {error}", err=True)


@cli.command()
@draft_options
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
    from bot.delivery import Courier, deliver
    from bot.settings import Settings
    from bot.slack import Slack
    from bot.state import Ledger
    from bot.stories import load_story_settings

    settings = Settings.load(ctx.obj["env_file"])
    if not settings.slack_token:
        raise PatchbotError(
            "SLACK_BOT_TOKEN: not set; `patchbot post` needs a Slack bot token (README, "
            "'Slack setup'). `patchbot draft` works without one."
        )
    story_settings = load_story_settings(settings.templates_dir)
    drafts = pipeline.draft(settings, source, patch, week_ending, stories)
    _say_drafted(drafts)
    ledger = Ledger(settings.state_dir)
    try:
        slack = Slack(settings.slack_token, settings.slack_api_url, settings.http.timeout)
        courier = Courier(ledger, slack, backoff=settings.http.backoff)
        report = deliver(
            drafts,
            ledger,
            courier,
            lambda story: settings.channel_for(story, story_settings[story].channel),
            settings.slack_ops_channel,
        )
    finally:
        ledger.close()
    click.echo(f"patchbot: Slack: {report.summary()}", err=True)
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
    from bot.state import Ledger

    settings = Settings.load(ctx.obj["env_file"])
    ledger = Ledger(settings.state_dir)
    try:
        posts = ledger.history(limit)
    finally:
        ledger.close()
    if not posts:
        click.echo(f"Nothing posted yet (ledger: {ledger.path}).")
        return
    click.echo(f"{'posted (UTC)':<26}{'story':<16}{'week':<12}{'release':<12}{'status':<12}where")
    for item in posts:
        status = "revised" if item.revised else item.status
        if item.kind == "correction":
            status = f"correction of #{item.corrects}"
        where = f"{item.channel} ts={item.ts}" if item.ts else item.channel
        if item.last_error and item.status != "posted":
            where += f" (last error: {item.last_error})"
        click.echo(
            f"#{item.id:<4}{item.posted_at or '-':<21}{item.story:<16}{item.week_ending:<12}"
            f"{item.release or '-':<12}{status:<12}{where}"
        )


def _write_drafts(out: Path, drafts: DraftSet, output_format: str) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        for item in drafts.drafts:
            if output_format == "json":
                path = out / f"{item.story}.json"
                path.write_text(json.dumps(item.as_json(), indent=2, ensure_ascii=False) + "\n")
            else:
                path = out / f"{item.story}.txt"
                path.write_text(f"{item.headline}\n\n{item.text}\n", encoding="utf-8")
    except OSError as error:
        raise PatchbotError(f"--out: cannot write to {out}: {error.strerror}") from None


def main() -> None:
    cli(prog_name="patchbot")
