"""``draft --each-council``: every council its own patch, in one vectorised run."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import EXCERPT, Run


def test_each_council_equals_single_patch_drafts(run_cli: Run) -> None:
    everyone = run_cli("draft", "--each-council", "--format", "json")
    assert everyone.exit_code == 0, everyone.stderr
    patches = {p["patch"]["name"]: p for p in everyone.json()["patches"]}
    assert len(patches) == 315  # every council (LTLA) in England in PHE's 2020 geography
    for council in ("Darlington", "York", "Isle of Wight", "Westminster", "Ryedale"):
        single = run_cli("draft", "--patch", council, "--format", "json")
        assert single.exit_code == 0, single.stderr
        assert patches[council] == single.json(), council


def test_each_council_on_an_excerpt_skips_councils_without_data(run_cli: Run) -> None:
    result = run_cli("draft", "--each-council", "--source", str(EXCERPT), "--format", "json")
    assert result.exit_code == 0, result.stderr
    with_stories = [p["patch"]["name"] for p in result.json()["patches"] if p["stories"]]
    assert with_stories == ["Darlington", "Hartlepool", "Richmondshire", "Ryedale", "York"]


def test_each_council_text_and_files(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "drafts"
    result = run_cli("draft", "--each-council", "--source", str(EXCERPT), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "######## York ########" in result.stdout
    assert sorted(p.name for p in (out / "york").glob("*.txt")) == [
        "highest_rates.txt", "largest_falls.txt", "largest_rises.txt", "no_new_cases.txt",
        "weekly_roundup.txt",
    ]  # fmt: skip
    assert "stories drafted for 315 councils" in result.stderr


def test_each_council_and_patch_cannot_be_combined(run_cli: Run) -> None:
    result = run_cli("draft", "--each-council", "--patch", "York")
    assert result.exit_code == 2
    assert "--each-council drafts every council: leave out --patch" in result.stderr
