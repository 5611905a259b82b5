"""``patchbot draft`` and ``patchbot preview``: drafts printed, written or previewed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli import cli
from bot.cli.options import StoryName, chosen_desks, data_options, desk_option, story_option
from bot.errors import PatchbotError

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.stories import DraftSet


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
@desk_option
@click.pass_context
def draft(
    ctx: click.Context,
    source: str | None,
    patch: str | None,
    patch_name: str | None,
    week_ending: dt.date | None,
    stories: tuple[str, ...],
    output_format: str,
    out: Path | None,
    pictures: bool,
    each_council: bool,
    desk_name: str | None,
) -> None:
    """Draft the week's stories and print them (never posts to Slack); with --desk, a desk's
    (its patch, templates and source)."""
    from bot import geography, pipeline
    from bot.context import RunContext
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"])
    if each_council and (patch or patch_name or desk_name):
        raise click.UsageError(
            "--each-council drafts every council: leave out --patch, --patch-name and --desk"
        )
    if desk_name:
        (desk,) = chosen_desks(settings, desk_name, patch)
        run = RunContext.for_desk(desk, source, patch_name=patch_name)
    else:
        run = RunContext.build(
            settings, source, patch, each_council=each_council, patch_name=patch_name
        )
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
            say_drafted(drafts)
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


def say_drafted(drafts: DraftSet) -> None:
    from bot.geography import PATCH_NAME_LIMIT

    released = f", released {drafts.release.isoformat()}" if drafts.release else ""
    count = len(drafts.drafts)
    click.echo(
        f"patchbot: {count} {'story' if count == 1 else 'stories'} drafted for "
        f"{drafts.patch.name}, week ending {drafts.week_ending.isoformat()} "
        f"({drafts.origin}{released})",
        err=True,
    )
    if len(drafts.patch.place) > PATCH_NAME_LIMIT:
        click.echo(
            f"patchbot: warning: the patch's name is {len(drafts.patch.place)} characters long "
            "for headlines; give it a short name with --patch-name or PATCHBOT_PATCH_NAME",
            err=True,
        )
    for council in drafts.councils_without_figures():
        click.echo(f"patchbot: warning: the data has no figures for {council} this week", err=True)
    for story, why in drafts.skipped:
        click.echo(f"patchbot: no {story} story: {why}", err=True)
    for story, error in drafts.failed:
        click.echo(f"patchbot: error: {story} not drafted: {error}", err=True)


@cli.command()
@click.argument("story", type=StoryName())
@data_options
@click.option(
    "--templates-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The templates folder to preview. Default: PATCHBOT_TEMPLATES_DIR, else Patchbot's own.",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An edited copy of the story's template to preview instead of the real one.",
)
@click.option(
    "--variant",
    type=click.IntRange(min=1),
    help="Show variant N: the Nth headline and intro in stories.toml (default: the ones "
    "chosen for this patch and week).",
)
@click.option("--all-variants", is_flag=True, help="Show every headline and intro variant.")
@click.pass_context
def preview(
    ctx: click.Context,
    story: str,
    source: str | None,
    patch: str | None,
    patch_name: str | None,
    week_ending: dt.date | None,
    templates_dir: Path | None,
    template: Path | None,
    variant: int | None,
    all_variants: bool,
) -> None:
    """Show STORY drafted from real data, as Slack will show it and as plain text."""
    from bot import pipeline
    from bot.context import RunContext
    from bot.settings import Settings

    if variant and all_variants:
        raise click.UsageError("give --variant N or --all-variants, not both")
    settings = Settings.load(ctx.obj["env_file"])
    if templates_dir is not None:
        settings = dataclasses.replace(settings, templates_dir=templates_dir)
    click.echo(f"patchbot: templates from {settings.templates_dir}", err=True)
    overrides = {story: template} if template else None
    run = RunContext.build(
        settings, source, patch, template_overrides=overrides, patch_name=patch_name
    )
    chosen = run.stories[story]
    if chosen.mistake is not None:
        raise PatchbotError(str(chosen.mistake))
    count = max(len(chosen.headlines), len(chosen.intros))
    if variant is not None and variant > count:
        raise click.UsageError(
            f"--variant {variant}: {story} has {count} (the most headlines or intros it has in "
            "stories.toml)"
        )
    cases = pipeline.validate(run, pipeline.fetch(run))
    if variant is None and not all_variants:
        if count > 1:
            click.echo(
                f"patchbot: {story} has {count} headline/intro variants; this is the one chosen "
                "for this patch and week (--variant N or --all-variants shows the others)",
                err=True,
            )
        _show_preview(pipeline.draft_cases(run, cases, week_ending, [story]), story, settings)
        return
    for number in range(1, count + 1) if all_variants else [variant or 1]:
        headline = (number - 1) % len(chosen.headlines)
        intro = (number - 1) % len(chosen.intros)
        click.echo(
            f"════ {story}, variant {number} of {count}: headline {headline + 1}, intro "
            f"{intro + 1} " + "═" * 20
        )
        only = dataclasses.replace(
            chosen, headlines=(chosen.headlines[headline],), intros=(chosen.intros[intro],)
        )
        one = dataclasses.replace(run, stories={**run.stories, story: only})
        _show_preview(pipeline.draft_cases(one, cases, week_ending, [story]), story, settings)


def _show_preview(drafts: DraftSet, story: str, settings: Settings) -> None:
    """One draft as Slack will show it and as the plain .txt; what the fact check held is
    shown too, so the editor can see why."""
    from bot.delivery import ledger_draft, plain_copy
    from bot.editors import slack_preview

    if story in drafts.held:
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
