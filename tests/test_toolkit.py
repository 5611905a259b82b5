"""The editors' toolkit: templates check, preview, variants, safety, and the generated guide."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bot.editors import check as check_templates
from bot.editors import editors_guide, fixtures
from bot.editors.guide import VARIABLE_HELP
from bot.rendering import DEFAULT_TEMPLATES_DIR, variant_index
from bot.stories import STORIES
from bot.stories.settings import load_story_settings
from tests.helpers import EXCERPT, CliResult, Run, edit


def check(run_cli: Run, folder: Path) -> CliResult:
    result = run_cli("templates", "check", "--templates-dir", str(folder))
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.mark.lint
def test_the_real_templates_pass_the_check(run_cli: Run) -> None:
    result = check(run_cli, DEFAULT_TEMPLATES_DIR)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("All templates in ")


def test_unknown_variable_names_file_and_line(run_cli: Run, templates: Path) -> None:
    edit(templates / "largest_falls.j2", "{{ area|area_label }}",
         "{{ area.area_name }}, {{ area.council }} {{ councill }}")  # fmt: skip
    result = check(run_cli, templates)
    assert result.exit_code == 1
    line = next(
        n for n, text in enumerate((templates / "largest_falls.j2").read_text().splitlines(), 1)
        if "councill" in text
    )  # fmt: skip
    assert f"largest_falls.j2:{line}: unknown variable 'councill'" in result.stdout
    # The misspelt field on the same line is the second mistake, named now before rendering.
    assert f"largest_falls.j2:{line}: unknown field 'council' in area.council" in result.stdout
    assert "2 problems in" in result.stderr


def test_unknown_attribute_found_before_rendering(run_cli: Run, templates: Path) -> None:
    # Was reported when rendering, once per fixture, as "'dict object' has no attribute".
    edit(templates / "largest_falls.j2", "{{ area|area_label }}", "{{ area.council }}")
    result = check(run_cli, templates)
    assert result.exit_code == 1
    assert re.fullmatch(
        r"largest_falls\.j2:\d+: unknown field 'council' in area\.council "
        r"\(did you mean area\.ltla_name\?\)\n",
        result.stdout,
    )


def test_syntax_error_names_file_and_line(run_cli: Run, templates: Path) -> None:
    path = templates / "weekly_roundup.j2"
    edit(path, "{% endfor %}\n{% include", "{% endfo %}\n{% include")
    result = check(run_cli, templates)
    assert result.exit_code == 1
    assert re.match(r"weekly_roundup\.j2:\d+: syntax error: ", result.stdout)


def test_unknown_filter_names_file_and_line(run_cli: Run, templates: Path) -> None:
    edit(templates / "partials" / "source.j2", "uk_date(year=True)", "ukdate")
    result = check(run_cli, templates)
    assert result.exit_code == 1
    assert "partials/source.j2:2: unknown filter 'ukdate'" in result.stdout


def test_headline_in_stories_toml_with_an_unknown_variable(run_cli: Run, templates: Path) -> None:
    edit(
        templates / "stories.toml",
        "{% if is_latest_week %} this week{% endif %}",
        " this {{ wek }}",
    )
    result = check(run_cli, templates)
    assert result.exit_code == 1
    toml_lines = (templates / "stories.toml").read_text().splitlines()
    line = next(n for n, text in enumerate(toml_lines, 1) if "{{ wek }}" in text)
    assert f"stories.toml:{line}: unknown variable 'wek'" in result.stdout


def test_copy_problems_are_flagged(run_cli: Run, templates: Path) -> None:
    edit(
        templates / "highest_rates.j2",
        '{{ areas|length|plural("This is", "These are") }} the {{ areas|length|counted("area") }}',
        "These are the {{ areas|length }} areas",
    )
    edit(templates / "no_new_cases.j2", "{% for area in areas %}", "{% for area in [] %}")
    result = check(run_cli, templates)
    assert result.exit_code == 1
    assert re.search(
        r"^highest_rates \[one area\]: a count of one with a plural noun: .*These are the 1 areas",
        result.stdout,
        re.MULTILINE,
    )
    assert (
        "no_new_cases [a typical week], variant 1: "
        "a sentence introduces a list, but the list is empty" in (result.stdout)
    )


def test_a_lower_case_intro_is_flagged(run_cli: Run, templates: Path) -> None:
    edit(templates / "stories.toml", """'{{ listed_count|lead_count("neighbourhood") }}""",
         "'The {{ listed_count }} neighbourhoods")  # fmt: skip
    result = check(run_cli, templates)
    assert (
        "weekly_roundup [a typical week], variant 1: "
        "the intro's first word should be in capitals, got 'The'" in (result.stdout)
    )


