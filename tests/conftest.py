"""Shared fixtures: one per fake server (``slack``, ``slack_socket``, ``api``/``published``,
``ukhsa``), the settings that point Patchbot at them (``env``, ``api_env``), a CLI runner
isolated from the user's settings, and a copy of the templates to edit. Plain helpers are in
tests/helpers.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from bot.cli import cli
from bot.geography import Geography, load_geography
from bot.rendering import DEFAULT_TEMPLATES_DIR
from tests.fakes.hostile_http import HostileHttp
from tests.fakes.phe_api import FakePheApi
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_socket import FakeSocketMode
from tests.fakes.ukhsa_api import FakeUkhsaApi
from tests.helpers import (
    CHANNELS,
    EXCERPT,
    TOKEN,
    CliResult,
    Run,
    Workspace,
)

# The property tests draw the same examples on every run, so CI passes or fails on the code,
# not on luck; HYPOTHESIS_PROFILE=explore draws new ones (run it when changing a reader or rule).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or PATCHBOT_/SLACK_ environment, or writes into
    their state folder (the default PATCHBOT_STATE_DIR is under XDG_STATE_HOME)."""
    for name in list(os.environ):
        if name.startswith(("PATCHBOT_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def slack_workspace() -> Workspace:
    """#newsroom, #ops and #roundups, rate limits without a wait."""
    return Workspace(channels=CHANNELS, retry_after=0)


@pytest.fixture
def slack(slack_workspace: Workspace) -> Iterator[FakeSlack]:
    """A fake Slack workspace (real HTTP on 127.0.0.1), as ``slack_workspace`` says."""
    with FakeSlack(
        token=TOKEN, channels=slack_workspace.channels, retry_after=slack_workspace.retry_after
    ) as fake:
        yield fake


@pytest.fixture
def slack_socket(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    """The fake Slack's Socket Mode endpoint (a real WebSocket on 127.0.0.1): what
    apps.connections.open hands out."""
    with FakeSocketMode() as fake:
        slack.socket_url = fake.url
        yield fake


@pytest.fixture
def api() -> Iterator[FakePheApi]:
    """A fake PHE API (real HTTP on 127.0.0.1) with nothing published yet."""
    with FakePheApi() as fake:
        yield fake


@pytest.fixture
def hostile() -> Iterator[HostileHttp]:
    """A hostile HTTP server (real HTTP on 127.0.0.1): gzip bombs, endless and dripping bodies;
    its bomb inflates to 64 MB."""
    with HostileHttp(bomb_mb=64, drip=0.2) as fake:
        yield fake


@pytest.fixture
def published(api: FakePheApi) -> FakePheApi:
    """The fake PHE API with the excerpt published as the 2020-11-30 release."""
    api.publish(EXCERPT.read_bytes(), release="2020-11-30")
    return api


@pytest.fixture
def ukhsa() -> Iterator[FakeUkhsaApi]:
    """A fake UKHSA dashboard API (real HTTP on 127.0.0.1) serving the real files of
    tests/data/ukhsa."""
    with FakeUkhsaApi() as fake:
        yield fake


@pytest.fixture
def env(slack: FakeSlack, tmp_path: Path) -> dict[str, str]:
    """Settings that post to the fake Slack, with the ledger in the test's folder."""
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_CHANNEL": "#newsroom",
        "SLACK_OPS_CHANNEL": "#ops",
        "SLACK_API_URL": slack.base_url,
        "PATCHBOT_STATE_DIR": str(tmp_path / "state"),
        "PATCHBOT_HTTP_BACKOFF": "0",
        "SLACK_BACKOFF": "0",
    }


@pytest.fixture
def api_env(env: dict[str, str], api: FakePheApi) -> dict[str, str]:
    """``env``, with York (area code E06000014, which the fake filters by) from the fake PHE
    API as the source."""
    return {
        **env,
        "PATCHBOT_SOURCE": "phe-api",
        "PATCHBOT_PHE_API_URL": api.base_url,
        "PATCHBOT_PATCH": "York",
    }


@pytest.fixture
def geography() -> Geography:
    return load_geography()


@pytest.fixture
def run_cli() -> Run:
    """Run ``patchbot ARGS`` in-process with click's CliRunner."""
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A newsroom's own copy of the templates, to edit."""
    copy = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, copy, ignore=shutil.ignore_patterns("README.md"))
    return copy
