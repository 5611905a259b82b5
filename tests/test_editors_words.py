"""The editors' toolkit in editors' words (issue 15): each mistake an editor makes is one
problem, at the file and line where it is, in plain words, with what to do; a mistake in one
story's section of stories.toml holds only that story."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.rendering import DEFAULT_TEMPLATES_DIR
from tests.fakes.slack_api import FakeSlack
from tests.helpers import EXCERPT, CliResult, top_level

Run = Callable[..., CliResult]
JARGON = ("dict object", "Undefined", "Invalid value", "Jinja", "Traceback", "TOML", "column")
YORK = ("--source", str(EXCERPT), "--patch", "York")
STORIES = ("no_new_cases", "highest_rates", "largest_rises", "largest_falls", "weekly_roundup")


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A newsroom's own copy of the templates, to make mistakes in."""
    copy = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, copy, ignore=shutil.ignore_patterns("README.md"))
    return copy


@dataclass(frozen=True)
class Mistake:
    name: str
    file: str
    old: str
    new: str
    at: str | int | None  # text on the line the problem must name, a line number, or no line
    says: str  # what the problem says after "file:line: "


ODD_FALLS_HEADLINE = "cases fell most{% if is_latest_week %} this week{% endif %}\n    {% endif %}"
ODD_FALLS_LINE = (
    (  # the line of that headline's end, where its comma goes
        (DEFAULT_TEMPLATES_DIR / "stories.toml")
        .read_text(encoding="utf-8")
        .split(ODD_FALLS_HEADLINE)[0]
    ).count("\n")
    + 2
)
ROUNDUP_INTRO_END = (
    "or more new Covid-19 cases in the week to {{ week_ending|uk_date }}, according to Public "
    "Health England data."
)
FALLS_TOP = "[largest_falls]\nenabled = true\ntop = 10"
UNCLOSED_IF = "{% if published %}Published.\n"
MISTAKES = [
    Mistake("misspelt field", "stories.toml", "{{ patch.place }} record little",
            "{{ patch.plcae }} record little", "patch.plcae",
            "unknown field 'plcae' in patch.plcae (did you mean patch.place?)"),
    Mistake("misspelt variable", "highest_rates.j2", "{{ patch_average|rate }}",
            "{{ patch_averge|rate }}", "patch_averge",
            "unknown variable 'patch_averge' (did you mean 'patch_average'?)"),
    Mistake("missing closing quote", "stories.toml", "Public Health England data.',\n]\n\n[",
            "Public Health England data.,\n]\n\n[", "England data.,",
            "[no_new_cases] a text is not closed: end it with '"),
    Mistake("missing closing quote, last text", "stories.toml", ROUNDUP_INTRO_END + "',\n]\n",
            ROUNDUP_INTRO_END + ",\n]\n", "England data.,",
            "[weekly_roundup] a text is not closed: end it with '"),
    Mistake("missing comma", "stories.toml", ODD_FALLS_HEADLINE + "''',",
            ODD_FALLS_HEADLINE + "'''", ODD_FALLS_LINE,
            "[largest_falls] a comma is missing at the end of this line (between two texts)"),
    Mistake("a word for a number", "stories.toml", FALLS_TOP,
            FALLS_TOP.replace("10", "twenty"), "top = twenty",
            "[largest_falls] top must be a whole number like 10, not twenty"),
    Mistake("misspelt true", "stories.toml", FALLS_TOP,
            FALLS_TOP.replace("enabled = true", "enabled = ture"), "enabled = ture",
            "[largest_falls] enabled must be true or false, not ture (did you mean 'true'?)"),
    Mistake("unclosed if", "highest_rates.j2", "The average across",
            UNCLOSED_IF + "The average across", UNCLOSED_IF.strip(),
            "syntax error: this {% if %} is never closed: add {% endif %} where it ends"),
    Mistake("misspelt end tag", "weekly_roundup.j2", "{% endfor %}\n{% include",
            "{% endfo %}\n{% include", "{% endfo %}",
            "syntax error: {% endfo %} is not a template tag (did you mean {% endfor %}?)"),
    Mistake("headline deleted", "highest_rates.j2", "{{ headline }}\n", "", 1,
            "the first line must be {{ headline }}, the headline chosen from stories.toml; "
            "seen drafting highest_rates [a typical week]"),
    Mistake("intro deleted", "highest_rates.j2", "{{ intro }}\n", "", 2,
            "{{ intro }} must come right after {{ headline }}, as the first paragraph: it is "
            "missing or moved"),
    Mistake("source line deleted", "weekly_roundup.j2", '{% include "partials/source.j2" %}',
            "", "$", "the source line is missing: the data's licences require it; end the "
            'story with {% include "partials/source.j2" %}'),
    Mistake("min_cases = 0", "stories.toml", "min_cases = 3", "min_cases = 0", "min_cases",
            "[weekly_roundup] min_cases = 0 is too low: it must be at least 1: \"0 or more "
            "cases\" would list every area"),
    Mistake("multiple of one", "stories.toml", "above_average_multiple = 2.0",
            "above_average_multiple = 1.0", "above_average_multiple",
            "[highest_rates] above_average_multiple = 1.0 is too low: it must be above 1: "
            '"more than one times the average" is no story'),
    Mistake("list of none", "stories.toml", "top = 20", "top = 0", "top = 0",
            "[highest_rates] top = 0 is too low: it must be at least 1: a list needs at least "
            "one area"),
    Mistake("multiple of infinity", "stories.toml", "above_average_multiple = 2.0",
            "above_average_multiple = inf", "above_average_multiple",
            "[highest_rates] above_average_multiple = inf is too high: it must be at most "
            "1,000,000,000"),  # once decimal.InvalidOperation, exit 70
    Mistake("misspelt section", "stories.toml", "[largest_falls]", "[largest_fals]",
            "[largest_fals]", "no story is called [largest_fals]: did you mean [largest_falls]? "
            "(there is no [largest_falls])"),
    Mistake("misspelt setting", "stories.toml", "min_previous_cases = 5\nmin_change = 5\n"
            "headlines = [\n    '''{% if areas|length == 1 %}\n    Covid-19 cases fall",
            "min_previus_cases = 5\nmin_change = 5\nheadlines = [\n    '''{% if areas|length "
            "== 1 %}\n    Covid-19 cases fall", "min_previus_cases",
            "[largest_falls] has no setting 'min_previus_cases' (did you mean "
            "'min_previous_cases'?); its settings: enabled, channel, headlines, intros, top, "
            "min_previous_cases, min_change"),
    Mistake("misspelt filter", "partials/source.j2", "uk_date(year=True)", "ukdate", "ukdate",
            "unknown filter 'ukdate' (did you mean 'uk_date'?)"),
    Mistake("list dropped", "no_new_cases.j2", "- {{ area|area_label }}",
            "- somewhere", None, "the fact check would hold this story: Berwick-upon-Tweed "
            "West & Holy Island is in the facts but not in the copy (and 9 more)"),
]  # fmt: skip


