"""Patchbot's speed and memory, measured as whole processes against a fair floor.

    .venv/bin/python benchmarks/run.py            # prints, and writes docs/benchmarks.md
    .venv/bin/python benchmarks/run.py --quick    # the paired ratio only, as JSON (CI's guard)

Every figure is a real process started from scratch: its CPU time (user + system, of the child,
from ``os.wait4``), its wall time and its peak memory (the child's max RSS). Patchbot and the
floor (``benchmarks/floor.py``: the same five lists for every council with the standard library
only) run alternately, so that both see the same machine, and the ratio is taken pair by pair.
Before timing anything, the floor's facts are checked equal to Patchbot's.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PATCHBOT = [sys.executable, "-m", "bot"]
EACH_COUNCIL = [*PATCHBOT, "draft", "--each-council", "--format", "json"]
FLOOR = [sys.executable, str(ROOT / "benchmarks" / "floor.py")]
SAMPLE = next((ROOT / "bot" / "data" / "sample").glob("*.csv.gz"))
RECORDED = ROOT / "benchmarks" / "recorded.json"
DOCS = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Run:
    cpu: float  # user + system seconds of the child
    wall: float
    peak_mb: float  # the child's max RSS


def run_process(
    args: list[str], stdout: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """One real process, its output to ``stdout`` (a file) or nowhere."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    with open(stdout or os.devnull, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.PIPE, env=env)
        assert process.stderr is not None
        stderr = process.stderr.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr.decode(errors='replace')}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.cpu for r in runs),
        statistics.median(r.wall for r in runs),
        max(r.peak_mb for r in runs),
    )


def facts(path: Path) -> list[Any]:
    """What both programs must agree on: every patch's week, release, dataset and, per story,
    its name and facts (the copy is Patchbot's templates; the floor's is plain formatting)."""
    patches = json.loads(path.read_text())["patches"]
    return [
        {
            **{key: value for key, value in patch.items() if key != "stories"},
            "stories": [(story["story"], story["facts"]) for story in patch["stories"]],
        }
        for patch in patches
    ]


def kept_between_runs(folder: Path, warm: bool, templates: bool = True) -> dict[str, str]:
    """Where Patchbot keeps what it reuses from one run to the next: one place for every run
    (warm: a file seen before, as each desk and each look of the service after the first sees
    it; its checked table kept, ``bot.sources.checked``) or a new one for each run (cold: the
    first run on a file, every row checked). A cold run still finds the templates compiled by
    earlier runs, as a new week's file does (``bot.rendering.CompiledTemplates``), unless
    ``templates`` is False: nothing kept at all, as on a new install."""
    if warm:
        return {"PATCHBOT_STATE_DIR": str(folder / "warm" / "state")}
    state = Path(tempfile.mkdtemp(prefix="cold-", dir=folder)) / "state"
    compiled = folder / "warm" / "state" / "compiled"
    if templates and compiled.is_dir():
        shutil.copytree(compiled, state / "compiled")
    return {"PATCHBOT_STATE_DIR": str(state)}


def check_same_facts(source: Path | None, folder: Path) -> int:
    """Run both once; stop unless their facts are equal. Returns how many stories."""
    extra = ["--source", str(source)] if source else []
    run_process([*EACH_COUNCIL, *extra], folder / "patchbot.json", kept_between_runs(folder, False))
    run_process([*FLOOR, *([str(source)] if source else [])], folder / "floor.json")
    ours, floor = facts(folder / "patchbot.json"), facts(folder / "floor.json")
    if ours != floor:
        differ = next(i for i, (a, b) in enumerate(zip(ours, floor, strict=False)) if a != b)
        raise SystemExit(
            f"the floor's facts differ from Patchbot's (patch {differ}, of {len(ours)} and "
            f"{len(floor)}): fix benchmarks/floor.py before timing it"
        )
    return sum(len(patch["stories"]) for patch in ours)


@dataclass(frozen=True)
class Paired:
    patchbot: Run
    floor: Run
    ratio: float  # median of the pair-by-pair CPU ratios


