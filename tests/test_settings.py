"""Odd settings and options: one clear line naming the setting, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Run


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("PATCHBOT_PHE_API_URL", "notaurl", "an http:// or https:// URL"),
        # an empty or over-long label, a port out of range: once internal errors at first use
        ("PATCHBOT_UKHSA_API_URL", "https://api..ukhsa.gov.uk/", "an http:// or https:// URL"),
        ("PATCHBOT_PHE_API_URL", f"http://{'a' * 64}.uk/", "an http:// or https:// URL"),
        ("PATCHBOT_PHE_API_URL", "http://127.0.0.1:70000/", "an http:// or https:// URL"),
        ("PATCHBOT_HTTP_TIMEOUT", "inf", "seconds, above 0 and at most 86400, a day (e.g. 30)"),
        ("PATCHBOT_HTTP_TIMEOUT", "0", "seconds, above 0 and at most 86400, a day (e.g. 30)"),
        # Python's clocks overflow on these: once exit 70 or a thread's traceback
        ("SLACK_TIMEOUT", "1e10", "seconds, above 0 and at most 86400, a day (e.g. 30)"),
        ("PATCHBOT_HTTP_DEADLINE", "1e10", "seconds, above 0 and at most 86400, a day (e.g. 600)"),
        ("PATCHBOT_HTTP_RETRIES", "-1", "a whole number, 0 or more (e.g. 3)"),
        ("PATCHBOT_HTTP_BACKOFF", "nan", "seconds, a number 0 or more (e.g. 2)"),
        (
            "SLACK_API_URL",
            "slack.com/api",
            "an http:// or https:// URL (e.g. https://slack.com/api/)",
        ),
    ],
)
def test_bad_settings_name_themselves(
    run_cli: Run, setting: str, value: str, expected: str
) -> None:
    # Issue 15 added what each setting takes (format and range) after the value.
    result = run_cli("draft", env={setting: value})
    assert result.exit_code == 1
    assert result.stderr == (
        f"patchbot: error: {setting}: not a valid value: {value!r}; expected {expected}\n"
    )


def test_numeric_run_days_are_refused(run_cli: Run) -> None:
    # cron counts Sunday as 0, APScheduler Monday: a number would silently shift the week.
    result = run_cli("status", env={"SLACK_BOT_TOKEN": "xoxb-x", "PATCHBOT_RUN_DAYS": "1-5"})
    assert result.exit_code == 1
    assert result.stderr == (
        "patchbot: error: PATCHBOT_RUN_DAYS: not a valid value: '1-5'; expected days by name: "
        "mon-fri, mon,wed,fri or * for every day (no numbers)\n"
    )


def test_an_unusable_url_is_one_line(run_cli: Run) -> None:
    result = run_cli("draft", "--source", "http://[::1/x")
    assert result.exit_code == 1
    assert result.stderr == "patchbot: error: source: cannot fetch http://[::1/x: InvalidURL\n"
    empty_label = run_cli("draft", "--source", "http://a..b/x.csv.gz")
    assert empty_label.exit_code == 1
    assert empty_label.stderr == (
        "patchbot: error: source: cannot fetch http://a..b/x.csv.gz: LocationParseError\n"
    )


@pytest.mark.parametrize("patch", ["", ",", " , "])
def test_an_empty_patch_is_an_error_not_the_default(run_cli: Run, patch: str) -> None:
    result = run_cli("draft", "--patch", patch)
    assert result.exit_code == 1
    assert result.stderr == "patchbot: error: patch: no councils given\n"


def test_a_missing_templates_folder_or_stories_toml(run_cli: Run, tmp_path: Path) -> None:
    missing = run_cli("draft", env={"PATCHBOT_TEMPLATES_DIR": str(tmp_path / "nope")})
    assert missing.stderr == (
        f"patchbot: error: PATCHBOT_TEMPLATES_DIR: no such folder: {tmp_path / 'nope'} (make "
        f"it from Patchbot's own templates: patchbot templates init {tmp_path / 'nope'})\n"
    )
    (tmp_path / "empty").mkdir()
    check = run_cli("templates", "check", "--templates-dir", str(tmp_path / "empty"))
    assert check.exit_code == 1
    assert check.stdout == (
        f"{tmp_path / 'empty'}: no stories.toml (start from a copy of Patchbot's own: "
        "patchbot templates init FOLDER)\n"
    )


def test_a_settings_file_not_utf8_or_with_a_nul_is_one_line(run_cli: Run, tmp_path: Path) -> None:
    # both were exit 70: dotenv's UnicodeDecodeError, then "embedded null byte" from the OS
    latin = tmp_path / "latin.env"
    latin.write_bytes(b"PATCHBOT_PATCH=Caf\xe9\n")
    result = run_cli("--env-file", str(latin), "draft")
    assert result.exit_code == 1
    assert result.stderr == (
        f"patchbot: error: {latin}: not UTF-8 text: save the settings file as UTF-8 (plain text)\n"
    )
    nul = tmp_path / "nul.env"
    nul.write_bytes(b"PATCHBOT_STATE_DIR=a\0b\n")
    for command in ("draft", "history", "status"):
        result = run_cli("--env-file", str(nul), command)
        assert result.exit_code == 1, command
        assert result.stderr.endswith(
            f"patchbot: error: {nul}: PATCHBOT_STATE_DIR has a NUL character in its value: "
            "remove it\n"
        )
