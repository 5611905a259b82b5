"""Drawing a horizontal bar chart of areas, first at the top, whatever story it is for.

``charts`` decides what the bars, marks and words are (``BarChart``); this draws them: the
bars coloured by the areas' rate bands, each with its figure at its end, vertical marks (the
patch average), a key of the colours used and the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.pictures.colours import (
    CASES,
    EDGE_COLOUR,
    INK,
    MINUS,
    MUTED,
    RULE,
    SUPPRESSED_COLOUR,
    Palette,
    colour_label,
    colour_order,
    fill_colour,
)
from bot.pictures.drawing import footer, header, legend, new_figure, png_bytes, text_px, wrap
from bot.pictures.sizes import (
    CHART_BAR_PX,
    CHART_BOTTOM_PX,
    CHART_MAX_BARS,
    CHART_MIN_HEIGHT,
    CHART_TOP_PX,
    CHART_WIDTH,
    MAP_SIDE_PX,
)

LABEL_STYLE: dict[str, Any] = {"fontsize": 12}  # the area names
NOTE_STYLE: dict[str, Any] = {"fontsize": 11}  # the figures at the bars' ends


@dataclass(frozen=True)
class Bar:
    label: str  # "Area, Council"
    value: float
    rate: float | None
    status: str
    note: str  # the figure printed at the bar's end


@dataclass(frozen=True)
class Mark:
    """A vertical line across the bars at ``x``, labelled at the top."""

    x: float
    label: str
    solid: bool  # solid, its label in bold to the left; else dashed, labelled to the right


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]  # every bar, in order; the first ``CHART_MAX_BARS`` are drawn
    title: str
    subtitle: str
    x_label: str
    marks: list[Mark]
    leftwards: bool  # bars run left from zero, with the names on the right
    hidden: int  # listed areas not drawn, said in the footer
    palette: Palette = CASES  # the data's colours and source


def chart_height(bars: int) -> int:
    """The chart's height in pixels for this many bars (at most ``CHART_MAX_BARS``)."""
    shown = min(bars, CHART_MAX_BARS)
    return max(CHART_MIN_HEIGHT, CHART_TOP_PX + CHART_BOTTOM_PX + shown * CHART_BAR_PX)


def draw_bar_chart(chart: BarChart) -> bytes:
    """The chart as PNG bytes."""
    shown = chart.bars[:CHART_MAX_BARS]
    figure = new_figure(CHART_WIDTH, chart_height(len(shown)))
    ax, names, span = _bar_axes(figure, shown, chart)
    _draw_bars(ax, shown, names, chart, span)
    ax.set_xlabel(chart.x_label, color=MUTED, fontsize=12, labelpad=8)
    for position, bar in enumerate(shown):
        ax.annotate(
            bar.note, (bar.value, position), xytext=(-6 if bar.value < 0 else 6, 0),
            textcoords="offset points", ha="right" if bar.value < 0 else "left",
            va="center", color=INK, zorder=4, **NOTE_STYLE,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
        )  # fmt: skip
    for mark in chart.marks:
        _draw_mark(ax, mark)
        ax.set_ylim(len(shown) - 0.4, -1.3)  # a free row at the top for the label

    header(figure, chart.title, chart.subtitle)
    palette = chart.palette
    used = sorted(
        {fill_colour(b.status, b.rate, palette) for b in shown},
        key=lambda colour: colour_order(colour, palette),
    )
    legend(figure, [(colour_label(c, palette), c, None) for c in used], palette.key_title)
    lines = [palette.source]
    if chart.hidden > 0:
        lines.insert(
            0, f"Showing the first {len(shown)} areas; {chart.hidden} more tied with the last."
        )
    footer(figure, lines)
    return png_bytes(figure)


def _bar_axes(figure: Figure, shown: list[Bar], chart: BarChart) -> tuple[Axes, list[str], float]:
    """The axes the bars go in, leaving room beside them for the names (cut short with an
    ellipsis beyond 45% of the width); with the names, and how far the value axis reaches so
    that the longest bar (or mark) has room past it for its note."""
    height = chart_height(len(shown))
    most = CHART_WIDTH * 0.45
    names = [wrap(figure, b.label, most, 1, **LABEL_STYLE)[0] for b in shown]
    names_px = max(text_px(figure, name, **LABEL_STYLE) for name in names) + 16
    notes_px = max(text_px(figure, b.note, **NOTE_STYLE) for b in shown) + 12
    outer = MAP_SIDE_PX + 10
    left = outer if chart.leftwards else names_px + outer
    right = names_px + outer if chart.leftwards else outer
    axes_px = CHART_WIDTH - left - right
    ax = figure.add_axes(
        (left / CHART_WIDTH, CHART_BOTTOM_PX / height, axes_px / CHART_WIDTH,
         (height - CHART_TOP_PX - CHART_BOTTOM_PX) / height)
    )  # fmt: skip
    magnitudes = [abs(b.value) for b in shown] + [abs(mark.x) for mark in chart.marks]
    reach = max(magnitudes) or 1.0
    span = reach * axes_px / max(axes_px - notes_px - 8, axes_px * 0.4)
    return ax, names, span


def _draw_bars(ax: Axes, shown: list[Bar], names: list[str], chart: BarChart, span: float) -> None:
    """The bars from a marked zero out to at most ``span``, the names beside them and the
    value axis below."""
    leftwards = chart.leftwards
    positions = np.arange(len(shown))
    colours = [fill_colour(b.status, b.rate, chart.palette) for b in shown]
    ax.barh(
        positions, [b.value for b in shown], height=0.72, color=colours,
        edgecolor=[EDGE_COLOUR if c == SUPPRESSED_COLOUR else c for c in colours],
        linewidth=0.8, zorder=2,
    )  # fmt: skip
    ax.set_ylim(len(shown) - 0.4, -0.6)  # first area at the top
    ax.set_xlim((-span, 0) if leftwards else (0, span))
    ax.set_yticks(positions, names, color=INK, **LABEL_STYLE)
    ax.tick_params(axis="y", length=0, pad=8)
    ax.tick_params(axis="x", colors=MUTED, labelsize=11, length=0)
    if leftwards:
        ax.yaxis.tick_right()
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}".replace("-", MINUS))
    ax.grid(axis="x", color=RULE, linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.axvline(0, color=INK, linewidth=1.2, zorder=3)


def _draw_mark(ax: Axes, mark: Mark) -> None:
    ax.axvline(mark.x, color=INK, linewidth=1.4, linestyle="solid" if mark.solid else "dashed",
               zorder=3)  # fmt: skip
    ax.annotate(
        mark.label, (mark.x, 1), xycoords=("data", "axes fraction"),
        xytext=(-5 if mark.solid else 5, -4), textcoords="offset points",
        ha="right" if mark.solid else "left", va="top", fontsize=11, color=INK,
        fontweight="bold" if mark.solid else "normal", annotation_clip=False,
    )  # fmt: skip