def paired(pairs: int, folder: Path, warm: bool, source: Path | None = None) -> Paired:
    """Patchbot and the floor alternately (who goes first alternates too); ``warm``: Patchbot
    has drafted from the same file before (one run first, not counted)."""
    extra = ["--source", str(source)] if source else []
    if warm:
        run_process([*EACH_COUNCIL, *extra], None, kept_between_runs(folder, True))
    ours, floor, ratios = [], [], []
    for i in range(pairs):
        order = [
            ("p", [*EACH_COUNCIL, *extra]),
            ("f", [*FLOOR, *([str(source)] if source else [])]),
        ]
        results = {}
        for name, args in order if i % 2 == 0 else order[::-1]:
            env = kept_between_runs(folder, warm) if name == "p" else None
            results[name] = run_process(args, folder / f"{name}.json", env)
        ours.append(results["p"])
        floor.append(results["f"])
        ratios.append(results["p"].cpu / results["f"].cpu)
    return Paired(median_run(ours), median_run(floor), statistics.median(ratios))


def tiled_history(weeks: int, path: Path) -> Path:
    """The bundled real weeks repeated back in time to ``weeks`` weeks (synthetic), each week's
    change recomputed from the week tiled before it so that the file passes every check.
    Streamed: written week by week, never held whole."""
    by_week: dict[str, list[dict[str, str]]] = {}
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        fields = list(reader.fieldnames or [])
        for row in reader:
            by_week.setdefault(row["date"], []).append(row)
    real = sorted(by_week, reverse=True)
    latest = dt.date.fromisoformat(real[0])
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=6) as out:
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for k in range(weeks):
            rows, before_rows = by_week[real[k % len(real)]], by_week[real[(k + 1) % len(real)]]
            before = {r["areaCode"]: r["newCasesBySpecimenDateRollingSum"] for r in before_rows}
            week = (latest - dt.timedelta(days=7 * k)).isoformat()
            for row in rows:
                cases, previous = (
                    row["newCasesBySpecimenDateRollingSum"],
                    before.get(row["areaCode"], ""),
                )
                change = (
                    int(cases) - int(previous) if cases and previous and int(previous) else None
                )
                writer.writerow(
                    {
                        **row,
                        "date": week,
                        "newCasesBySpecimenDateChange": "" if change is None else str(change),
                        "newCasesBySpecimenDateChangePercentage": (
                            "" if change is None else f"{change * 100 / int(previous):.1f}"
                        ),
                    }
                )
    return path


@dataclass(frozen=True)
class Posting:
    run: Run
    calls: int  # HTTP requests the fake Slack answered
    connections: int  # TCP connections they came on
    drawing_share: float  # of the CPU of one run under cProfile, drawing the pictures
    imports: float  # seconds importing modules (-X importtime, one run)


# ``patchbot ARGS`` under cProfile, the profile written to the first argument: in process, as
# ``patchbot`` itself ends the process at once when done (``bot.cli.main``), before cProfile
# could write anything.
PROFILED = """
import cProfile, sys
from bot.cli import cli
profile = cProfile.Profile()
try:
    profile.runcall(cli, sys.argv[2:], standalone_mode=False)
finally:
    profile.dump_stats(sys.argv[1])
"""


