"""The charts of the ranked stories: what each story's bar chart shows and says.

A ``ChartSpec`` describes one story's chart (``CHART_SPECS``): ``highest_rates`` charts the
rate per 100,000 with the patch average (and the "twice the average" threshold) marked;
``largest_rises`` and ``largest_falls`` chart the change in cases on the week before, from a
marked zero (falls run leftwards, with the names on the right), because that is what those
stories rank by; their bars are coloured by this week's rate. ``story_chart`` turns a draft's
facts and its spec into a ``Picture``; ``bar_chart`` draws it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot import housestyle
from bot.pictures.bar_chart import Bar, BarChart, Mark, draw_bar_chart
from bot.pictures.colours import CASES, DASH, MINUS, Palette
from bot.pictures.drawing import Picture, picture_filename, shorten
from bot.pictures.sizes import ALT_TEXT_LIMIT, CHART_MAX_BARS
from bot.stories import Draft

Area = Mapping[str, Any]  # an area as a story's facts list it (``bot.stories``)


def _area_label(area: Area) -> str:
    return f"{area['area_name']}, {area['ltla_name']}"


@dataclass(frozen=True)
class ChartSpec:
    """What a ranked story's chart shows and says; the drawing is the same for every story.

    The wording is templates with ``{week}`` ("November 25"), ``{week_year}`` ("November 25,
    2020"), ``{patch}``, ``{least_before}`` (", of areas with at least 5 cases the week
    before", when the story had such a floor), and in the alt text ``{area}`` ("Area, Council")
    and ``{figure}`` (what ``said`` gives)."""

    value: str  # the area's field that is the bar's length ("rate", "change")
    note: Callable[[Area], str]  # the figure printed at the bar's end
    said: Callable[[Area], str]  # the area's figure in the alt text ("126.2", "up 16 to 26")
    title: str
    subtitle: str  # a "\n" starts its second line
    x_label: str
    alt_first: str  # the alt text on the first area; the others follow as "{area} ({figure})"
    alt_end: str  # how the alt text ends (when it gives no patch average)
    marks_average: bool = False  # the patch average and the threshold drawn, the average said
    leftwards: bool = False  # bars run left from zero, with the names on the right
    area_label: Callable[[Area], str] = _area_label  # a bar's name: "Area, Council"


def _rate_said(area: Area) -> str:
    return housestyle.rate(area["rate"])


def _rate_note(area: Area) -> str:
    cases = area.get("cases")
    return _rate_said(area) + (f"  ({cases:,} cases)" if cases is not None else "")


def _change_note(area: Area) -> str:
    change = int(area["change"])
    before = area.get("previous_cases")
    now = area.get("cases")
    span = ""
    if before is not None:
        span = f"  ({before:,} → {f'0{DASH}2' if now is None else f'{now:,}'} cases)"
    return f"{change:+,}".replace("-", MINUS) + span


def _change_said(area: Area, direction: str) -> str:
    """The change and this week's cases: "up 16 to 26", "down 13 to 0 to 2"."""
    cases = area.get("cases")
    now = "0 to 2" if cases is None else housestyle.num(cases)
    return f"{direction} {housestyle.num(abs(int(area['change'])))} to {now}"


def _change_spec(word: str, direction: str, leftwards: bool) -> ChartSpec:
    """The chart of ``largest_rises`` (``word`` "rise") or ``largest_falls`` ("fall")."""
    return ChartSpec(
        value="change",
        note=_change_note,
        said=functools.partial(_change_said, direction=direction),
        title=f"Largest {word}s in Covid-19 cases, week to {{week_year}}",
        subtitle="{patch}: change in cases on the week before{least_before}.\n"
        "Bars are coloured by the area's rate this week.",
        x_label="Change in cases: seven days to {week} against the seven days before",
        alt_first=f"Bar chart: {{area}} had the largest {word} in cases in the week to {{week}}, "
        "{figure}",
        alt_end="; bars are coloured by this week's rate per 100,000 people.",
        leftwards=leftwards,
    )


def _council(area: Area) -> str:
    """A council-level area is its council: named once."""
    return str(area["area_name"])


def _deaths_rate_note(area: Area) -> str:
    deaths = area.get("cases")
    counted = housestyle.counted(deaths, "death", digits=True) if deaths is not None else ""
    return _rate_said(area) + (f"  ({counted})" if counted else "")


def _deaths_change_note(area: Area) -> str:
    change = int(area["change"])
    before, now = area.get("previous_cases"), area.get("cases")
    span = f"  ({before:,} → {now:,} deaths)" if before is not None and now is not None else ""
    return f"{change:+,}".replace("-", MINUS) + span


def _deaths_change_said(area: Area, direction: str) -> str:
    """The change and this week's deaths: "up 3 to 4", "down 4 to none"."""
    now = area.get("cases")
    change = housestyle.num(abs(int(area["change"])))
    return f"{direction} {change} to {housestyle.num(now) if now else 'none'}"


def _deaths_change_spec(word: str, direction: str, leftwards: bool) -> ChartSpec:
    """The chart of the deaths ``largest_rises`` (``word`` "rise") or ``largest_falls``."""
    return ChartSpec(
        value="change",
        note=_deaths_change_note,
        said=functools.partial(_deaths_change_said, direction=direction),
        title=f"Largest {word}s in Covid-19 deaths, week beginning {{week_start_year}}",
        subtitle="{patch}: change in deaths registered on the week before.\n"
        "Bars are coloured by the council's death rate this week.",
        x_label="Change in deaths: week beginning {week_start} against the week before",
        alt_first=f"Bar chart: {{area}} had the largest {word} in Covid-19 deaths registered in "
        "the week beginning {week_start}, {figure}",
        alt_end="; bars are coloured by this week's deaths per 100,000 people.",
        leftwards=leftwards,
        area_label=_council,
    )


# UKHSA's deaths by council: the same charts, in words for deaths, one bar per council.
DEATH_CHART_SPECS: dict[str, ChartSpec] = {
    "highest_rates": ChartSpec(
        value="rate",
        note=_deaths_rate_note,
        said=_rate_said,
        title="Highest Covid-19 death rates, week beginning {week_start_year}",
        subtitle="{patch}: the councils with the most deaths registered per 100,000 people",
        x_label="Deaths per 100,000 people registered in the week beginning {week_start}",
        alt_first="Bar chart: {area} has the highest death rate in the week beginning "
        "{week_start}, {figure} deaths per 100,000 people",
        alt_end=".",
        marks_average=True,
        area_label=_council,
    ),
    "largest_rises": _deaths_change_spec("rise", "up", leftwards=False),
    "largest_falls": _deaths_change_spec("fall", "down", leftwards=True),
}

CHART_SPECS: dict[str, ChartSpec] = {
    "highest_rates": ChartSpec(
        value="rate",
        note=_rate_note,
        said=_rate_said,
        title="Highest Covid-19 case rates, week to {week_year}",
        subtitle="{patch}: the neighbourhoods with the most cases per 100,000 people",
        x_label="Cases per 100,000 people in the seven days to {week}",
        alt_first="Bar chart: {area} has the highest rate in the week to {week}, {figure} cases "
        "per 100,000 people",
        alt_end=".",
        marks_average=True,
    ),
    "largest_rises": _change_spec("rise", "up", leftwards=False),
    "largest_falls": _change_spec("fall", "down", leftwards=True),
}


def story_chart(
    draft: Draft,
    spec: ChartSpec | None,
    patch_name: str,
    week_ending: dt.date,
    palette: Palette = CASES,
) -> Picture | None:
    """A bar chart of the areas ``draft`` lists, as ``spec`` says, in the data's ``palette``;
    None for a story without a chart (no spec) or without an area to chart."""
    areas: list[Area] = list(draft.facts.get("areas") or [])
    if spec is None or not areas:
        return None
    bars = [
        Bar(spec.area_label(a), float(a[spec.value]), a.get("rate"), a["status"], spec.note(a))
        for a in areas
        if a.get(spec.value) is not None
    ]
    if not bars:
        return None
    words = _wording(draft.facts, patch_name, week_ending)
    title = spec.title.format(**words)
    chart = BarChart(
        bars=bars,
        title=title,
        subtitle=spec.subtitle.format(**words),
        x_label=spec.x_label.format(**words),
        marks=_marks(draft.facts, bars) if spec.marks_average else [],
        leftwards=spec.leftwards,
        hidden=len(areas) - min(len(bars), CHART_MAX_BARS),
        palette=palette,
    )
    return Picture(
        draft.story,
        picture_filename(week_ending, draft.story, patch_name),
        draw_bar_chart(chart),
        _alt_text(spec, draft.facts, areas, words),
        title,
    )


def _wording(facts: Mapping[str, Any], patch_name: str, week_ending: dt.date) -> dict[str, str]:
    """What a spec's templates fill in, but for the area (see ``ChartSpec``)."""
    least = facts.get("min_previous_cases")
    week_start = week_ending - dt.timedelta(days=6)
    return {
        "week": housestyle.uk_date(week_ending),
        "week_year": housestyle.uk_date(week_ending, year=True),
        "week_start": housestyle.uk_date(week_start),
        "week_start_year": housestyle.uk_date(week_start, year=True),
        "patch": patch_name,
        "least_before": (
            f", of areas with at least {housestyle.counted(least, 'case')} the week before"
            if least
            else ""
        ),
    }


def _marks(facts: Mapping[str, Any], bars: list[Bar]) -> list[Mark]:
    """The threshold the copy uses (dashed: "twice the average"), when a bar reaches it, and
    the patch average (solid)."""
    marks = []
    threshold = facts.get("threshold")
    if threshold is not None and threshold <= max(b.value for b in bars):
        multiple = facts.get("above_average_multiple", 2)
        label = f"{housestyle.times(multiple).capitalize()} the average: "
        marks.append(Mark(float(threshold), label + housestyle.rate(threshold), solid=False))
    average = facts.get("patch_average")
    if average is not None:
        marks.append(Mark(float(average), f"Patch average: {housestyle.rate(average)}", solid=True))
    return marks


def _alt_text(
    spec: ChartSpec, facts: Mapping[str, Any], areas: list[Area], words: dict[str, str]
) -> str:
    first = areas[0]
    lead = spec.alt_first.format(area=spec.area_label(first), figure=spec.said(first), **words)
    rest = [f"{spec.area_label(a)} ({spec.said(a)})" for a in areas[1:]]
    average = facts.get("patch_average") if spec.marks_average else None
    if average is not None:
        return _alt_list(lead, rest, f"; the patch average is {housestyle.rate(average)}.")
    return _alt_list(lead, rest, spec.alt_end)


def _alt_list(first: str, rest: list[str], tail: str, limit: int = ALT_TEXT_LIMIT) -> str:
    """``first`` + ", followed by" the others + ``tail``, dropping others (counted) to fit."""
    for keep in range(len(rest), -1, -1):
        listed = rest[:keep]
        more = len(rest) - keep
        if more:
            listed = [*listed, f"{housestyle.counted(more, 'more area')}"]
        middle = f", followed by {housestyle.listing(listed)}" if listed else ""
        text = f"{first}{middle}{tail}"
        if len(text) <= limit:
            return text
    return shorten(f"{first}{tail}", limit)
