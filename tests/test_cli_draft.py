"""End to end: ``patchbot draft`` on real PHE excerpts, checking the copy itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXCERPT, CliResult, Run, read_rows, write_rows

WEEK = "2020-11-25"


def week_rows(*councils: str, week: str = WEEK) -> list[dict[str, str]]:
    return [r for r in read_rows() if r["date"] == week and r["LtlaName"] in councils]


def story(result: CliResult, name: str) -> Any:
    matches = [s for s in result.json()["stories"] if s["story"] == name]
    assert len(matches) == 1, f"expected one {name} story"
    return matches[0]


def test_default_run_drafts_every_story_from_the_bundled_data(run_cli: Run) -> None:
    result = run_cli("draft")
    assert result.exit_code == 0, result.stderr
    for name in (
        "no_new_cases",
        "highest_rates",
        "largest_rises",
        "largest_falls",
        "weekly_roundup",
    ):
        assert f"==== {name} ====" in result.stdout
    # Real figures for the week to 2020-11-25 in the 2020-11-30 release.
    assert "\nDurham City - 16 cases\n" in result.stdout
    assert "\nPark East - 17 cases\n" in result.stdout
    assert "published on November 30" in result.stdout
    assert (
        "5 stories drafted for North East and North Yorkshire, week ending 2020-11-25"
        in result.stderr
    )


def test_json_facts_match_the_data_row_for_row(run_cli: Run) -> None:
    result = run_cli(
        "draft",
        "--source",
        str(EXCERPT),
        "--patch",
        "York,Ryedale,Richmondshire",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["week_ending"] == WEEK
    assert document["patch"] == {
        "name": "York, Ryedale and Richmondshire",
        "councils": ["York", "Ryedale", "Richmondshire"],
    }
    by_code = {r["areaCode"]: r for r in week_rows("York", "Ryedale", "Richmondshire")}
    for item in document["stories"]:
        for area in item["facts"]["areas"]:
            row = by_code[area["area_code"]]
            assert area["area_name"] == row["areaName"]
            assert area["ltla_name"] == row["LtlaName"]
            for field, column, kind in (
                ("cases", "newCasesBySpecimenDateRollingSum", int),
                ("rate", "newCasesBySpecimenDateRollingRate", float),
                ("change", "newCasesBySpecimenDateChange", int),
            ):
                expected = kind(row[column]) if row[column] else None
                assert area[field] == expected, (item["story"], area["area_name"], field)
            assert area["suppressed"] is (row["newCasesBySpecimenDateRollingSum"] == "")


def test_no_new_cases_copy_names_each_suppressed_area_under_its_council(run_cli: Run) -> None:
    result = run_cli(
        "draft",
        "--source",
        str(EXCERPT),
        "--patch",
        "York,Ryedale,Richmondshire",
        "--story",
        "no_new_cases",
        "--format",
        "json",
    )
    draft = story(result, "no_new_cases")
    suppressed = [
        (r["areaName"], r["LtlaName"])
        for r in week_rows("York", "Ryedale", "Richmondshire")
        if r["newCasesBySpecimenDateRollingSum"] == ""
    ]
    assert len(suppressed) == 4
    for name, council in suppressed:
        assert f"\n- {name}, {council}\n" in draft["text"] + "\n"
    assert draft["text"].startswith("FOUR neighbourhoods across York, Ryedale and Richmondshire")
    assert draft["headline"].startswith("4 areas of York, Ryedale and Richmondshire")
    assert draft["text"].count("\n- ") == 4
    assert not re.search(r"\b0 (new )?cases?\b", draft["text"])  # suppressed is never zero
    assert all(area["cases"] is None for area in draft["facts"]["areas"])


def test_one_suppressed_area_reads_in_the_singular(run_cli: Run) -> None:
    result = run_cli(
        "draft", "--source", str(EXCERPT), "--patch", "Ryedale", "--story", "no_new_cases"
    )
    assert result.exit_code == 0, result.stderr
    assert "ONE neighbourhood across Ryedale recorded" in result.stdout
    assert "1 area of Ryedale records" not in result.stdout
    assert "This is the one area where zero to two cases were reported" in result.stdout
    assert "\n- Helmsley & Ampleforth\n" in result.stdout  # one council: not repeated (issue 14)


def test_highest_rates_copy_prints_each_area_rate_and_count(run_cli: Run) -> None:
    result = run_cli(
        "draft",
        "--source",
        str(EXCERPT),
        "--patch",
        "Darlington,Hartlepool",
        "--story",
        "highest_rates",
        "--format",
        "json",
    )
    draft = story(result, "highest_rates")
    rows = week_rows("Darlington", "Hartlepool")
    ranked = sorted(rows, key=lambda r: -float(r["newCasesBySpecimenDateRollingRate"]))
    assert [a["area_name"] for a in draft["facts"]["areas"]] == [r["areaName"] for r in ranked[:20]]
    for row in ranked[:20]:
        block = (
            f"{row['areaName']}, {row['LtlaName']}"
            + r"( \*)?\n"
            + re.escape(
                f"{row['newCasesBySpecimenDateRollingRate']} cases per 100,000 people\n"
                f"{row['newCasesBySpecimenDateRollingSum']} new cases"
            )
        )
        assert re.search(block, draft["text"]), row["areaName"]
    total = sum(int(r["newCasesBySpecimenDateRollingSum"]) for r in rows)
    assert f"{total:,} cases among" in draft["text"]
    assert "No area's figure was suppressed this week." in draft["text"]
    average = draft["facts"]["patch_average"]
    assert (
        f"The average across Darlington and Hartlepool was {average:,.1f} cases per 100,000"
        in draft["text"]
    )


def test_roundup_lists_each_area_under_the_right_council(run_cli: Run) -> None:
    result = run_cli(
        "draft",
        "--source",
        str(EXCERPT),
        "--patch",
        "York,Richmondshire",
        "--story",
        "weekly_roundup",
    )
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    sections = dict(re.findall(r"\n(Richmondshire|York)\n((?:.+ - \d+ cases?\n)+)", text))
    assert set(sections) == {"Richmondshire", "York"}
    for council, listing in sections.items():
        expected = sorted(
            f"{r['areaName']} - {r['newCasesBySpecimenDateRollingSum']} cases"
            for r in week_rows(council)
            if r["newCasesBySpecimenDateRollingSum"]
        )
        assert listing.strip().split("\n") == expected
    assert (
        "Figures for three areas were suppressed (zero to two cases), so they are not listed."
        in text
    )
    listed = [
        r for r in week_rows("York", "Richmondshire") if r["newCasesBySpecimenDateRollingSum"]
    ]
    total = sum(int(r["newCasesBySpecimenDateRollingSum"]) for r in listed)
    assert f"Here are the {len(listed)} areas that recorded three or more cases" in text
    assert f"to November 25, {total:,} cases in all." in text


def test_rises_and_falls_copy(run_cli: Run) -> None:
    result = run_cli(
        "draft",
        "--source",
        str(EXCERPT),
        "--patch",
        "Darlington",
        "--story",
        "largest_falls",
        "--story",
        "largest_rises",
    )
    assert result.exit_code == 0, result.stderr
    # One council: it is not repeated after each area; no trailing ".0" (issue 14).
    assert "HUMMERSKNOTT saw the largest fall" in result.stdout
    assert "\nHummersknott\n27 new cases, down 20 from 47 (42.6%)\n" in result.stdout
    assert "\nWhinfield\n17 new cases, up 7 from 10 (70%)\n" in result.stdout
    assert "WHINFIELD saw the largest rise" in result.stdout


def test_a_rule_that_finds_nothing_yields_no_story_and_says_so(run_cli: Run) -> None:
    result = run_cli("draft", "--source", str(EXCERPT), "--patch", "Darlington")
    assert result.exit_code == 0
    assert "==== no_new_cases ====" not in result.stdout
    assert "no no_new_cases story: nothing to report" in result.stderr


def test_week_ending_picks_an_earlier_week_and_rejects_a_missing_one(run_cli: Run) -> None:
    result = run_cli(
        "draft",
        "--source",
        str(EXCERPT),
        "--patch",
        "Ryedale",
        "--week-ending",
        "2020-11-18",
        "--format",
        "json",
    )
    assert result.json()["week_ending"] == "2020-11-18"
    missing = run_cli("draft", "--source", str(EXCERPT), "--week-ending", "2020-11-19")
    assert missing.exit_code == 1
    assert missing.stderr.strip().startswith("patchbot: error: --week-ending 2020-11-19: not in")


def test_out_writes_one_file_per_story(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "draft", "--source", str(EXCERPT), "--patch", "York", "--out", str(tmp_path / "drafts")
    )
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "drafts").iterdir() if p.suffix == ".txt")
    assert written == [
        "highest_rates.txt",
        "largest_falls.txt",
        "largest_rises.txt",
        "no_new_cases.txt",
        "weekly_roundup.txt",
    ]
    roundup = (tmp_path / "drafts" / "weekly_roundup.txt").read_text()
    drafts = run_cli("draft", "--source", str(EXCERPT), "--patch", "York", "--format", "json")
    expected = story(drafts, "weekly_roundup")
    assert roundup == f"{expected['headline']}\n\n{expected['text']}\n"


def test_unknown_council_is_one_clear_line(run_cli: Run) -> None:
    result = run_cli("draft", "--patch", "Darlington,Newcastle")
    assert result.exit_code == 1
    assert result.stderr == (
        "patchbot: error: patch: unknown council 'Newcastle'; did you mean "
        "'Newcastle upon Tyne' or 'Newcastle-under-Lyme'? A council can also be given by its ONS "
        "code (E08000021 is Newcastle upon Tyne).\n"
    )


def test_settings_come_from_a_dotenv_file(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"PATCHBOT_SOURCE={EXCERPT}\nPATCHBOT_PATCH=Ryedale\n")
    result = run_cli("draft", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["patch"]["councils"] == ["Ryedale"]


@pytest.mark.process
def test_python_dash_m_bot_works() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "draft" in done.stdout


def test_an_edited_excerpt_with_a_missing_area_says_no_figures(
    run_cli: Run, tmp_path: Path
) -> None:
    rows = [r for r in read_rows() if not (r["areaName"] == "New Earswick" and r["date"] == WEEK)]
    source = write_rows(tmp_path / "edited.csv", rows)
    result = run_cli("draft", "--source", str(source), "--patch", "York", "--story", "no_new_cases")
    assert "\n- Bishopthorpe & Copmanthorpe\n" in result.stdout
    assert "New Earswick" not in result.stdout
    assert "No figures were published for one other area in York this week." in result.stdout


def test_out_writes_the_charts_and_the_map(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "drafts"
    result = run_cli("draft", "--source", str(EXCERPT), "--patch", "York", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    pictures = sorted(p.name for p in out.glob("*.png"))
    assert pictures == [
        "2020-11-25_highest_rates_york.png",
        "2020-11-25_largest_falls_york.png",
        "2020-11-25_largest_rises_york.png",
        "2020-11-25_patch_map_york.png",
    ]
    for name in pictures:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plain = run_cli(
        *("draft", "--source", str(EXCERPT), "--patch", "York", "--out", str(tmp_path / "text")),
        "--no-pictures",
    )
    assert plain.exit_code == 0
    assert not list((tmp_path / "text").glob("*.png"))


def test_areas_sharing_first_place_are_named_together(run_cli: Run) -> None:
    # Real figures, week to 2020-11-25: Hatch Warren (23 to 9) and Woolton Hill, Burghclere &
    # Bishops Green both fell by 14 cases.
    result = run_cli("draft", "--patch", "Basingstoke and Deane", "--story", "largest_falls")
    assert result.exit_code == 0, result.stderr
    assert (
        "TWO areas shared the largest fall in Covid-19 cases in Basingstoke and Deane in the "
        "week to November 25, according to Public Health England data, with cases down by 14 "
        "in each: Hatch Warren and Woolton Hill, Burghclere & Bishops Green."
    ) in result.stdout


def test_highest_rates_counts_every_area_above_the_line(run_cli: Run) -> None:
    result = run_cli(
        "draft", "--patch", "North West", "--story", "highest_rates", "--format", "json"
    )
    facts = story(result, "highest_rates")["facts"]
    listed = facts["areas"]
    assert len(listed) == 20
    assert facts["listed_above_threshold_count"] == 20
    assert facts["above_threshold_count"] == 53  # more areas above twice the average than listed
    assert story(result, "highest_rates")["headline"].startswith(
        "53 areas of the North West have Covid-19 rates more than twice the average"
    )


def test_a_region_takes_the_article(run_cli: Run) -> None:
    result = run_cli("draft", "--patch", "North East", "--story", "no_new_cases")
    assert "across the North East recorded" in result.stdout
    london = run_cli("draft", "--patch", "London", "--story", "weekly_roundup")
    assert "neighbourhoods across London recorded" in london.stdout


def test_an_earlier_week_is_not_called_the_latest(run_cli: Run) -> None:
    result = run_cli("draft", "--week-ending", "2020-10-14", "--story", "no_new_cases")
    assert "The latest data" not in result.stdout
    assert (
        "These figures cover the seven days from October 8 to October 14, as published by "
        "Public Health England on November 30."
    ) in result.stdout


def test_a_council_without_figures_is_left_out_of_the_average(run_cli: Run) -> None:
    result = run_cli("draft", "--source", str(EXCERPT), "--patch", "York, Sunderland",
                     "--story", "highest_rates")  # fmt: skip
    from bot.geography import load_geography

    areas = load_geography().areas
    sunderland = sum(area.ltla_name == "Sunderland" for area in areas)  # none in the excerpt
    assert sunderland == 36
    assert (
        f"No figures were published for {sunderland} areas, which are left out of the average."
        in (result.stdout)
    )