def make(templates: Path, mistake: Mistake) -> str:
    """Make the mistake; the problem's expected "file:line" (the line after the edit)."""
    path = templates / mistake.file
    text = path.read_text(encoding="utf-8")
    assert text.count(mistake.old) >= 1, mistake.old
    edited = text.replace(mistake.old, mistake.new, 1)
    path.write_text(edited, encoding="utf-8")
    if mistake.at is None:
        return mistake.file
    if isinstance(mistake.at, int):
        return f"{mistake.file}:{mistake.at}"
    lines = edited.splitlines()
    if mistake.at == "$":
        return f"{mistake.file}:{len(lines)}"
    return f"{mistake.file}:{next(n for n, line in enumerate(lines, 1) if mistake.at in line)}"


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_is_one_problem_where_it_is_in_plain_words(
    run_cli: Run, templates: Path, mistake: Mistake
) -> None:
    where = make(templates, mistake)
    result = run_cli("templates", "check", "--templates-dir", str(templates))
    assert result.exit_code == 1
    assert result.stdout == f"{where}: {mistake.says}\n"
    assert result.stderr == f"1 problem in {templates}\n"
    for word in JARGON:
        assert word not in result.stdout


def test_a_deleted_section_is_named(run_cli: Run, templates: Path) -> None:
    toml = templates / "stories.toml"
    text = toml.read_text(encoding="utf-8")
    start, end = text.index("[largest_falls]"), text.index("[weekly_roundup]")
    toml.write_text(text[:start] + text[end:], encoding="utf-8")
    result = run_cli("templates", "check", "--templates-dir", str(templates))
    assert result.stdout == (
        "stories.toml: there is no [largest_falls] section: every story needs one, with its "
        "headlines and intros; to leave a story out, keep its section and write enabled = false\n"
    )


