"""Patchbot's speed and memory benchmarks: one command, a table printed and written down.

    .venv/bin/python benchmarks/run.py            # writes docs/benchmarks.md

1. every council in England from the bundled real data (7 weeks x 6,791 MSOAs): the real
   ``patchbot draft --each-council --format json`` process, wall time and peak memory;
2. the same with two years of history (the real weeks tiled to 104 weeks: synthetic), to show
   how cost grows with history, and that drafting one week does not;
3. CLI cold start: ``patchbot --help``;
4. the floor: reading the same CSV with pyarrow's typed reader, plus rendering the same
   templates from precomputed contexts; the pipeline's in-process time is reported as a ratio.

Targets (2 cores): every council <= 2 s wall and <= 400 MB; <= 1.5x the floor; --help <= 0.3 s.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATCHBOT = [sys.executable, "-m", "bot"]
RUNS = 5


def run_process(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stderr) of one real process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read()
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr}")
    return wall, usage.ru_maxrss / 1024, stderr


def best_of(args: list[str], runs: int = RUNS) -> tuple[float, float, float, str]:
    """(median wall, min wall, max peak MB, last stderr) over several runs."""
    results = [run_process(args) for _ in range(runs)]
    walls = [wall for wall, _, _ in results]
    return statistics.median(walls), min(walls), max(mb for _, mb, _ in results), results[-1][2]


def tiled_history(weeks: int, folder: Path) -> Path:
    """The bundled real weeks repeated back in time to ``weeks`` weeks (synthetic), with each
    week's change recomputed from the week tiled before it, so the file passes validation."""
    import csv
    from importlib import resources

    sample = resources.files("bot") / "data" / "sample" / "msoa_2020-11-30.csv.gz"
    reader = csv.DictReader(io.StringIO(gzip.decompress(sample.read_bytes()).decode()))
    by_week: dict[str, list[dict[str, str]]] = {}
    for row in reader:
        by_week.setdefault(row["date"], []).append(row)
    real = sorted(by_week, reverse=True)
    latest = dt.date.fromisoformat(real[0])
    tiles = [by_week[real[k % len(real)]] for k in range(weeks + 1)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(tiles[0][0]), lineterminator="\n")
    writer.writeheader()
    for k in range(weeks):
        before = {row["areaCode"]: row["newCasesBySpecimenDateRollingSum"] for row in tiles[k + 1]}
        week = (latest - dt.timedelta(days=7 * k)).isoformat()
        for row in tiles[k]:
            cases, previous = (
                row["newCasesBySpecimenDateRollingSum"],
                before.get(row["areaCode"], ""),
            )
            change = int(cases) - int(previous) if cases and previous else None
            percent = "" if change is None else f"{change * 100 / int(previous):.1f}"
            writer.writerow(
                {
                    **row,
                    "date": week,
                    "newCasesBySpecimenDateChange": "" if change is None else str(change),
                    "newCasesBySpecimenDateChangePercentage": percent,
                }
            )
    path = folder / "msoa_synthetic-104-weeks.csv.gz"
    path.write_bytes(gzip.compress(out.getvalue().encode(), mtime=0))
    return path


def stages(source: Path | None) -> dict[str, float]:
    args = [
        sys.executable,
        str(ROOT / "benchmarks" / "stages.py"),
        *([str(source)] if source else []),
    ]
    runs = [
        json.loads(
            subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        )
        for _ in range(3)
    ]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main() -> None:
    print("Running benchmarks (each figure is a median of several runs)...", file=sys.stderr)
    rows = []
    wall, fastest, peak, stderr = best_of(
        [*PATCHBOT, "draft", "--each-council", "--format", "json"]
    )
    drafts = stderr.split("patchbot: ")[-1].split(" stories")[0]
    rows.append(
        (
            "1. every council, bundled data (7 weeks)",
            f"{drafts} drafts",
            wall,
            fastest,
            peak,
            "<= 2 s, <= 400 MB",
        )
    )
    bundled = stages(None)
    with tempfile.TemporaryDirectory() as folder:
        history = tiled_history(104, Path(folder))
        wall2, fastest2, peak2, stderr2 = best_of(
            [*PATCHBOT, "draft", "--each-council", "--format", "json", "--source", str(history)],
            runs=3,
        )
        drafts2 = stderr2.split("patchbot: ")[-1].split(" stories")[0]
        rows.append(
            (
                "2. every council, 104 weeks (synthetic)",
                f"{drafts2} drafts",
                wall2,
                fastest2,
                peak2,
                "grows with reading only",
            )
        )
        long = stages(history)
    helps = [run_process([*PATCHBOT, "--help"])[0] for _ in range(9)]
    rows.append(
        (
            "3. CLI cold start: patchbot --help",
            "",
            statistics.median(helps),
            min(helps),
            0.0,
            "<= 0.3 s",
        )
    )
    floor = bundled["floor_read"] + bundled["floor_render"]
    ratio = bundled["pipeline"] / floor

    table = [
        "| benchmark | output | wall (median) | wall (best) | peak memory | target |",
        "|---|---|---|---|---|---|",
    ]
    for name, output, median, best, mb, target in rows:
        memory = f"{mb:.0f} MB" if mb else "-"
        table.append(f"| {name} | {output} | {median:.2f} s | {best:.2f} s | {memory} | {target} |")
    stage_table = [
        "| in-process stage | 7 weeks (real) | 104 weeks (synthetic) |",
        "|---|---|---|",
    ]
    for key, label in (
        ("imports", "imports (pandas, pyarrow, Jinja2)"),
        ("read_validate", "read + validate the whole file"),
        ("detect_render", "draft one week: rules for all councils + render"),
        ("pipeline", "pipeline (read to drafts)"),
        ("floor_read", "floor: pyarrow typed read, no checks"),
        ("floor_render", "floor: render from precomputed contexts"),
    ):
        stage_table.append(f"| {label} | {bundled[key]:.3f} s | {long[key]:.3f} s |")
    stage_table.append(f"| rows read | {bundled['rows']:,.0f} | {long['rows']:,.0f} |")
    stage_table.append(
        f"| **pipeline / floor** | **{ratio:.2f}x** | "
        f"**{long['pipeline'] / (long['floor_read'] + long['floor_render']):.2f}x** |"
    )
    report = "\n".join(
        [
            "## Results",
            "",
            f"Measured {dt.date.today().isoformat()} on {machine()}, with "
            "`.venv/bin/python benchmarks/run.py`.",
            "",
            *table,
            "",
            *stage_table,
            "",
        ]
    )
    print(report)
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text() if docs.exists() else "# Benchmarks\n\n## Results\n"
    before, _, _after = text.partition("## Results")
    tail = _after.partition("\n## ")[2]
    docs.write_text(before + report + (f"\n## {tail}" if tail else ""))
    print(f"written to {docs.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
