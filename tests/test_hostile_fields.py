"""Every field checked (issue 12): a -99 change is a change, not a suppressed figure; a count
and its rate, and a change and its percentage, come together and agree; numbers fit; names are
plain text of a sensible length; mrkdwn markup in a name reaches Slack as plain characters.
Each hostile row is a real row of the excerpt, edited; a Hypothesis property holds the reader
to the rules whatever the values and names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.errors import PatchbotError
from bot.sources.field_rules import MAX_NAME_LENGTH, UNSAFE_CHARACTER
from tests.fakes.slack_api import FakeSlack
from tests.helpers import Run, cases_from, read_rows, top_level, write_rows

CASES, RATE = "newCasesBySpecimenDateRollingSum", "newCasesBySpecimenDateRollingRate"
CHANGE, CHANGE_PCT = "newCasesBySpecimenDateChange", "newCasesBySpecimenDateChangePercentage"
CLAVERING = "line 2 (E02002483, 2020-11-25)"  # the excerpt's first row: 43 cases, rate 419.1


def refusal(run_cli: Run, tmp_path: Path, **cells: str) -> str:
    """The one line refusing the excerpt with the first row's ``cells`` changed."""
    return refusal_of_rows(run_cli, tmp_path, {0: cells})


def refusal_of_rows(run_cli: Run, tmp_path: Path, edits: dict[int, dict[str, str]]) -> str:
    """The one line refusing the excerpt with cells changed (by row index, from 0)."""
    rows = read_rows()
    for index, cells in edits.items():
        rows[index].update(cells)
    source = write_rows(tmp_path / "hostile.csv", rows)
    done = run_cli("draft", "--source", str(source), "--patch", "Hartlepool")
    assert done.exit_code == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"patchbot: error: {source}: ")
    return done.stderr.removeprefix(f"patchbot: error: {source}: ").strip()


def test_a_fall_of_99_cases_is_a_fall_in_the_copy(run_cli: Run) -> None:
    # City Centre & Trent Bridge, Nottingham: 169 cases to 2020-10-14, 70 to 2020-10-21.
    for patch in ("East Midlands", "Nottingham"):
        args = ("--patch", patch, "--week-ending", "2020-10-21", "--story", "largest_falls")
        done = run_cli("draft", *args)
        assert done.exit_code == 0, done.stderr
        assert "City Centre & Trent Bridge" in done.stdout
        assert "70 new cases, down 99 from 169 (58.6%)" in done.stdout
    # Nottingham's list, biggest fall first: 99 has its place, after 101 and before 32.
    falls = [int(fall) for fall in re.findall(r"down (\d+) from", done.stdout)]
    assert falls == sorted(falls, reverse=True)
    assert falls[falls.index(99) - 1 : falls.index(99) + 2] == [101, 99, 32]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({RATE: ""}, f"{CASES} is 43 but {RATE} is blank: both are published, or both suppressed "
                     "(blank)"),
        ({CASES: ""}, f"{CASES} is blank but {RATE} is 419.1: both are published, or both "
                      "suppressed (blank)"),
        ({CHANGE_PCT: ""}, f"{CHANGE} is -16 but {CHANGE_PCT} is blank: both are published, or "
                           "both suppressed (blank)"),
        ({CHANGE_PCT: "-55.5"}, f"{CHANGE_PCT} -55.5 does not match a change of -16 from 59 "
                                "cases (-27.1 expected)"),
        ({CHANGE_PCT: "9" * 400}, f"{CHANGE_PCT} inf is not a finite number"),
        ({CASES: "9" * 30}, f"{CASES} {'9' * 20}... (30 characters) is too large: 12 digits at "
                            "most"),
        ({CHANGE: "-" + "9" * 19}, f"{CHANGE} -{'9' * 19}... (20 characters) is too large: 12 "
                                   "digits at most"),
        ({CASES: "92233720368548"}, f"{CASES} 92233720368548... (14 characters) is too large: 12 "
                                    "digits at most"),
        ({"areaName": "Claver\x00ing"}, "areaName 'Claver\\x00ing' contains a control, "
         "bidirectional or zero-width character (U+0000): names must be plain text"),
        ({"areaName": "Clav\u202eering"}, "areaName 'Clav\\u202eering' contains a control, "
         "bidirectional or zero-width character (U+202E): names must be plain text"),
        ({"LtlaName": "Hartle\u200bpool"}, "LtlaName 'Hartle\\u200bpool' contains a control, "
         "bidirectional or zero-width character (U+200B): names must be plain text"),
        ({"areaName": "A" * 5000}, f"areaName is 5,000 characters long (at most "
         f"{MAX_NAME_LENGTH}): '{'A' * 40}'..."),
    ],
)  # fmt: skip
def test_a_hostile_field_is_one_line(
    run_cli: Run, tmp_path: Path, cells: dict[str, str], message: str
) -> None:
    assert refusal(run_cli, tmp_path, **cells) == f"{CLAVERING}: {message}"


