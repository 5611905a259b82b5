"""``patchbot templates``: the editors' tools for story_templates/."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import cli


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
