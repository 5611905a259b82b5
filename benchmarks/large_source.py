"""Peak memory and time of drafting from a large, valid PHE CSV (issue 12, docs/trust.md).

    .venv/bin/python benchmarks/large_source.py [MEGABYTES]     # default 500

Writes a valid PHE MSOA CSV of about MEGABYTES in a temporary folder (the bundled newest week
of every MSOA, repeated week after week back in time, its change 0 and change % 0.0 where the
count is published), then runs the real ``python -m bot draft --source FILE --patch York`` and
prints its wall time and peak memory (the child's maximum resident set size).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "bot" / "data" / "sample" / "msoa_2020-11-30.csv.gz"
CASES, CHANGE = "newCasesBySpecimenDateRollingSum", "newCasesBySpecimenDateChange"
CHANGE_PCT = "newCasesBySpecimenDateChangePercentage"


def write_large_csv(path: Path, megabytes: int) -> int:
    """A valid CSV of about ``megabytes``; returns how many weeks it holds."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    newest = max(row["date"] for row in rows)
    week = [row for row in rows if row["date"] == newest]
    day, weeks = dt.date.fromisoformat(newest), 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        while out.tell() < megabytes * 1024 * 1024:
            for row in week:
                published = row[CASES] not in ("", "-99")
                writer.writerow(
                    {**row, "date": day.isoformat(), CHANGE: "0" if published else "",
                     CHANGE_PCT: "0.0" if published else ""}
                )  # fmt: skip
            day, weeks = day - dt.timedelta(days=7), weeks + 1
    return weeks


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "msoa_2020-11-30.csv"
        weeks = write_large_csv(source, megabytes)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "draft", "--source", str(source), "--patch", "York"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{megabytes} MB, {weeks} weeks: exit {done.returncode}, {seconds:.1f} s, peak "
          f"{peak:,.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
