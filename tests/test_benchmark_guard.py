"""The speed guard: Patchbot against the floor (``benchmarks/floor.py``), both whole processes,
run alternately. It fails only on a gross regression, a paired CPU ratio more than three times
the one ``benchmarks/run.py`` recorded, never on an absolute time (CI machines differ), and when
the floor's facts stop matching Patchbot's (the benchmark refuses to time a floor that differs).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

RECORDED = ROOT / "benchmarks" / "recorded.json"
GROSS = 3.0  # times the recorded ratio: far beyond the noise of a shared machine


@pytest.mark.process
def test_patchbot_stays_within_three_times_its_recorded_ratio_to_the_floor() -> None:
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["ratio"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)["ratio"]
    assert measured <= GROSS * recorded, (
        f"draft --each-council now takes {measured:.1f}x the floor's CPU, against "
        f"{recorded:.1f}x recorded in benchmarks/recorded.json: a gross slowdown"
    )
