"""Secrets stay secret, dependencies stay bounded, data cannot inject mentions or code."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from bot.settings import Settings
from tests.helpers import ROOT


def test_dotenv_is_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False, capture_output=True
    )
    assert ignored.returncode == 0, ".env must be git-ignored"


def test_no_token_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "grep", "-I", "-n", "-E", r"xox[abpr]-[0-9]{6,}"], cwd=ROOT, check=False,
        capture_output=True, text=True,
    )  # fmt: skip
    assert tracked.stdout == ""


def test_token_comes_only_from_environment_or_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    assert Settings.load(tmp_path / ".env", environ={}).slack_token == "xoxb-from-dotenv"
    both = Settings.load(tmp_path / ".env", environ={"SLACK_BOT_TOKEN": "xoxb-from-env"})
    assert both.slack_token == "xoxb-from-env"  # the environment wins
    assert "xoxb" not in repr(both)  # never printed with the settings


def test_no_command_takes_a_token_on_the_command_line() -> None:
    from bot.cli import cli

    def options(command: object) -> list[str]:
        found = [name for p in getattr(command, "params", []) for name in p.opts]
        for sub in getattr(command, "commands", {}).values():
            found += options(sub)
        return found

    assert not [name for name in options(cli) if "token" in name]


def test_every_dependency_has_an_upper_bound() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    unbounded = [r for r in requirements if not re.search(r"<\s*\d", r)]
    assert unbounded == []
