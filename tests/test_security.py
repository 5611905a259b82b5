"""Secrets stay secret, dependencies stay bounded, data cannot inject mentions or code."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from bot.settings import Settings
from tests.helpers import ROOT, Run


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


def test_a_password_in_a_source_url_is_never_shown(run_cli: Run) -> None:
    url = "http://reporter:hunter2secret@127.0.0.1:1/cases.csv"
    env = {"PATCHBOT_HTTP_RETRIES": "1", "PATCHBOT_HTTP_BACKOFF": "0"}
    result = run_cli("-v", "draft", "--source", url, env=env)
    assert result.exit_code == 1
    assert "hunter2secret" not in result.stdout + result.stderr
    assert "fetch attempt=1/2 url=http://reporter:[redacted]@127.0.0.1:1/cases.csv" in result.stderr
    assert result.stderr.endswith(
        "patchbot: error: source: http://reporter:[redacted]@127.0.0.1:1/cases.csv failed after "
        "2 attempts: cannot connect (ConnectionError)\n"
    )
