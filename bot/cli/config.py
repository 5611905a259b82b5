"""``patchbot config check``: the settings, checked as the templates are."""

from __future__ import annotations

import click

from bot.cli import cli


@cli.group()
def config() -> None:
    """The settings (.env and the environment; config.example.env lists them all)."""


@config.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Check every setting in .env and the environment: bad values with the format and range
    each takes, and names that are no setting (a typo is otherwise silently ignored)."""
    from pathlib import Path

    from bot.config_check import Level, check_config

    env_file = ctx.obj["env_file"]
    read = env_file or Path(".env")
    click.echo(f"Settings from {read if read.is_file() else '(no .env)'} and the environment.")
    findings = check_config(env_file)
    for finding in findings:
        click.echo(str(finding))
    errors = sum(finding.level == Level.ERROR for finding in findings)
    warnings = sum(finding.level == Level.WARNING for finding in findings)
    if errors or warnings:
        click.echo(
            f"{errors} {'error' if errors == 1 else 'errors'}, "
            f"{warnings} {'warning' if warnings == 1 else 'warnings'}",
            err=True,
        )
    else:
        click.echo("The settings are fine.")
    if errors:
        ctx.exit(1)
