"""Bad input never reaches a rule: each damage to a real excerpt is one clear line, exit 1."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.helpers import EXCERPT, ROOT, Run, read_rows, write_rows

HEADER = EXCERPT.read_text().splitlines()[0]
BODY = EXCERPT.read_text().splitlines()[1:]


def edited(tmp_path: Path, column: str, value: str, index: int = 5) -> Path:
    rows = read_rows()
    rows[index][column] = value
    return write_rows(tmp_path / "damaged.csv", rows)


def draft_error(run_cli: Run, source: Path) -> str:
    result = run_cli("draft", "--source", str(source), "--patch", "York")
    assert result.exit_code == 1
    assert result.stdout == ""  # nothing half-drafted
    assert result.stderr.count("\n") == 1, result.stderr  # exactly one line
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"patchbot: error: {source}: ")
    return result.stderr.removeprefix(f"patchbot: error: {source}: ").strip()


def test_missing_column(run_cli: Run, tmp_path: Path) -> None:
    rows = read_rows()
    header = [c for c in rows[0] if c != "newCasesBySpecimenDateChange"]
    source = write_rows(tmp_path / "damaged.csv", [{k: r[k] for k in header} for r in rows], header)
    assert draft_error(run_cli, source) == "missing column(s): newCasesBySpecimenDateChange"


def test_renamed_column_suggests_the_new_name(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "renamed.csv"
    source.write_text(
        EXCERPT.read_text().replace("newCasesBySpecimenDateRollingSum", "newCasesRollingSum", 1)
    )
    assert draft_error(run_cli, source) == (
        "missing column(s): newCasesBySpecimenDateRollingSum (found 'newCasesRollingSum' instead?)"
    )


def test_text_in_a_count(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "newCasesBySpecimenDateRollingSum", "twelve"))
    rows = read_rows()
    assert message == (
        f"line 7 ({rows[5]['areaCode']}, {rows[5]['date']}): "
        "newCasesBySpecimenDateRollingSum 'twelve' is not a whole number"
    )


def test_fractional_count(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "newCasesBySpecimenDateRollingSum", "12.5"))
    assert message.endswith("newCasesBySpecimenDateRollingSum '12.5' is not a whole number")


def test_negative_count(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "newCasesBySpecimenDateRollingSum", "-4"))
    assert message.endswith("newCasesBySpecimenDateRollingSum -4 is negative")


def test_text_in_a_rate(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "newCasesBySpecimenDateRollingRate", "high"))
    assert message.endswith("newCasesBySpecimenDateRollingRate 'high' is not a number")


def test_duplicated_rows(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "dup.csv"
    source.write_text("\n".join([HEADER, *BODY, BODY[3]]) + "\n")
    message = draft_error(run_cli, source)
    assert message.startswith("line 5 (")
    assert message.endswith(
        "duplicated row: this area and week appear more than once (and 1 more row)"
    )


def test_future_date(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "date", "2099-01-06"))
    assert "date 2099-01-06 is in the future (today is " in message


def test_bad_date(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "date", "25/11/2020"))
    assert message.endswith("date '25/11/2020' is not a YYYY-MM-DD date")


def test_header_only(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "header.csv"
    source.write_text(HEADER + "\n")
    assert draft_error(run_cli, source) == "the file has a header but no rows"


def test_empty_file(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    assert draft_error(run_cli, source) == "the file is empty"


def test_truncated_file(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "cut.csv"
    text = EXCERPT.read_text()
    source.write_text(text[: len(text) // 2])  # cut mid-row, as a dropped download would be
    message = draft_error(run_cli, source)
    cut_line = text[: len(text) // 2].count("\n") + 1  # the header is line 1
    assert message.startswith(f"not a readable CSV: line {cut_line}: Expected 14 columns, got 8")


def test_random_bytes(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "noise.csv"
    source.write_bytes(bytes(range(256)) * 8)
    message = draft_error(run_cli, source)
    assert message == "not a text CSV file (undecodable byte at offset 128)"


def test_html_error_page(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "error.csv"
    source.write_text("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")
    assert draft_error(run_cli, source) == "got an HTML/XML page, not PHE's CSV"


def test_wrong_area_type(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "areaType", "ltla"))
    assert message.endswith("areaType 'ltla' is not msoa (Patchbot reads neighbourhood data)")


def test_missing_file(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("draft", "--source", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert result.stderr == f"patchbot: error: source: file not found: {tmp_path / 'nope.csv'}\n"


def test_gzipped_file_reads_like_the_plain_one(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "msoa_2020-11-30.csv.gz"
    source.write_bytes(gzip.compress(EXCERPT.read_bytes()))
    plain = run_cli("draft", "--source", str(EXCERPT), "--patch", "York", "--format", "json")
    packed = run_cli("draft", "--source", str(source), "--patch", "York", "--format", "json")
    assert packed.exit_code == 0, packed.stderr
    assert packed.json() == plain.json()


def test_damaged_gzip(run_cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv.gz"
    source.write_bytes(gzip.compress(EXCERPT.read_bytes())[:200])
    assert draft_error(run_cli, source) == "damaged gzip file"


def test_legacy_minus_99_means_suppressed(run_cli: Run, tmp_path: Path) -> None:
    rows = read_rows()
    for row in rows:
        if row["areaName"] == "New Earswick" and row["date"] == "2020-11-25":
            assert row["newCasesBySpecimenDateRollingSum"] == ""
            row["newCasesBySpecimenDateRollingSum"] = "-99"
            row["newCasesBySpecimenDateRollingRate"] = "-99"
    source = write_rows(tmp_path / "legacy.csv", rows)
    result = run_cli("draft", "--source", str(source), "--patch", "York", "--story", "no_new_cases")
    assert "\n- New Earswick\n" in result.stdout  # one council: not repeated (issue 14)


@pytest.mark.parametrize("value", ["", " "])
def test_empty_area_code(run_cli: Run, tmp_path: Path, value: str) -> None:
    message = draft_error(run_cli, edited(tmp_path, "areaCode", value))
    assert message.endswith("areaCode is empty")


def test_rate_that_does_not_match_cases_and_population(run_cli: Run, tmp_path: Path) -> None:
    rows = read_rows()
    assert (rows[0]["areaName"], rows[0]["newCasesBySpecimenDateRollingRate"]) == (
        "Clavering",
        "419.1",
    )
    message = draft_error(
        run_cli, edited(tmp_path, "newCasesBySpecimenDateRollingRate", "491.1", 0)
    )
    assert message == (
        "line 2 (E02002483, 2020-11-25): rate 491.1 does not match 43 cases among 10,261 people "
        "(419.1 expected)"
    )


def test_change_that_does_not_match_the_week_before(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "newCasesBySpecimenDateChange", "-15", 0))
    # Clavering: 43 cases to 2020-11-25, 59 the week before: the change is -16, not -15.
    assert message == (
        "line 2 (E02002483, 2020-11-25): change -15 does not match 43 cases against 59 the week "
        "before"
    )


def test_a_week_with_far_fewer_areas_is_a_truncated_download(run_cli: Run, tmp_path: Path) -> None:
    rows = [r for r in read_rows() if not (r["date"] == "2020-11-18" and r["LtlaName"] == "York")]
    message = draft_error(run_cli, write_rows(tmp_path / "short.csv", rows))
    assert message == (
        "the week ending 2020-11-18 has only 39 rows against 63 in other weeks "
        "(a truncated or partial download?)"
    )


def test_stale_data(run_cli: Run, tmp_path: Path) -> None:
    rows = [r for r in read_rows() if r["date"] == "2020-11-11"]
    source = write_rows(tmp_path / "msoa_2020-11-30.csv", rows)
    message = draft_error(run_cli, source)
    assert message == (
        "stale data: the newest week ends 2020-11-11 but the data was published 2020-11-30"
    )


def test_an_area_code_not_in_the_lookup(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "areaCode", "E02999999", 0))
    assert message == (
        "line 2 (E02999999, 2020-11-25): areaCode E02999999 is not an England MSOA (2011) in the "
        "lookup"
    )


def test_an_area_under_the_wrong_council_code(run_cli: Run, tmp_path: Path) -> None:
    message = draft_error(run_cli, edited(tmp_path, "LtlaCode", "E06000005", 0))
    assert message == (
        "line 2 (E02002483, 2020-11-25): LtlaCode E06000005 is not the council of E02002483 "
        "(Hartlepool, E06000001)"
    )


@pytest.mark.parametrize("value", ["N/A", "NULL", "nan", "NaN"])
def test_a_null_word_in_a_count_is_not_suppressed(run_cli: Run, tmp_path: Path, value: str) -> None:
    message = draft_error(run_cli, edited(tmp_path, "newCasesBySpecimenDateRollingSum", value))
    assert message.endswith(f"newCasesBySpecimenDateRollingSum {value!r} is not a whole number")


def test_an_extra_column_whose_later_rows_change_kind_is_ignored(
    run_cli: Run, tmp_path: Path
) -> None:
    """The file is read batch by batch: a column Patchbot does not use is text throughout, not
    guessed from the first rows (numbers) and then refused where it holds words."""
    (sample,) = (ROOT / "bot" / "data" / "sample").glob("*.csv.gz")
    lines = gzip.decompress(sample.read_bytes()).decode().splitlines()
    extra = [f"{lines[0]},note", *(f"{line},1" for line in lines[1:-1]), f"{lines[-1]},see text"]
    source = tmp_path / sample.name
    source.write_bytes(gzip.compress("\n".join(extra).encode() + b"\n"))
    bundled = run_cli("draft", "--patch", "York", "--format", "json")
    noted = run_cli("draft", "--source", str(source), "--patch", "York", "--format", "json")
    assert noted.exit_code == 0, noted.stderr
    assert noted.json()["stories"] == bundled.json()["stories"]
    assert len(lines) > 40_000  # several of Arrow's batches, so a later batch can disagree