def post_default_patch(folder: Path) -> Posting:
    """``patchbot post`` of the default patch against the fake Slack of the tests (real HTTP
    on 127.0.0.1), a fresh ledger each run; then one run under cProfile and one under
    ``-X importtime`` for where the time goes."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.slack_api import FakeSlack

    runs, calls, connections, profile = [], 0, 0, folder / "post.prof"
    for attempt in range(5):
        with FakeSlack(token="xoxb-bench", channels={"newsroom": "C0NEWSROOM1"}) as slack:
            env = {
                **os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_CHANNEL": "#newsroom",
                "SLACK_API_URL": slack.base_url, "PATCHBOT_STATE_DIR": str(folder / f"s{attempt}"),
            }  # fmt: skip
            if attempt < 3:
                runs.append(run_process([*PATCHBOT, "post"], env=env))
                calls, connections = len(slack.calls()), slack.connections
            elif attempt == 3:
                run_process([sys.executable, "-c", PROFILED, str(profile), "post"], env=env)
            else:
                timed = [sys.executable, "-X", "importtime", "-m", "bot", "post"]
                stderr = subprocess.run(timed, env=env, capture_output=True, text=True).stderr
    stats = pstats.Stats(str(profile))
    drawing = max(
        (row[3] for (file, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
         if name == "pictures_for" and file.endswith("__init__.py")),
        default=0.0,
    )  # fmt: skip
    top_level = [line.split("|") for line in stderr.splitlines() if line.startswith("import time:")]
    imports = sum(int(cells[1]) for cells in top_level[1:] if not cells[2].startswith("  ")) / 1e6
    return Posting(median_run(runs), calls, connections, drawing / stats.total_tt, imports)  # type: ignore[attr-defined]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


@dataclass(frozen=True)
class Figures:
    stories: int
    # Weeks of history -> Patchbot and the floor, every council: on a file seen for the first
    # time (cold), and seen before (warm).
    cold: dict[int, Paired]
    warm: dict[int, Paired]
    default_draft: dict[bool, Run]  # warm? -> the run
    new_install: Run  # the default draft with nothing kept at all, templates not compiled
    help: Run
    posting: Posting


def default_patch(folder: Path, warm: bool, templates: bool = True) -> Run:
    runs = [
        run_process([*PATCHBOT, "draft"], None, kept_between_runs(folder, warm, templates))
        for _ in range(6)
    ]
    return median_run(runs[1:] if warm else runs)  # warm: the first run checks the file


def compiled_as_installed() -> None:
    """Patchbot's modules compiled to bytecode, as installing it from a wheel does (and a
    clone's first run, unless PYTHONDONTWRITEBYTECODE is set): otherwise every run of the
    benchmark, which writes no bytecode, would compile all of them again (0.05-0.07 s)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "bot"], cwd=ROOT, check=True)


def measure_all(pairs: int) -> Figures:
    print("benchmarks: facts checked, then each figure a median of several runs", file=sys.stderr)
    compiled_as_installed()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        stories = check_same_facts(None, folder)
        # Earlier runs have compiled the templates (and checked the bundled file).
        run_process(EACH_COUNCIL, None, kept_between_runs(folder, True))
        cold, warm = {7: paired(pairs, folder, False)}, {7: paired(pairs, folder, True)}
        default_draft = {seen: default_patch(folder, seen) for seen in (False, True)}
        new_install = default_patch(folder, False, templates=False)
        help_ = median_run([run_process([*PATCHBOT, "--help"]) for _ in range(9)])
        for weeks in (104, 208):
            tiled = tiled_history(weeks, folder / f"msoa_synthetic-{weeks}-weeks.csv.gz")
            cold[weeks] = paired(5, folder, False, tiled)
            warm[weeks] = paired(5, folder, True, tiled)
        posting = post_default_patch(folder)
    return Figures(stories, cold, warm, default_draft, new_install, help_, posting)


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def write_report(figures: Figures, where: str) -> str:
    """The Results section of docs/benchmarks.md (the rest of the file is kept)."""
    post = figures.posting
    rows: list[tuple[str, Run, str]] = []
    for label, runs in (
        ("first run on the file", figures.cold),
        ("file seen before", figures.warm),
    ):
        for weeks, pair in runs.items():
            what = "`draft --each-council --format json`" if weeks == 7 else "every council"
            history = "" if weeks == 7 else f", {weeks} weeks (synthetic)"
            rows.append((f"{what}{history}, {label}", pair.patchbot,
                         f"{pair.ratio:.2f}x the floor (paired)"))  # fmt: skip
    rows += [
        *((f"the floor, {w} weeks", figures.cold[w].floor, "") for w in figures.cold),
        *((f"`draft` (the default patch), {'file seen before' if warm else 'first run'}", run, "")
          for warm, run in figures.default_draft.items()),
        ("`draft` (the default patch), nothing kept (a new install)", figures.new_install,
         "templates compiled too"),
        ("`--help`", figures.help, ""),
        (
            "`post` (the default patch, fake Slack)", post.run,
            f"{post.calls} HTTP calls on {post.connections} connection"
            f"{'' if post.connections == 1 else 's'}; drawing "
            f"{post.drawing_share:.0%} of a profiled run; imports {post.imports:.2f} s",
        ),
    ]  # fmt: skip
    table = [
        "| process | CPU (median) | wall (median) | peak memory | note |",
        "|---|---|---|---|---|",
        *(
            f"| {n} | {r.cpu:.2f} s | {r.wall:.2f} s | {r.peak_mb:.0f} MB | {note} |"
            for n, r, note in rows
        ),
    ]
    targets = [
        "| target | first run on the file | file seen before |",
        "|---|---|---|",
        *(
            f"| {name} | {cold[0]} {verdict(cold[1])} | {warm[0]} {verdict(warm[1])} |"
            for name, cold, warm in _checks(figures)
        ),
    ]
    report = "\n".join(
        [
            "## Results",
            "",
            f"Measured {dt.date.today().isoformat()} on {where}, with "
            f"`.venv/bin/python benchmarks/run.py`: {figures.stories} stories for 315 councils, "
            f"the floor's facts checked equal to Patchbot's first.",
            "",
            *table,
            "",
            *targets,
            "",
        ]
    )
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n## Results\n"
    before, _, after = text.partition("## Results")
    tail = after.partition("\n## ")[2]
    DOCS.write_text(before + report + (f"\n## {tail}" if tail else ""))
    return report


