"""Revisions and retries through the ledger: the latest figures win, corrections stack in
one thread, nothing reaches Slack twice, settings changes are not passed off as PHE's."""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from bot.geography import load_geography
from tests.fakes.slack_api import FakeSlack, Message
from tests.helpers import (
    FIRST,
    REVISED,
    Run,
    patchbot_process,
    read_rows,
    replies,
    top_level,
    write_rows,
)

ARGS = ("--patch", "Ryedale", "--week-ending", "2020-11-18", "--story", "highest_rates")


def one_decimal(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def bumped(source: Path, target: Path, area: str, week: str, by: int) -> Path:
    """A consistent revision: one area's count moved, with its rate and both changes."""
    population = {area.area_name: area.population for area in load_geography().areas}
    rows = read_rows(source)
    people = int(population[area])
    later = {"2020-11-11": "2020-11-18", "2020-11-18": "2020-11-25"}[week]
    counts = {r["date"]: r for r in rows if r["areaName"] == area}
    row = counts[week]
    cases = int(row["newCasesBySpecimenDateRollingSum"]) + by
    row["newCasesBySpecimenDateRollingSum"] = str(cases)
    row["newCasesBySpecimenDateRollingRate"] = one_decimal(Decimal(cases * 100_000) / people)
    for this, change in ((row, by), (counts.get(later), -by)):
        if this is None or not this["newCasesBySpecimenDateChange"]:
            continue
        now = int(this["newCasesBySpecimenDateRollingSum"])
        moved = int(this["newCasesBySpecimenDateChange"]) + change
        this["newCasesBySpecimenDateChange"] = str(moved)
        this["newCasesBySpecimenDateChangePercentage"] = one_decimal(
            Decimal(moved * 100) / (now - moved)
        )
    return write_rows(target, rows)


def stories(slack: FakeSlack) -> list[Message]:
    return top_level(slack)


def corrections(slack: FakeSlack, parent: Message) -> list[Message]:
    """The corrections in a story's thread (each a post's main message), oldest first."""
    return [
        m
        for m in replies(slack, parent)
        if m.metadata and m.metadata["event_payload"]["part"] == "main"
    ]


def test_corrections_stack_and_a_revert_is_corrected_too(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    third = bumped(REVISED, tmp_path / "msoa_2020-12-01.csv", "Malton & Norton", "2020-11-18", 3)
    assert run_cli("post", "--source", str(FIRST), *ARGS, env=env).exit_code == 0
    (original,) = stories(slack)
    assert "1 corrected" in run_cli("post", "--source", str(REVISED), *ARGS, env=env).stderr
    assert "1 corrected" in run_cli("post", "--source", str(third), *ARGS, env=env).stderr
    first_fix, second_fix = corrections(slack, original)
    assert original.edits == 1  # marked REVISED once
    assert first_fix.edits == 1  # the first correction is out of date too: marked REVISED
    assert first_fix.blocks[0]["text"]["text"].startswith(":warning: *REVISED*")
    assert second_fix.edits == 0  # the latest stands
    # PHE goes back to the first figures (a later release): that is a correction as well.
    back = tmp_path / "msoa_2020-12-02.csv"
    shutil.copy(FIRST, back)
    assert "1 corrected" in run_cli("post", "--source", str(back), *ARGS, env=env).stderr
    assert len(corrections(slack, original)) == 3
    assert len(stories(slack)) == 1  # never a second story in the channel


def test_the_latest_figures_win_over_a_version_never_sent(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    slack.fail_always("chat.postMessage", "500")
    assert run_cli("post", "--source", str(FIRST), *ARGS, env=env).exit_code == 3
    assert run_cli("post", "--source", str(REVISED), *ARGS, env=env).exit_code == 3
    slack.clear_faults()
    result = run_cli("post", "--source", str(FIRST), *ARGS, env=env)
    assert "Slack: 1 posted, 0 corrected" in result.stderr
    (story,) = stories(slack)
    first = run_cli("draft", "--source", str(FIRST), *ARGS, "--format", "json").json()
    assert story.blocks[0]["text"]["text"] == first["stories"][0]["headline"]
    assert corrections(slack, story) == []


def test_a_half_sent_story_is_finished_then_corrected_never_doubled(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    slack.fail_always("files.getUploadURLExternal", "500")  # the message goes, its file does not
    assert run_cli("post", "--source", str(FIRST), *ARGS, env=env).exit_code == 3
    assert len(stories(slack)) == 1
    slack.clear_faults()
    result = run_cli("post", "--source", str(REVISED), *ARGS, env=env)
    assert result.exit_code == 0, result.stderr
    assert "1 posted, 1 corrected" in result.stderr  # the first finished, then corrected
    (story,) = stories(slack)
    assert len(corrections(slack, story)) == 1


def test_changing_a_setting_is_not_a_phe_revision(
    run_cli: Run, slack: FakeSlack, env: dict[str, str], templates: Path
) -> None:
    edited = {**env, "PATCHBOT_TEMPLATES_DIR": str(templates)}
    assert run_cli("post", "--source", str(REVISED), *ARGS, env=edited).exit_code == 0
    toml = templates / "stories.toml"
    toml.write_text(toml.read_text().replace("top = 20", "top = 3", 1))
    result = run_cli("post", "--source", str(REVISED), *ARGS, env=edited)
    assert result.exit_code == 0, result.stderr
    assert (
        "patchbot: not re-posted: highest_rates (Ryedale, week to 2020-11-18): the figures "
        "differ only by story settings or templates (the same data release)"
    ) in result.stderr
    (story,) = stories(slack)
    assert corrections(slack, story) == []


def test_a_mistyped_channel_can_be_fixed(
    run_cli: Run, slack: FakeSlack, env: dict[str, str]
) -> None:
    wrong = run_cli("post", "--source", str(FIRST), *ARGS, env={**env, "SLACK_CHANNEL": "#newsrom"})
    assert wrong.exit_code == 1
    fixed = run_cli("post", "--source", str(FIRST), *ARGS, env=env)
    assert fixed.exit_code == 0, fixed.stderr
    assert len(stories(slack)) == 1


# A process for the first run: the state lock is held by another process, as in production.
@pytest.mark.process
def test_two_posts_at_once_cannot_both_post(
    slack: FakeSlack, env: dict[str, str], tmp_path: Path, run_cli: Run
) -> None:
    slack.script("hang_after", method="chat.postMessage")  # the first run holds on
    first = patchbot_process("post", "--source", str(FIRST), *ARGS, env=env, cwd=tmp_path)
    try:
        for _ in range(600):
            if slack.calls("chat.postMessage"):
                break
            import time

            time.sleep(0.02)
        second = run_cli("post", "--source", str(FIRST), *ARGS, env=env)
        assert second.exit_code == 1
        assert "another Patchbot (pid " in second.stderr
    finally:
        first.kill()
        first.communicate()
    assert len(stories(slack)) == 1
