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
    help="The folder to check. Default: PATCHBOT_TEMPLATES_DIR, else Patchbot's own.",
)
@click.pass_context
def templates_check(ctx: click.Context, templates_dir: Path | None) -> None:
    """Check every template and stories.toml: syntax, unknown variables and filters, and the
    copy rendered against edge cases (one area, ties, all suppressed, a very long list)."""
    from bot.editors import check
    from bot.settings import Settings

    settings = Settings.load(ctx.obj["env_file"])
    folder = templates_dir or settings.templates_dir
    problems = check(folder, settings.render)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(
            f"{len(problems)} {'problem' if len(problems) == 1 else 'problems'} in {folder}",
            err=True,
        )
        ctx.exit(1)
    click.echo(f"All templates in {folder} are fine.")


@templates.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def templates_init(folder: Path) -> None:
    """Copy Patchbot's own templates into FOLDER, to edit there; then point
    PATCHBOT_TEMPLATES_DIR at FOLDER. An existing folder with files in it is left alone."""
    import shutil

    from bot.errors import PatchbotError
    from bot.rendering import DEFAULT_TEMPLATES_DIR

    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PatchbotError(
            f"templates init: {folder} is not empty: Patchbot never writes over an editor's "
            "templates; give a new folder"
        )
    try:
        shutil.copytree(
            DEFAULT_TEMPLATES_DIR, folder, dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__init__.py", "__pycache__", "*.pyc"),
        )  # fmt: skip
    except OSError as error:
        raise PatchbotError(f"templates init: cannot write {folder}: {error.strerror}") from None
    click.echo(
        f"Copied Patchbot's templates to {folder}. Next: set PATCHBOT_TEMPLATES_DIR="
        f"{folder.resolve()} in .env (or the service's environment), edit them (the guide is "
        f"{folder / 'README.md'}), then run: patchbot templates check"
    )


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
