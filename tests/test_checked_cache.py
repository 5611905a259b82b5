"""A release's rows are checked once: later runs on the same bytes read the checked table back
(``bot.sources.checked``), and nothing about that lets a bad file through or makes a run fail."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from bot.sources import SourceOptions, checked
from bot.sources.files import read_file
from tests.helpers import EXCERPT, Run, read_rows, write_rows

WEEK = "2020-11-25"
HEWORTH = "Heworth South & The Groves"
MAX_BYTES = SourceOptions().http.max_bytes  # what the run inflates a file up to


def state(tmp_path: Path) -> dict[str, str]:
    return {"PATCHBOT_STATE_DIR": str(tmp_path / "state")}


def kept(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state" / "checked").glob(f"*/{checked.TABLE}"))


def draft(run_cli: Run, source: Path, env: dict[str, str]) -> tuple[int, str, str]:
    result = run_cli("-v", "draft", "--source", str(source), "--patch", "York", env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_second_run_on_the_same_file_reads_the_checked_table_back(
    run_cli: Run, tmp_path: Path
) -> None:
    first = draft(run_cli, EXCERPT, state(tmp_path))
    assert first[0] == 0, first[2]
    assert "checked_table_reused" not in first[2]
    assert len(kept(tmp_path)) == 1
    second = draft(run_cli, EXCERPT, state(tmp_path))
    assert second[0] == 0, second[2]
    assert "step=checked_table_reused" in second[2]
    assert second[1] == first[1]  # the same copy, word for word
    assert HEWORTH in second[1]


def test_a_changed_file_is_checked_again_and_a_bad_one_refused(
    run_cli: Run, tmp_path: Path
) -> None:
    assert draft(run_cli, EXCERPT, state(tmp_path))[0] == 0
    rows = read_rows()
    for row in rows:
        if row["areaName"] == HEWORTH and row["date"] == WEEK:
            row["newCasesBySpecimenDateRollingRate"] = "999.9"  # not its cases per 100,000
    bad = write_rows(tmp_path / "msoa_2020-11-30.csv", rows)
    code, _out, err = draft(run_cli, bad, state(tmp_path))
    assert code == 1
    assert "rate 999.9 does not match" in err
    assert "checked_table_reused" not in err


def test_a_damaged_checked_table_is_checked_again(run_cli: Run, tmp_path: Path) -> None:
    first = draft(run_cli, EXCERPT, state(tmp_path))
    (table,) = kept(tmp_path)
    index = table.with_name(checked.INDEX)
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])  # a torn write
    again = draft(run_cli, EXCERPT, state(tmp_path))
    assert again[0] == 0, again[2]
    assert "step=checked_table_unreadable" in again[2]
    assert again[1] == first[1]
    assert draft(run_cli, EXCERPT, state(tmp_path))[2].count("checked_table_reused") == 1


def test_a_damaged_week_is_taken_from_the_checked_table_again(run_cli: Run, tmp_path: Path) -> None:
    first = draft(run_cli, EXCERPT, state(tmp_path))
    (table,) = kept(tmp_path)
    week = table.with_name(f"week-{WEEK}.json")
    week.write_text('{"area_code": ["E02002183"]}')  # JSON, but not the week
    again = draft(run_cli, EXCERPT, state(tmp_path))
    assert again[0] == 0, again[2]
    assert "step=checked_week_unreadable" in again[2]
    assert again[1] == first[1]
    assert '"area_code":["E02' in week.read_text()  # kept whole again


def test_a_damaged_table_with_a_week_not_kept_is_read_from_the_file_again(
    run_cli: Run, tmp_path: Path
) -> None:
    first = draft(run_cli, EXCERPT, state(tmp_path))
    (table,) = kept(tmp_path)
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])  # a torn write
    table.with_name(f"week-{WEEK}.json").unlink()
    again = draft(run_cli, EXCERPT, state(tmp_path))
    assert again[0] == 0, again[2]
    assert "step=checked_table_unreadable" in again[2]
    assert again[1] == first[1]


def test_a_run_on_a_file_checked_before_needs_neither_pyarrow_nor_numpy(tmp_path: Path) -> None:
    """The point of keeping a week: importing pyarrow and numpy is most of a short run."""
    script = (
        "import sys; from bot.cli import cli; "
        "cli(['draft', '--source', sys.argv[1], '--patch', 'York'], standalone_mode=False); "
        "print('loaded:', sorted({'pyarrow', 'numpy'} & set(sys.modules)))"
    )
    env = {**os.environ, **state(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, str(EXCERPT)], env=env, capture_output=True, text=True,
            timeout=60, check=True,
        ).stdout
        for _ in range(2)
    ]  # fmt: skip
    assert "loaded: ['numpy', 'pyarrow']" in runs[0]  # the first run reads and checks the file
    assert "loaded: []" in runs[1]
    assert runs[1].replace("loaded: []", "") == runs[0].replace("loaded: ['numpy', 'pyarrow']", "")


def test_a_state_folder_that_cannot_be_written_only_means_checking_again(
    run_cli: Run, tmp_path: Path
) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "checked").write_text("a file where the folder should be")
    code, out, err = draft(run_cli, EXCERPT, state(tmp_path))
    assert code == 0, err
    assert "step=checked_table_not_kept" in err
    assert HEWORTH in out


def test_a_full_disk_only_means_checking_again(run_cli: Run, tmp_path: Path) -> None:
    source = write_rows(tmp_path / "copy.csv", read_rows())
    name = checked.key(read_file(source, MAX_BYTES), "phe-csv")
    folder = tmp_path / "state" / "checked"
    folder.mkdir(parents=True)
    # What the run writes goes to a device that is always full (this process: CliRunner).
    partial = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.partial"
    partial.mkdir()
    os.symlink("/dev/full", partial / checked.TABLE)
    code, out, err = draft(run_cli, source, state(tmp_path))
    assert code == 0, err
    assert "step=checked_table_not_kept" in err
    assert kept(tmp_path) == []
    assert HEWORTH in out


def test_a_week_that_cannot_be_kept_is_drafted_all_the_same(run_cli: Run, tmp_path: Path) -> None:
    first = draft(run_cli, EXCERPT, state(tmp_path))
    (table,) = kept(tmp_path)
    week = table.with_name(f"week-{WEEK}.json")
    week.unlink()
    os.symlink(
        "/dev/full", week.with_name(f".{week.name}.{os.getpid()}.{threading.get_ident()}.partial")
    )
    again = draft(run_cli, EXCERPT, state(tmp_path))
    assert again[0] == 0, again[2]
    assert "step=checked_week_not_kept" in again[2]
    assert again[1] == first[1]
    assert not week.exists()


def test_only_the_newest_few_checked_tables_are_kept(run_cli: Run, tmp_path: Path) -> None:
    rows = read_rows()
    for copy in range(checked.KEEP + 2):
        source = write_rows(tmp_path / f"copy{copy}.csv", rows)
        source.write_bytes(source.read_bytes() + b"\n" * (copy + 1))  # other bytes, same rows
        assert draft(run_cli, source, state(tmp_path))[0] == 0
    assert len(kept(tmp_path)) == checked.KEEP


def test_every_council_drafts_the_same_from_the_kept_weeks(run_cli: Run, tmp_path: Path) -> None:
    def every_council() -> str:
        result = run_cli("draft", "--each-council", "--source", str(EXCERPT), "--format", "json",
                         "--week-ending", "2020-11-18", env=state(tmp_path))  # fmt: skip
        assert result.exit_code == 0, result.stderr
        return result.stdout

    first = every_council()  # read and checked: drafted from the Arrow table
    assert kept(tmp_path)[0].with_name("week-2020-11-18.json").is_file()
    assert every_council() == first  # drafted from the week kept as JSON
    assert '"area_name": "Heworth South & The Groves"' in first