def test_editors_guide_is_up_to_date() -> None:
    """Regenerate with: .venv/bin/patchbot templates docs --write"""
    assert (DEFAULT_TEMPLATES_DIR / "README.md").read_text() == editors_guide()


def test_guide_documents_every_variable() -> None:
    guide = editors_guide()
    for story in (
        "no_new_cases",
        "highest_rates",
        "largest_rises",
        "largest_falls",
        "weekly_roundup",
    ):
        assert f"### {story}\n" in guide
    assert "| `area.cases` | whole number | " in guide
    assert "| `counted` | A count with its noun in house style |" in guide
    assert "one area / three areas / 29 new cases" in guide


def test_each_story_has_help_for_exactly_its_own_variables() -> None:
    data = fixtures.bundled_data()
    settings = load_story_settings(DEFAULT_TEMPLATES_DIR)
    examples = fixtures.story_variables(data, fixtures.typical_week(data), settings)
    assert set(STORIES) == set(examples)
    for story, context in examples.items():
        helped = set(VARIABLE_HELP) - {"headline", "intro"} | set(STORIES[story].figure_help())
        assert set(context) == helped, story


def test_the_check_and_the_guide_read_the_bundled_data_once() -> None:
    fixtures.bundled_data.cache_clear()
    assert check_templates(DEFAULT_TEMPLATES_DIR) == []
    editors_guide()
    # Each bundled sample once: PHE's, and UKHSA's for the ukhsa-deaths/ folder (issue 16).
    assert fixtures.bundled_data.cache_info().misses == 2


def test_preview_shows_slack_and_plain_text(run_cli: Run) -> None:
    result = run_cli("preview", "no_new_cases", "--source", str(EXCERPT), "--patch", "York")
    assert result.exit_code == 0, result.stderr
    slack, plain = result.stdout.split("── Plain text (the .txt file, for the CMS) ")
    assert slack.startswith("┌─ Slack, SLACK_CHANNEL")
    assert "│ - Bishopthorpe & Copmanthorpe\n" in slack  # one council: not repeated (issue 14)
    assert "│ ⓘ York · week to November 25, 2020 · PHE data published November 30, 2020" in slack
    assert "\n- New Earswick\n" in plain


def test_preview_with_an_edited_template(run_cli: Run, tmp_path: Path) -> None:
    edited = tmp_path / "no_new_cases.j2"
    edited.write_text("{{ headline }}\nBREAKING: {{ suppressed_count|num }} quiet areas.\n")
    result = run_cli("preview", "no_new_cases", "--source", str(EXCERPT), "--patch", "York",
                     "--template", str(edited))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "BREAKING: two quiet areas." in result.stdout
    # The edit dropped the list, so the fact check would hold it: preview says so.
    assert result.stdout.startswith(
        "HELD, would not be posted: held by the fact check: Bishopthorpe & Copmanthorpe is in "
        "the facts but not in the copy"
    )
    real = run_cli("preview", "no_new_cases", "--source", str(EXCERPT), "--patch", "York")
    assert "BREAKING" not in real.stdout


def test_preview_of_a_story_with_nothing_to_report(run_cli: Run) -> None:
    result = run_cli("preview", "no_new_cases", "--source", str(EXCERPT), "--patch", "Darlington")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "No no_new_cases story for Darlington this week: nothing to report"
    )