# Clavering, the week to 2020-11-11: the excerpt's earliest week, so no change there can be
# checked against the week before it; 70 cases, a change of 24 (52.2%).
CLAVERING_EARLIEST = 126


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({0: {"regionName": "North\x1bEast"}}, f"{CLAVERING}: regionName 'North\\x1bEast' "
         "contains a control, bidirectional or zero-width character (U+001B): names must be "
         "plain text"),
        ({0: {"UtlaName": "Hartle\u2066pool"}}, f"{CLAVERING}: UtlaName 'Hartle\\u2066pool' "
         "contains a control, bidirectional or zero-width character (U+2066): names must be "
         "plain text"),
        ({0: {"regionName": "N" * 201}}, f"{CLAVERING}: regionName is 201 characters long (at "
         f"most {MAX_NAME_LENGTH}): '{'N' * 40}'..."),
        ({0: {"UtlaName": "H" * 300}}, f"{CLAVERING}: UtlaName is 300 characters long (at most "
         f"{MAX_NAME_LENGTH}): '{'H' * 40}'..."),
        ({0: {"LtlaName": "H" * 1000}}, f"{CLAVERING}: LtlaName is 1,000 characters long (at "
         f"most {MAX_NAME_LENGTH}): '{'H' * 40}'..."),
        # A suppressed count has no expected rate, so only this rule sees the rate's overflow.
        ({0: {CASES: "", RATE: "9" * 400}}, f"{CLAVERING}: {RATE} inf is not a finite number"),
        ({0: {CHANGE: ""}}, f"{CLAVERING}: {CHANGE} is blank but {CHANGE_PCT} is -27.1: both are "
         "published, or both suppressed (blank)"),
        ({0: {CASES: "", RATE: ""}}, f"{CLAVERING}: {CHANGE} is -16 but {CASES} is blank "
         "(suppressed): a change needs this week's count"),
        ({CLAVERING_EARLIEST: {CHANGE: "70"}}, "line 128 (E02002483, 2020-11-11): "
         f"{CHANGE} 70 is not less than the 70 cases it changed to, so there is no week before "
         f"for {CHANGE_PCT} 52.2"),
        # The first row that breaks a rule is named, not the longest name or the last row...
        ({7: {"areaName": "Z" * 201}, 3: {"areaName": "Y" * 202}}, "line 5 (E02002487, "
         f"2020-11-25): areaName is 202 characters long (at most {MAX_NAME_LENGTH}): "
         f"'{'Y' * 40}'..."),
        # ...and the rules run in their order: a name before a percentage, whatever the rows.
        ({0: {CHANGE_PCT: "-55.5"}, 5: {"regionName": "North\u200eEast"}}, "line 7 "
         "(E02002489, 2020-11-25): regionName 'North\\u200eEast' contains a control, "
         "bidirectional or zero-width character (U+200E): names must be plain text"),
    ],
)  # fmt: skip
def test_each_row_rule_refuses_the_first_row_breaking_it(
    run_cli: Run, tmp_path: Path, edits: dict[int, dict[str, str]], message: str
) -> None:
    assert refusal_of_rows(run_cli, tmp_path, edits) == message


@pytest.mark.process
def test_the_row_rules_load_without_pandas() -> None:
    # Issue 18: importing pandas alone costs a draft 0.3 s of CPU.
    probe = "import sys, bot.sources.field_rules; print('pandas' in sys.modules)"
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"


def test_markup_in_a_name_reaches_slack_as_plain_characters(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    rows = read_rows()
    for row in rows:
        if row["areaName"] == "New Earswick":
            row["areaName"] = "*New* _Earswick_ ~old~ `code`"
    source = write_rows(tmp_path / "markup.csv", rows)
    args = ("--source", str(source), "--patch", "York, Ryedale", "--story", "no_new_cases")
    done = run_cli("post", *args, env=env)
    assert done.exit_code == 0, done.stderr
    (message,) = top_level(slack)
    body = json.dumps(message.blocks, ensure_ascii=False) + message.text
    zw = "\u200b"
    assert (
        f"{zw}*{zw}New{zw}*{zw} {zw}_{zw}Earswick{zw}_{zw} {zw}~{zw}old{zw}~{zw} {zw}`{zw}code"
        f"{zw}`{zw}, York" in body
    )
    assert "*New*" not in body
    assert "_Earswick_" not in body
    # The rest of the copy is as it always was: no zero-width space where no name has markup.
    assert body.count(zw) == 16 * body.count("Earswick")  # each of 8 marks, either side


# -- the property: whatever the cells, one line or a table that keeps every rule

keep = st.none()  # the row's own, real value
numbers = st.one_of(
    st.sampled_from(["", "-99", "0", "43", "419.1", "-16", "-27.1", "9" * 19, "9" * 400, "1e3"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
names = st.one_of(
    keep,
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=220),
    st.sampled_from(["Park\u202eEast", "Park\u2066East", "Park\ufeffEast", "Park\x7fEast",
                     "*Park* _East_", "P" * (MAX_NAME_LENGTH + 1), "P" * MAX_NAME_LENGTH]),
)  # fmt: skip


def read_or_refusal(rows: list[dict[str, str]]) -> pa.Table | str:
    """The tidy table, or the one line refusing the file."""
    try:
        return cases_from(rows).arrow
    except PatchbotError as error:
        return str(error)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.dictionaries(st.sampled_from([CASES, RATE, CHANGE, CHANGE_PCT]), numbers, max_size=2),
    name=names,
    row=st.integers(min_value=0, max_value=59),
)
def test_any_cells_are_refused_in_one_line_or_read_consistently(
    cells: dict[str, str], name: str | None, row: int
) -> None:
    rows = read_rows()
    rows[row].update(cells if name is None else {**cells, "areaName": name})
    result = read_or_refusal(rows)
    event("refused" if isinstance(result, str) else "read")
    if isinstance(result, str):
        assert "\n" not in result
        assert result.startswith("excerpt.csv: line ")
        return
    table = result
    got = table.slice(row, 1).to_pylist()[0]
    assert (got["cases"] is None) == (got["rate"] is None)
    assert (got["change"] is None) == (got["change_pct"] is None)
    assert UNSAFE_CHARACTER.search(got["area_name"]) is None
    assert len(got["area_name"]) <= MAX_NAME_LENGTH
    if got["change"] is not None:
        before = got["cases"] - got["change"]
        assert before > 0
        assert abs(got["change_pct"] - got["change"] * 100 / before) <= 0.06
