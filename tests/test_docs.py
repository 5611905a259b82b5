"""The README keeps up with the CLI: every command and every option is documented."""

from __future__ import annotations

import click

from bot.cli import cli
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()


def commands(group: click.Group, prefix: str = "patchbot") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix} {name}")
    return found


def test_every_command_is_in_the_readme() -> None:
    missing = [name for name, _ in commands(cli) if name not in README]
    assert missing == []


def test_every_option_is_in_the_readme() -> None:
    missing = [
        f"{name} {option}"
        for name, command in commands(cli)
        for param in command.params
        for option in param.opts
        if option.startswith("--") and option not in README and option != "--help"
    ]
    assert missing == []


def test_the_command_reference_is_the_clis_own_help() -> None:
    from cogapp import Cog

    status = Cog().main(["cog", "--check", str(ROOT / "README.md")])
    assert status == 0, "README's command reference differs from --help: run `cog -r README.md`"