Check = tuple[str, bool]


def _checks(figures: Figures) -> list[tuple[str, Check, Check]]:
    """Each target of issue 18, measured on a file seen for the first time and seen before."""

    def each(runs: dict[int, Paired]) -> list[Check]:
        grow_104 = runs[104].patchbot.cpu / runs[7].patchbot.cpu
        # The floor reads row by row, linear in weeks by construction: Patchbot is linear when
        # its paired ratio to the floor does not grow from 104 weeks to 208.
        grow_208 = runs[208].ratio / runs[104].ratio
        peak = runs[104].patchbot.peak_mb
        return [
            (f"{runs[7].ratio:.2f}x", runs[7].ratio <= 2),
            (f"{peak:.0f} MB", peak <= 300),
            (f"{grow_104:.2f}x", grow_104 <= 1.5),
            (f"{grow_208:.2f}x", grow_208 <= 1.2),
        ]

    names = [
        "every council, CPU <= 2x the floor (paired)",
        "104 weeks: peak <= 300 MB",
        "104 weeks: CPU <= 1.5x the 7-week run",
        "208 weeks linear: the paired ratio to the floor at 208 weeks over 104's",
    ]
    found = list(zip(names, each(figures.cold), each(figures.warm), strict=True))
    draft = {warm: run.cpu for warm, run in figures.default_draft.items()}
    help_cpu = figures.help.cpu
    found.append(("default `draft` <= 0.5 s CPU", (f"{draft[False]:.2f} s", draft[False] <= 0.5),
                  (f"{draft[True]:.2f} s", draft[True] <= 0.5)))  # fmt: skip
    found.append(("`--help` <= 0.1 s CPU", (f"{help_cpu:.3f} s", help_cpu <= 0.1),
                  (f"{help_cpu:.3f} s", help_cpu <= 0.1)))  # fmt: skip
    return found


def quick() -> None:
    """The CI guard's measurement: facts checked, three pairs on a file seen for the first time
    (every row checked), the ratio as JSON."""
    compiled_as_installed()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        check_same_facts(None, folder)
        result = paired(3, folder, False)
    print(json.dumps({"ratio": round(result.ratio, 3), "patchbot_cpu": result.patchbot.cpu,
                      "floor_cpu": result.floor.cpu}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the paired ratio only, as JSON")
    parser.add_argument("--pairs", type=int, default=7, help="Patchbot/floor pairs (default 7)")
    arguments = parser.parse_args()
    if arguments.quick:
        quick()
        return
    figures = measure_all(arguments.pairs)
    report = write_report(figures, machine())
    print(report)
    RECORDED.write_text(json.dumps({"ratio": round(figures.cold[7].ratio, 3)}) + "\n")


if __name__ == "__main__":
    main()
