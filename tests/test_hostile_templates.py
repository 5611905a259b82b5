"""Templates are bounded (issue 12): a loop that never finishes, a story of megabytes and a
macro calling itself are each one line naming the template, in ``draft`` (the story is held,
the others drafted), ``preview`` and ``templates check``; the settings bound them."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import jinja2
import pytest

from bot.errors import PatchbotError
from bot.render_limits import RenderLimits, render_bounded
from bot.rendering import Renderer
from tests.helpers import ENDLESS, LIST_LOOPS, TOO_LONG, Run, with_line

HUGE = "{% for i in range(100000) %}" + "x" * 100 + "{% endfor %}"
REPEATED = "{{ 'x' * 10000000 }}"
RECURSION = "{% macro again(n) %}{{ again(n) }}{% endmacro %}{{ again(1) }}"
# Time spent without a call or any output, where only the compiled deadline checks can stop it:
# nested loops over a list, a filtered loop's test, a macro or a recursive loop doubling.
SLOW_TEST = "{% for a in range(100000) if range(100000)|sum < 0 %}{% endfor %}"
DOUBLING_MACRO = (
    "{% macro twice(n) %}{% if n %}{{ twice(n - 1) }}{{ twice(n - 1) }}{% endif %}{% endmacro %}"
    "{{ twice(60) }}"
)
DOUBLING_LOOP = (
    "{% for x in [1, 1] recursive %}{% if loop.depth < 60 %}{{ loop([1, 1]) }}{% endif %}"
    "{% endfor %}"
)
LIMITS = {"PATCHBOT_RENDER_SECONDS": "0.5", "PATCHBOT_RENDER_MAX_CHARS": "400000"}
CASES = [
    *((line, TOO_LONG) for line in (LIST_LOOPS, SLOW_TEST, DOUBLING_MACRO, DOUBLING_LOOP)),
    (ENDLESS, "largest_falls.j2: rendering took longer than PATCHBOT_RENDER_SECONDS=0.5 seconds "
              "(a loop without end, or nested too deep?); held"),
    (HUGE, "largest_falls.j2: the story came out longer than PATCHBOT_RENDER_MAX_CHARS=400,000 "
           "characters (a loop printing too much?); held"),
    (REPEATED, "largest_falls.j2:2: repeating 1 characters or items 10,000,000 times is longer "
               "than PATCHBOT_RENDER_MAX_CHARS=400,000"),
    (RECURSION, "largest_falls.j2: a macro or include calls itself without end (recursion); "
                "held"),
    ("{{ (((10 ** 1000) ** 1000) ** 30) % 7 }}",
     "largest_falls.j2:2: a power with more digits than a story has characters"),
    ("{{ ('x' * 20000)|replace('x', 'y' * 20000)|length }}",
     "largest_falls.j2:2: replacing text is longer than PATCHBOT_RENDER_MAX_CHARS=400,000"),
    ("{{ (['y' * 20000] * 400000)|join|length }}",
     "largest_falls.j2:2: repeating 1 characters or items 400,000 times is longer than "
     "PATCHBOT_RENDER_MAX_CHARS=400,000"),
    ("{{ 'x'|center(1000000000)|length }}",
     "largest_falls.j2:2: centring in 1,000,000,000 characters is longer than "
     "PATCHBOT_RENDER_MAX_CHARS=400,000"),
    ("{% include 'loop.jinja' %}", "largest_falls.j2: rendering took longer than "
     "PATCHBOT_RENDER_SECONDS=0.5 seconds (a loop without end, or nested too deep?); held"),
    # A Python error in a template (once exit 70 for the whole run): that story is held
    *((line, f"largest_falls.j2:2: {error} (an operation or filter in the template failed on "
             "these values); held") for line, error in (
        ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
        ("{{ [1, 'a']|sort }}",
         "TypeError: '<' not supported between instances of 'str' and 'int'"),
        ("{{ 5|length }}", "TypeError: object of type 'int' has no len()"),
        ("{{ (10 ** 400)|rate }}", "OverflowError: int too large to convert to float"),
    )),
]  # fmt: skip


@pytest.mark.parametrize(("line", "message"), CASES)
def test_draft_holds_the_story_and_drafts_the_rest(
    run_cli: Run, templates: Path, line: str, message: str
) -> None:
    env = {**LIMITS, "PATCHBOT_TEMPLATES_DIR": str(with_line(templates, line))}
    done = run_cli("draft", "--patch", "York", env=env)
    assert done.exit_code == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert f"patchbot: error: largest_falls not drafted: {message}\n" in done.stderr
    assert "4 stories drafted for York" in done.stderr
    assert "==== largest_falls ====" not in done.stdout


@pytest.mark.parametrize(("line", "message"), CASES)
def test_preview_and_the_templates_check_say_it_in_one_line(
    run_cli: Run, templates: Path, line: str, message: str
) -> None:
    folder = str(with_line(templates, line))
    done = run_cli("preview", "largest_falls", "--templates-dir", folder, env=LIMITS)
    assert done.exit_code == 1, done.stderr
    assert done.stderr.endswith(f"patchbot: error: {message}\n")
    checked = run_cli("templates", "check", "--templates-dir", folder, env=LIMITS)
    assert checked.exit_code == 1
    assert "Traceback" not in checked.stdout + checked.stderr
    assert f"{message}; seen drafting largest_falls [a typical week]" in checked.stdout


def test_the_shipped_templates_fit_the_default_limits(run_cli: Run) -> None:
    # All England's weekly round-up, the longest story the check drafts, is about 195,000
    # characters: the default output limit leaves it room.
    done = run_cli("templates", "check")
    assert done.exit_code == 0, done.stdout + done.stderr


def test_each_thread_keeps_its_own_deadline() -> None:
    """The service renders on worker threads: one thread's rendering ending (and putting back
    its deadline) must not lift another's, or an endless template would run for ever."""
    env = Renderer().env
    endless_started, results = threading.Event(), {}
    endless = env.from_string("{{ started() }}" + ENDLESS)
    quick = env.from_string("{{ wait() }}done")

    def started() -> str:
        endless_started.set()
        return ""

    def render(name: str, template: jinja2.Template, seconds: float, **context: Any) -> None:
        try:
            results[name] = render_bounded(template, context, RenderLimits(seconds), name)
        except PatchbotError as error:
            results[name] = str(error)

    threads = [
        threading.Thread(target=render, args=("quick", quick, 60.0),
                         kwargs={"wait": lambda: endless_started.wait(10) and ""}),
        threading.Thread(target=render, args=("endless", endless, 0.5),
                         kwargs={"started": started}),
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "an endless template ran on"
    assert results["quick"] == "done"
    assert "rendering took longer than PATCHBOT_RENDER_SECONDS=0.5 seconds" in results["endless"]