def test_editor_changes_a_headline_a_threshold_and_adds_a_variant(
    run_cli: Run, templates: Path
) -> None:
    env = {"PATCHBOT_TEMPLATES_DIR": str(templates)}
    toml = templates / "stories.toml"
    edit(toml, "top = 20", "top = 3")
    old_headline = '{{ suppressed_count|counted("area", digits=True) }} of {{ patch.place }}'
    edit(toml, old_headline, "Quiet week: " + old_headline)
    edit(
        toml,
        "intros = [\n    '{{ listed_count",
        "intros = [\n    'The full list:',\n    '{{ listed_count",
    )
    assert check(run_cli, templates).exit_code == 1  # the intro's first word is not in capitals
    edit(toml, "'The full list:',", "'THE full list of cases in {{ patch.place }} is out.',")
    assert check(run_cli, templates).exit_code == 0

    drafts = run_cli(
        "draft", "--source", str(EXCERPT), "--patch", "York", "--format", "json", env=env
    )
    stories = {s["story"]: s for s in drafts.json()["stories"]}
    assert len(stories["highest_rates"]["facts"]["areas"]) == 3
    assert stories["weekly_roundup"]["text"].split("\n")[0] in (
        "THE full list of cases in York is out.",
        "TWENTY-TWO neighbourhoods across York recorded three or more new Covid-19 cases in the "
        "week to November 25, according to Public Health England data.",
    )
    headline = stories["no_new_cases"]["headline"]
    assert headline.startswith("Quiet week: 2 areas of York") or headline.startswith("Little or no")
    preview = run_cli(
        "preview", "highest_rates", "--source", str(EXCERPT), "--patch", "York", env=env
    )
    assert "These are the three areas with the highest infection rates" in preview.stdout


def test_variants_are_stable_and_spread_across_patches(run_cli: Run, templates: Path) -> None:
    assert variant_index("weekly_roundup|2020-11-25|York|headlines", 2) == variant_index(
        "weekly_roundup|2020-11-25|York|headlines", 2
    )
    from bot.geography import load_geography

    councils = [c.name for c in load_geography().councils.values()]
    picks = Counter(
        variant_index(f"weekly_roundup|2020-11-25|{name}|headlines", 2) for name in councils
    )
    assert min(picks.values()) > len(councils) * 0.35  # both alternatives in real use
    first = run_cli("draft", "--source", str(EXCERPT), "--patch", "York", "--format", "json")
    again = run_cli("draft", "--source", str(EXCERPT), "--patch", "York", "--format", "json")
    assert first.stdout == again.stdout  # reproducible drafts


def test_a_broken_template_fails_only_its_own_story(run_cli: Run, templates: Path) -> None:
    edit(templates / "highest_rates.j2", "{{ top_area.rate|rate }}", "{{ top_area.rate|rate(")
    result = run_cli("draft", "--source", str(EXCERPT), "--patch", "York",
                     env={"PATCHBOT_TEMPLATES_DIR": str(templates)})  # fmt: skip
    assert result.exit_code == 4
    assert "==== highest_rates ====" not in result.stdout
    for story in ("no_new_cases", "largest_rises", "largest_falls", "weekly_roundup"):
        assert f"==== {story} ====" in result.stdout
    assert re.search(
        r"patchbot: error: highest_rates not drafted: highest_rates\.j2:\d+: ", result.stderr
    )
    assert "Traceback" not in result.stderr


ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].system('id') }}",
    "{{ self._TemplateReference__context }}",
    "{{ patch.__class__ }}",
    "{{ areas.__class__.__base__.__subclasses__() }}",
    "{{ ''.format.__globals__ }}",
    "{{ 'x'.__add__('y') }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ range.__self__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ '{0.__class__}'.format(patch) }}",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_templates_cannot_escape_the_sandbox(run_cli: Run, templates: Path, payload: str) -> None:
    (templates / "no_new_cases.j2").write_text("{{ headline }}\n" + payload + "\n")
    result = run_cli(
        *("draft", "--source", str(EXCERPT), "--patch", "York", "--story", "no_new_cases"),
        env={"PATCHBOT_TEMPLATES_DIR": str(templates)},
    )
    assert result.exit_code == 4, result.stdout
    assert "no_new_cases not drafted: " in result.stderr
    assert "Traceback" not in result.stderr
    assert "<class" not in result.stdout + result.stderr
    assert "uid=" not in result.stdout + result.stderr