def test_a_deleted_headline_holds_the_story_in_draft(run_cli: Run, templates: Path) -> None:
    # It used to draft the intro as the headline, exit 0.
    make(templates, MISTAKES[[m.name for m in MISTAKES].index("headline deleted")])
    result = run_cli("draft", *YORK, env={"PATCHBOT_TEMPLATES_DIR": str(templates)})
    assert result.exit_code == 4
    assert "==== highest_rates ====" not in result.stdout
    assert (
        "patchbot: error: highest_rates not drafted: highest_rates.j2:1: the first line must be "
        "{{ headline }}, the headline chosen from stories.toml\n" in result.stderr
    )


BROKEN_SECTIONS = [m for m in MISTAKES if m.file == "stories.toml" and m.name != "misspelt field"]


@pytest.mark.parametrize("mistake", BROKEN_SECTIONS, ids=[m.name for m in BROKEN_SECTIONS])
def test_a_broken_section_holds_only_its_story_in_draft(
    run_cli: Run, templates: Path, mistake: Mistake
) -> None:
    where = make(templates, mistake)
    result = run_cli("draft", *YORK, env={"PATCHBOT_TEMPLATES_DIR": str(templates)})
    assert result.exit_code == 4
    broken = re.findall(r"\[(\w+)\]", mistake.says)[-1]  # the story held
    for story in STORIES:
        assert (f"==== {story} ====" in result.stdout) is (story != broken), story
    assert f"patchbot: error: {broken} not drafted: {where}: {mistake.says}\n" in result.stderr


def test_a_broken_section_holds_only_its_story_in_post(
    run_cli: Run, templates: Path, slack: FakeSlack, env: dict[str, str]
) -> None:
    make(templates, MISTAKES[[m.name for m in MISTAKES].index("a word for a number")])
    result = run_cli("post", *YORK, env={**env, "PATCHBOT_TEMPLATES_DIR": str(templates)})
    assert result.exit_code == 4
    assert "Slack: 4 posted, 0 corrected, 0 already posted, 0 kept" in result.stderr
    assert "largest_falls not drafted: stories.toml:" in result.stderr
    assert len(top_level(slack)) == 4
    assert not any("fell" in m.blocks[0]["text"]["text"] for m in top_level(slack))


def test_a_file_that_cannot_be_read_at_all_stops_the_run(run_cli: Run, templates: Path) -> None:
    toml = templates / "stories.toml"
    toml.write_text("editor = 'Jo\n" + toml.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("draft", *YORK, env={"PATCHBOT_TEMPLATES_DIR": str(templates)})
    assert result.exit_code == 1
    assert result.stderr == (
        f"patchbot: error: {toml}:1: a text is not closed: end it with ' on this line\n"
    )


def test_preview_names_a_misspelt_variable_in_words(run_cli: Run, templates: Path) -> None:
    make(templates, MISTAKES[1])  # patch_averge, used to be "expected a rate, got Undefined"
    result = run_cli("preview", "highest_rates", *YORK, "--templates-dir", str(templates))
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"patchbot: templates from {re.escape(str(templates))}\n"
        r"patchbot: error: highest_rates\.j2:\d+: unknown variable 'patch_averge' "
        r"\(did you mean 'patch_average'\?\)\n",
        result.stderr,
    )


