"""What the tests share besides fixtures (those are in conftest.py): the data excerpts, the fake
Slack's workspace and reading it, running the real ``python -m bot``, editing a copy of the
templates. Test modules import from here, never from one another or from conftest."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import resource
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from matplotlib import image as mpimg
from matplotlib.path import Path as MplPath

from bot import pictures, rules
from bot.cases import CaseData
from bot.geography import Geography, load_geography
from bot.service import serve
from bot.settings import Settings
from bot.sources import RawData
from bot.sources.phe import load_cases
from bot.stories import Draft, DraftSet
from tests.fakes.phe_api import API_PATH, FakePheApi
from tests.fakes.slack_api import FakeSlack, Message

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
# Real PHE rows (2020-11-30 release) for Darlington, Hartlepool, Richmondshire, Ryedale and
# York, weeks ending 2020-11-11, 2020-11-18 and 2020-11-25, in the PHE API v2 CSV format.
EXCERPT = DATA / "msoa_2020-11-30_excerpt.csv"
# The same councils as first published (2020-11-25) and as PHE revised them (2020-11-30).
FIRST = DATA / "msoa_2020-11-25_first-publication.csv"
REVISED = DATA / "msoa_2020-11-30_revised.csv"

# -- the data excerpts


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


def cases_from(
    rows: list[dict[str, str]], release: dt.date | None = dt.date(2020, 11, 30)
) -> CaseData:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    raw = RawData(buffer.getvalue().encode(), "excerpt.csv", release)
    return load_cases(raw, load_geography(), dt.date(2026, 1, 1))


# The latest week in the excerpt.
EXCERPT_WEEK = dt.date(2020, 11, 25)


def week_table(
    geography: Geography, patch: str, rows: list[dict[str, str]] | None = None
) -> rules.WeekTable:
    cases = cases_from(rows if rows is not None else read_rows())
    return rules.patch_week(cases, geography, geography.resolve_patch(patch), EXCERPT_WEEK)


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


# -- the fake servers

TOKEN = "xoxb-test-token"
CHANNELS = {"newsroom": "C0NEWSROOM1", "ops": "C0OPSDESK1", "roundups": "C0ROUNDUP1"}


@dataclass(frozen=True)
class Workspace:
    """How the ``slack`` fixture's fake workspace is set up (a module may override it)."""

    channels: Mapping[str, str]
    retry_after: int  # seconds, in the Retry-After header of a rate-limited answer


def top_level(slack: FakeSlack, channel: str = "newsroom") -> list[Message]:
    return [m for m in slack.messages(channel) if m.thread_ts is None]


def replies(slack: FakeSlack, parent: Message, channel: str = "newsroom") -> list[Message]:
    return [m for m in slack.messages(channel) if m.thread_ts == parent.ts]


def assert_each_story_once(slack: FakeSlack, stories: int = 5) -> None:
    assert len(top_level(slack)) == stories
    parts = Counter(
        (m.metadata["event_payload"]["post"], m.metadata["event_payload"]["part"])
        for m in slack.messages("newsroom")
        if m.metadata
    )
    assert sum(1 for _post, part in parts if part == "main") == stories
    assert max(parts.values()) == 1
    shared = Counter(f.filename for f in slack.files.values() if f.shares)
    assert max(shared.values()) == 1  # every file (the copy, any picture) shared once
    assert sum(1 for name in shared if name.endswith(".txt")) == stories


def checks(api: FakePheApi) -> int:
    """How many times the source was asked (one API call per check for York)."""
    return sum(1 for request in api.requests if request.path == API_PATH)


def wait_for(
    condition: Callable[[], object], timeout: float = 8.0, what: str = "timed out"
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.02)


# -- pictures, read back from their PNG bytes


def story(drafts: DraftSet, name: str) -> Draft:
    (draft,) = [d for d in drafts.drafts if d.story == name]
    return draft


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def rgb(png: bytes) -> npt.NDArray[np.uint8]:
    image = np.asarray(mpimg.imread(io.BytesIO(png), format="png"), dtype=np.float64)
    pixels: npt.NDArray[np.uint8] = np.rint(image[..., :3] * 255).astype(np.uint8)
    return pixels


def colour_at(image: npt.NDArray[np.uint8], point: tuple[float, float]) -> str:
    column, row = point
    r, g, b = image[int(row), int(column)]
    return f"#{r:02x}{g:02x}{b:02x}"


def colours_in(image: npt.NDArray[np.uint8]) -> set[str]:
    packed = image[..., 0].astype(np.int64) << 16 | image[..., 1].astype(np.int64) << 8
    packed |= image[..., 2]
    return {f"#{int(value):06x}" for value in np.unique(packed)}


def inside_point(code: str) -> tuple[float, float]:
    """The area-weighted centroid (lon, lat) of the MSOA's largest outside ring, checked to
    lie inside it."""
    best: tuple[float, float, float] | None = None
    ring_of_best = None
    for points, hole in pictures.boundaries().rings(code):
        if hole:
            continue
        x, y = points[:, 0], points[:, 1]
        cross = x[:-1] * y[1:] - x[1:] * y[:-1]
        area = cross.sum() / 2
        cx = ((x[:-1] + x[1:]) * cross).sum() / (6 * area)
        cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
        if best is None or abs(area) > best[2]:
            best, ring_of_best = (float(cx), float(cy), abs(float(area))), points
    assert best is not None
    assert ring_of_best is not None
    assert MplPath(ring_of_best).contains_point(best[:2])
    return best[0], best[1]


# -- running Patchbot


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Run = Callable[..., CliResult]


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


# -- a newsroom's own copy of the templates (the ``templates`` fixture)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a template with ``new``; ``old`` must be there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def full_disk_patchbot(*args: str, env: dict[str, str], cwd: Path, limit: int) -> CliResult:
    """The real ``python -m bot ARGS`` in a process that may write no file over ``limit``."""

    def full_disk() -> None:  # for this process only
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = run_patchbot(*args, env=env, cwd=cwd, preexec_fn=full_disk)
    return CliResult(done.returncode, done.stdout, done.stderr)


def one_clear_line(done: CliResult) -> str:
    assert done.exit_code == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("patchbot: error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0].removeprefix("patchbot: error: ")


@contextlib.contextmanager
def serving(settings: Settings, caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    """``serve`` in a thread, as ``patchbot run`` does; yields its start line."""
    stop = threading.Event()
    started = len(caplog.records)
    thread = threading.Thread(target=serve, args=(settings, stop))
    thread.start()
    try:
        wait_for(lambda: any("step=start" in r.message for r in caplog.records[started:]))
        yield next(r.message for r in caplog.records[started:] if "step=start" in r.message)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


# Templates that run too long (tests/test_hostile_templates.py, test_compiled_templates.py).
ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
LIST_LOOPS = (
    "{% set many = range(100000)|list %}"
    "{% for a in many %}{% for b in many %}{% endfor %}{% endfor %}"
)
TOO_LONG = (
    "largest_falls.j2: rendering took longer than PATCHBOT_RENDER_SECONDS=0.5 seconds (a loop "
    "without end, or nested too deep?); held"
)


def with_line(templates: Path, line: str) -> Path:
    """The templates, largest_falls.j2 with ``line`` after its headline."""
    story = templates / "largest_falls.j2"
    headline, _, rest = story.read_text().partition("\n")
    story.write_text(f"{headline}\n{line}\n{rest}")
    (templates / "loop.jinja").write_text(ENDLESS)  # a partial not named .j2
    return templates
