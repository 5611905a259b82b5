"""Shared fixtures: real PHE data excerpts and a CLI runner isolated from the user's settings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cases import CaseData
from bot.cli import cli
from bot.geography import Geography, load_geography
from bot.sources import RawData
from bot.sources.phe import load_cases
from tests.fakes.slack_api import FakeSlack, Message

DATA = Path(__file__).parent / "data"
# Real PHE rows (2020-11-30 release) for Darlington, Hartlepool, Richmondshire, Ryedale and
# York, weeks ending 2020-11-11, 2020-11-18 and 2020-11-25, in the PHE API v2 CSV format.
EXCERPT = DATA / "msoa_2020-11-30_excerpt.csv"
# The same councils as first published (2020-11-25) and as PHE revised them (2020-11-30).
FIRST = DATA / "msoa_2020-11-25_first-publication.csv"
REVISED = DATA / "msoa_2020-11-30_revised.csv"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or PATCHBOT_/SLACK_ environment."""
    import os

    for name in list(os.environ):
        if name.startswith(("PATCHBOT_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def read_rows(path: Path = EXCERPT) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """Write rows (e.g. an edited excerpt) back out in the same CSV format."""
    fields = header or list(read_rows()[0].keys())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


TOKEN = "xoxb-test-token"
CHANNELS = {"newsroom": "C0NEWSROOM1", "ops": "C0OPSDESK1", "roundups": "C0ROUNDUP1"}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack workspace (real HTTP on 127.0.0.1) with #newsroom, #ops and #roundups."""
    with FakeSlack(token=TOKEN, channels=CHANNELS, retry_after=0) as fake:
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


def top_level(slack: FakeSlack, channel: str = "newsroom") -> list[Message]:
    return [m for m in slack.messages(channel) if m.thread_ts is None]


def replies(slack: FakeSlack, parent: Message, channel: str = "newsroom") -> list[Message]:
    return [m for m in slack.messages(channel) if m.thread_ts == parent.ts]


@pytest.fixture
def geography() -> Geography:
    return load_geography()


def cases_from(
    rows: list[dict[str, str]], release: dt.date | None = dt.date(2020, 11, 30)
) -> CaseData:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    raw = RawData(buffer.getvalue().encode(), "excerpt.csv", release)
    return load_cases(raw, load_geography(), dt.date(2026, 1, 1))


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run ``patchbot ARGS`` in-process with click's CliRunner."""
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


ROOT = Path(__file__).resolve().parent.parent
SUPPRESSIBLE = (
    "newCasesBySpecimenDateRollingSum",
    "newCasesBySpecimenDateRollingRate",
    "newCasesBySpecimenDateChange",
    "newCasesBySpecimenDateChangePercentage",
)


def suppress_all(rows: list[dict[str, str]], council: str) -> list[dict[str, str]]:
    """Every count of a council's rows blanked, as PHE published suppressed areas."""
    for row in rows:
        if row["LtlaName"] == council:
            row.update(dict.fromkeys(SUPPRESSIBLE, ""))
    return rows


def patchbot_process(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """The real ``python -m bot ARGS`` in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_patchbot(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    timeout: float = 60,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``python -m bot ARGS`` to the end."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=preexec_fn,
    )