def test_preview_every_variant_from_another_folder(run_cli: Run, templates: Path) -> None:
    toml = templates / "stories.toml"
    text = toml.read_text(encoding="utf-8")
    second_headline = '{{ listed_count|counted("neighbourhood", digits=True) }} of'
    assert text.count(second_headline) == 1
    toml.write_text(text.replace(second_headline, "SECOND: " + second_headline))
    args = ("preview", "weekly_roundup", *YORK, "--templates-dir", str(templates))
    every = run_cli(*args, "--all-variants")
    assert every.exit_code == 0, every.stderr
    assert every.stderr.startswith(f"patchbot: templates from {templates}\n")
    headers = re.findall(r"^════ (.*?) ═", every.stdout, re.MULTILINE)
    assert headers == [
        "weekly_roundup, variant 1 of 2: headline 1, intro 1",
        "weekly_roundup, variant 2 of 2: headline 2, intro 1",
    ]
    assert "│ ▌Covid-19 cases in every neighbourhood of York with three or more\n" in every.stdout
    assert "│ ▌SECOND: 22 neighbourhoods of York with three or more Covid-19 cases this week" in (
        every.stdout
    )
    second = run_cli(*args, "--variant", "2")
    assert second.stdout.count("════ weekly_roundup, variant") == 1
    assert "│ ▌SECOND: " in second.stdout
    assert "│ ▌Covid-19 cases in every" not in second.stdout
    chosen = run_cli(*args)  # the one chosen for York this week, said to be one of two
    assert chosen.stdout.count("│ ▌") == 1
    assert "weekly_roundup has 2 headline/intro variants" in chosen.stderr
    too_many = run_cli(*args, "--variant", "3")
    assert too_many.exit_code == 2
    assert "--variant 3: weekly_roundup has 2" in too_many.stderr
    both = run_cli(*args, "--variant", "1", "--all-variants")
    assert both.exit_code == 2


def test_templates_init_copies_the_shipped_templates_and_never_overwrites(
    run_cli: Run, tmp_path: Path
) -> None:
    folder = tmp_path / "newsroom" / "story_templates"
    made = run_cli("templates", "init", str(folder))
    assert made.exit_code == 0, made.stderr
    shipped = sorted(
        p.relative_to(DEFAULT_TEMPLATES_DIR).as_posix()
        for p in DEFAULT_TEMPLATES_DIR.rglob("*")
        if p.is_file() and p.suffix in (".j2", ".toml", ".md")
    )
    copied = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert copied == shipped
    assert f"PATCHBOT_TEMPLATES_DIR={folder}" in made.stdout
    checked = run_cli("templates", "check", "--templates-dir", str(folder))
    assert checked.stdout == f"All templates in {folder} are fine.\n"
    (folder / "stories.toml").write_text("# ours\n", encoding="utf-8")
    again = run_cli("templates", "init", str(folder))
    assert again.exit_code == 1
    assert "is not empty: Patchbot never writes over an editor's templates" in again.stderr
    assert (folder / "stories.toml").read_text(encoding="utf-8") == "# ours\n"


# -- settings


def test_config_check_names_each_bad_setting_and_each_misspelt_name(
    run_cli: Run, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "PATCHBOT_RUNAT=16:00\nSLACK_CHANNEL_WEEKLY_RUNDUP=#roundups\nPATCHBOT_RUN_AT=25:00\n"
        "PATCHBOT_POLL_MINUTES=-1\nPATCHBOT_SOURCE=nonsense\nSLACK_BOT_TOKEN=xoxb-secret-1\n",
        encoding="utf-8",
    )
    result = run_cli("config", "check")
    assert result.exit_code == 1
    assert result.stdout == (
        "Settings from .env and the environment.\n"
        "error: PATCHBOT_RUN_AT: not a valid value: '25:00'; expected a time of day, HH:MM or "
        "HH:MM:SS, 00:00 to 23:59:59 (UK time; e.g. 16:00)\n"
        "error: PATCHBOT_POLL_MINUTES: not a valid value: '-1'; expected minutes, a number "
        "above 0 (e.g. 5; 0.5 is every 30 seconds)\n"
        "error: PATCHBOT_SOURCE: not a valid value: 'nonsense'; expected bundled, phe-api, "
        "ukhsa-sample, ukhsa, an http(s):// URL or a .csv/.csv.gz file that exists\n"
        "warning: PATCHBOT_RUNAT (in .env) is not a setting: did you mean PATCHBOT_RUN_AT?\n"
        "warning: SLACK_CHANNEL_WEEKLY_RUNDUP (in .env) is not a setting: did you mean "
        "SLACK_CHANNEL_WEEKLY_ROUNDUP?\n"
    )
    assert result.stderr == "3 errors, 2 warnings\n"
    assert "secret" not in result.stdout + result.stderr


def test_config_check_with_good_settings(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("config", "check", env={"SLACK_BOT_TOKEN": "xoxb-1", "PATCHBOT_PATCH": "York"})
    assert result.exit_code == 0
    assert result.stdout.endswith("The settings are fine.\n")
    misspelt = run_cli("config", "check", env={"PATCHBOT_PATCH": "Yrok"})
    assert "error: PATCHBOT_PATCH: unknown council 'Yrok'" in misspelt.stdout
    assert "note: SLACK_BOT_TOKEN is not set: `post` and `run` need it" in misspelt.stdout
    desks = run_cli("config", "check", env={"PATCHBOT_DESKS": str(tmp_path / "desks.toml")})
    assert f"error: PATCHBOT_DESKS: no such file: {tmp_path / 'desks.toml'}\n" in desks.stdout
    late = run_cli("config", "check", env={"PATCHBOT_POLL_UNTIL": "15:00"})
    assert "error: PATCHBOT_POLL_UNTIL: 15:00:00 is not after PATCHBOT_RUN_AT" in late.stdout


def test_a_wrong_service_setting_does_not_stop_draft(run_cli: Run) -> None:
    wrong = {"PATCHBOT_RUN_AT": "25:00", "PATCHBOT_POLL_MINUTES": "-1"}
    drafted = run_cli("draft", *YORK, "--story", "no_new_cases", env=wrong)
    assert drafted.exit_code == 0, drafted.stderr
    assert drafted.stdout.startswith("==== no_new_cases ====")
    status = run_cli("status", env=wrong)
    assert status.exit_code == 1
    assert status.stderr.startswith("patchbot: error: PATCHBOT_RUN_AT: not a valid value: ")


def test_run_warns_about_misspelt_names_when_it_starts(
    run_cli: Run, env: dict[str, str], tmp_path: Path
) -> None:
    settings = {**env, "PATCHBOT_SOURCE": str(tmp_path / "none.csv"), "PATCHBOT_RUNAT": "9:00"}
    result = run_cli("run", "--once", env=settings)
    assert result.stderr.startswith(
        "patchbot: warning: PATCHBOT_RUNAT (in the environment) is not a setting: did you mean "
        "PATCHBOT_RUN_AT?\n"
    )


def test_an_unknown_source_lists_the_sources(run_cli: Run) -> None:
    result = run_cli("draft", env={"PATCHBOT_SOURCE": "nonsense"})
    assert result.exit_code == 1
    assert result.stderr == (
        "patchbot: error: source: 'nonsense' is no source and no file; sources: bundled, "
        "phe-api, ukhsa-sample, ukhsa, an http(s):// URL, or a .csv/.csv.gz file\n"
    )
