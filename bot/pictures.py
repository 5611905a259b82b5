"""Pictures that go with the stories: a bar chart for the ranked stories and a map of the patch.

* ``story_chart``: a horizontal bar chart of the areas a ranked story lists, in its order.
  ``highest_rates`` charts the rate per 100,000 with the patch average (and the "twice the
  average" threshold) marked; ``largest_rises`` and ``largest_falls`` chart the change in cases
  on the week before, from a marked zero (falls run leftwards, with the names on the right),
  because that is what those stories rank by; their bars are coloured by this week's rate.
* ``patch_map``: a choropleth of every MSOA of the patch, with council boundaries and names.

Both colour areas by the rate bands of PHE's dashboard map (``BANDS``, the one band table),
carry the week, the patch and the source, and come with alt text that carries the figures.
They are drawn with matplotlib's object API (a ``Figure`` on an Agg canvas), never pyplot, so
nothing global leaks between calls or into the caller's matplotlib state.

The map draws from a bundled topology of England's MSOA boundaries
(``bot/data/boundaries_msoa_2011.npz``, built by ``scripts/build_boundaries.py``), loaded once
per process. Council boundaries come from the topology itself: an edge (arc) that two MSOAs of
different councils share is a council boundary, and one that only one MSOA of the patch uses
is the patch's edge.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from bot import housestyle
from bot.geography import Patch, slug
from bot.stories import Draft, DraftSet

DASH, MINUS = "\u2013", "\u2212"  # typographic en dash and minus sign, for the pictures

# --- Colours -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A band of the rate per 100,000 people in seven days: ``low <= rate < high``."""

    low: int
    high: int | None  # None: no upper limit
    colour: str

    @property
    def label(self) -> str:
        """How a legend shows it: "10-49" (with an en dash), "800+"."""
        return f"{self.low:,}+" if self.high is None else f"{self.low:,}{DASH}{self.high - 1:,}"

    @property
    def words(self) -> str:
        """How alt text says it: "at 10 to 49", "at 800 or more", "below 10"."""
        if self.high is None:
            return f"at {self.low:,} or more"
        if self.low == 0:
            return f"below {self.high:,}"
        return f"at {self.low:,} to {self.high - 1:,}"


# THE band table: the bands and colours of PHE's coronavirus dashboard MSOA map (autumn 2020),
# yellow through greens and blues to purples. Everything that colours an area uses it.
BANDS: tuple[Band, ...] = (
    Band(0, 10, "#e0e543"),  # yellow
    Band(10, 50, "#74bb68"),  # light green
    Band(50, 100, "#399384"),  # teal green
    Band(100, 200, "#2067ab"),  # blue
    Band(200, 400, "#12407f"),  # dark blue
    Band(400, 800, "#53084a"),  # purple
    Band(800, None, "#2b0226"),  # dark purple
)
SUPPRESSED_COLOUR = "#ffffff"  # 0-2 cases: PHE withheld the count (and so the rate)
NO_DATA_COLOUR = "#d9d9d9"  # no row in the data: drawn light grey, hatched
SUPPRESSED_LABEL = f"0{DASH}2 cases (suppressed)"
NO_DATA_LABEL = "No figures published"

INK = "#1a1a1a"  # titles, names
MUTED = "#595959"  # subtitles, the source, axis text
RULE = "#d0d0d0"  # grid lines
CONTEXT_COLOUR = "#ececec"  # England outside the patch, on the map
EDGE_COLOUR = "#8c8c8c"  # outlines of white (suppressed) and hatched (no data) areas
COUNCIL_LINE = "#262626"  # council boundaries on the map

SOURCE = "Source: Public Health England; ONS mid-2019 population"
BOUNDARY_SOURCE = (
    "Boundaries: ONS Open Geography, MSOA 2011 (OGL v3.0); "
    "contains OS data © Crown copyright and database right"
)

# --- Sizes (pixels at DPI; every picture has a fixed width) --------------------------------------

DPI = 100
CHART_WIDTH = 1200
CHART_BAR_PX = 38  # height per listed area
CHART_TOP_PX = 200  # title, subtitle (two lines), legend
CHART_BOTTOM_PX = 95  # x axis, its label, the source
CHART_MAX_BARS = 40  # a longer list (ties) is charted to here, and the chart says so
CHART_MIN_HEIGHT = CHART_TOP_PX + CHART_BOTTOM_PX + 5 * CHART_BAR_PX
MAP_WIDTH = 1200
MAP_HEIGHT = 1200
MAP_TOP_PX = 215  # title, subtitle (two lines), a note, the legend (two rows)
MAP_BOTTOM_PX = 55  # the sources
MAP_SIDE_PX = 20
MAP_PAD = 0.03  # margin around the patch, as a share of its larger extent
ALT_TEXT_LIMIT = 1000  # Slack refuses longer alt text (files.getUploadURLExternal alt_txt)

CHART_STORIES = ("highest_rates", "largest_rises", "largest_falls")
MAP_STORY = "patch_map"


@dataclass(frozen=True)
class Picture:
    story: str  # the story it illustrates, or "patch_map"
    filename: str  # e.g. "2020-11-25_highest_rates_york.png"
    png: bytes
    alt_text: str  # what the picture shows, with its figures, for screen readers (<= 1,000)
    title: str


def band_for(rate: float) -> Band:
    """The band a rate per 100,000 falls in."""
    for band in reversed(BANDS):
        if rate >= band.low:
            return band
    return BANDS[0]


def fill_colour(status: str, rate: float | None) -> str:
    """An area's colour: its rate's band, white when suppressed, grey with no figures."""
    if status == "suppressed":
        return SUPPRESSED_COLOUR
    if rate is None or status != "reported":
        return NO_DATA_COLOUR
    return band_for(rate).colour


# --- Shared drawing helpers -------------------------------------------------------------------


def _figure(width: int, height: int) -> Figure:
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _filename(week_ending: dt.date, story: str, patch_name: str) -> str:
    return f"{week_ending.isoformat()}_{story}_{slug(patch_name)}.png"


def _text_px(figure: Figure, text: str, **style: Any) -> float:
    """How wide ``text`` draws, in pixels."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    item = figure.text(0, 0, text, **style)
    width = float(item.get_window_extent(renderer).width)
    item.remove()
    return width


SUBTITLE_TOP_PX = 62  # where the subtitle's first line starts
LINE_PX = 23  # subtitle line spacing
LEGEND_TOP_PX = 160  # the middle of the legend's first row
LEGEND_ROW_PX = 28


def _wrap(figure: Figure, text: str, width: float, lines: int, **style: Any) -> list[str]:
    """``text`` in at most ``lines`` lines that each draw within ``width`` pixels."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and _text_px(figure, f"{line} {words[0]}", **style) <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words:  # too long: end the last line with an ellipsis
        last = out[-1]
        while last and _text_px(figure, last + "…", **style) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out


def _at(figure: Figure, x_px: float, top_px: float, text: str, **style: Any) -> Text:
    """Text placed in pixels from the picture's top-left corner."""
    width, height = figure.get_figwidth() * DPI, figure.get_figheight() * DPI
    return figure.text(x_px / width, 1 - top_px / height, text, **style)


def _header(figure: Figure, title: str, subtitle: str, note: str | None = None) -> None:
    """Title, a subtitle of up to two lines, and a note (in bold) under them."""
    room = figure.get_figwidth() * DPI - 2 * MAP_SIDE_PX
    _at(figure, MAP_SIDE_PX, 22, title, fontsize=20, fontweight="bold", color=INK, va="top")
    style: dict[str, Any] = {"fontsize": 13, "color": MUTED, "va": "top"}
    lines = [
        line for part in subtitle.split("\n") for line in _wrap(figure, part, room, 2, **style)
    ]
    for number, line in enumerate(lines[:2]):
        _at(figure, MAP_SIDE_PX, SUBTITLE_TOP_PX + number * LINE_PX, line, **style)
    if note:
        top = SUBTITLE_TOP_PX + min(len(lines), 2) * LINE_PX
        _at(figure, MAP_SIDE_PX, top, note, fontsize=13, color=INK, fontweight="bold", va="top")


def _footer(figure: Figure, lines: Sequence[str]) -> None:
    height = figure.get_figheight() * DPI
    for number, line in enumerate(reversed(lines)):
        _at(figure, MAP_SIDE_PX, height - 10 - 18 * number, line, fontsize=10, color=MUTED)


def _legend(figure: Figure, entries: Sequence[tuple[str, str, str | None]], title: str) -> int:
    """A colour key of ``(label, colour, hatch)`` swatches after a title, in as many rows as
    it takes; how many rows."""
    height = figure.get_figheight() * DPI
    width = figure.get_figwidth() * DPI
    swatch_w, swatch_h = 34, 18
    x, row = float(MAP_SIDE_PX), 0
    _at(figure, x, LEGEND_TOP_PX, title, fontsize=12, color=INK, va="center", fontweight="bold")
    start = x + _text_px(figure, title, fontsize=12, fontweight="bold") + 14
    x = start
    for label, colour, hatch in entries:
        needed = swatch_w + 6 + _text_px(figure, label, fontsize=12)
        if x + needed > width - MAP_SIDE_PX:
            x, row = start, row + 1
        middle = LEGEND_TOP_PX + row * LEGEND_ROW_PX
        figure.add_artist(
            Rectangle(
                (x / width, 1 - (middle + swatch_h / 2) / height), swatch_w / width,
                swatch_h / height, transform=figure.transFigure, facecolor=colour,
                edgecolor=EDGE_COLOUR, linewidth=0.8, hatch=hatch,
            )
        )  # fmt: skip
        _at(figure, x + swatch_w + 6, middle, label, fontsize=12, color=INK, va="center")
        x += needed + 16
    return row + 1


def _shorten(text: str, limit: int = ALT_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- Charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bar:
    label: str  # "Area, Council"
    value: float
    rate: float | None
    status: str
    note: str  # the figure printed at the bar's end


def _area_label(area: dict[str, Any]) -> str:
    return f"{area['area_name']}, {area['ltla_name']}"


def _cases_words(value: Any) -> str:
    return "0 to 2" if value is None else housestyle.num(value)


def _change_note(area: dict[str, Any]) -> str:
    change = int(area["change"])
    before = area.get("previous_cases")
    now = area.get("cases")
    span = ""
    if before is not None:
        span = f"  ({before:,} → {f'0{DASH}2' if now is None else f'{now:,}'} cases)"
    return f"{change:+,}".replace("-", MINUS) + span


def chart_height(bars: int) -> int:
    """The chart's height in pixels for this many bars (at most ``CHART_MAX_BARS``)."""
    shown = min(bars, CHART_MAX_BARS)
    return max(CHART_MIN_HEIGHT, CHART_TOP_PX + CHART_BOTTOM_PX + shown * CHART_BAR_PX)


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
    return _shorten(f"{first}{tail}", limit)


def story_chart(draft: Draft, patch_name: str, week_ending: dt.date) -> Picture | None:
    """A bar chart of the areas ``draft`` lists, or None for a story without one."""
    areas: list[dict[str, Any]] = list(draft.facts.get("areas") or [])
    if draft.story not in CHART_STORIES or not areas:
        return None
    week = housestyle.uk_date(week_ending, year=True)
    short_week = housestyle.uk_date(week_ending)
    lines: list[tuple[float, str, str]] = []  # (x, label, line style)
    if draft.story == "highest_rates":
        bars = [
            _Bar(
                _area_label(a), float(a["rate"]), a["rate"], a["status"],
                f"{housestyle.rate(a['rate'])}"
                + (f"  ({a['cases']:,} cases)" if a.get("cases") is not None else ""),
            )
            for a in areas
            if a.get("rate") is not None
        ]  # fmt: skip
        title = f"Highest Covid-19 case rates, week to {week}"
        subtitle = f"{patch_name}: the neighbourhoods with the most cases per 100,000 people"
        x_label = f"Cases per 100,000 people in the seven days to {short_week}"
        average = draft.facts.get("patch_average")
        threshold = draft.facts.get("threshold")
        if threshold is not None and bars and threshold <= max(b.value for b in bars):
            multiple = draft.facts.get("above_average_multiple", 2)
            lines.append(
                (float(threshold), f"{housestyle.times(multiple).capitalize()} the average: "
                 f"{housestyle.rate(threshold)}", "dashed"),
            )  # fmt: skip
        if average is not None:
            lines.append((float(average), f"Patch average: {housestyle.rate(average)}", "solid"))
        first = areas[0]
        alt = _alt_list(
            f"Bar chart: {_area_label(first)} has the highest rate in the week to {short_week}, "
            f"{housestyle.rate(first['rate'])} cases per 100,000 people",
            [f"{_area_label(a)} ({housestyle.rate(a['rate'])})" for a in areas[1:]],
            f"; the patch average is {housestyle.rate(average)}." if average is not None else ".",
        )
    else:
        rising = draft.story == "largest_rises"
        bars = [
            _Bar(_area_label(a), float(a["change"]), a.get("rate"), a["status"], _change_note(a))
            for a in areas
            if a.get("change") is not None
        ]
        word = "rises" if rising else "falls"
        title = f"Largest {word} in Covid-19 cases, week to {week}"
        least = draft.facts.get("min_previous_cases")
        base = (
            f", of areas with at least {housestyle.counted(least, 'case')} the week before"
            if least
            else ""
        )
        subtitle = (
            f"{patch_name}: change in cases on the week before{base}.\n"
            "Bars are coloured by the area's rate this week."
        )
        x_label = f"Change in cases: seven days to {short_week} against the seven days before"
        first = areas[0]
        direction = "up" if rising else "down"

        def moved(a: dict[str, Any]) -> str:
            return (
                f"{direction} {housestyle.num(abs(int(a['change'])))} "
                f"to {_cases_words(a.get('cases'))}"
            )

        alt = _alt_list(
            f"Bar chart: {_area_label(first)} had the largest {word[:-1]} in cases in the week "
            f"to {short_week}, {moved(first)}",
            [f"{_area_label(a)} ({moved(a)})" for a in areas[1:]],
            "; bars are coloured by this week's rate per 100,000 people.",
        )
    if not bars:
        return None
    png = _draw_chart(
        bars, title, subtitle, x_label, lines, leftwards=draft.story == "largest_falls",
        hidden=len(areas) - min(len(bars), CHART_MAX_BARS),
    )  # fmt: skip
    return Picture(draft.story, _filename(week_ending, draft.story, patch_name), png, alt, title)


def _draw_chart(
    bars: list[_Bar],
    title: str,
    subtitle: str,
    x_label: str,
    lines: list[tuple[float, str, str]],
    leftwards: bool,
    hidden: int,
) -> bytes:
    shown = bars[:CHART_MAX_BARS]
    height = chart_height(len(shown))
    figure = _figure(CHART_WIDTH, height)
    label_style: dict[str, Any] = {"fontsize": 12}
    note_style: dict[str, Any] = {"fontsize": 11}
    most = CHART_WIDTH * 0.45  # a longer name is cut short with an ellipsis
    names = [_wrap(figure, b.label, most, 1, **label_style)[0] for b in shown]
    names_px = max(_text_px(figure, name, **label_style) for name in names) + 16
    notes_px = max(_text_px(figure, b.note, **note_style) for b in shown) + 12
    outer = MAP_SIDE_PX + 10
    left = outer if leftwards else names_px + outer
    right = names_px + outer if leftwards else outer
    axes_px = CHART_WIDTH - left - right
    bottom = CHART_BOTTOM_PX
    ax = figure.add_axes(
        (left / CHART_WIDTH, bottom / height, axes_px / CHART_WIDTH,
         (height - CHART_TOP_PX - bottom) / height)
    )  # fmt: skip

    magnitudes = [abs(b.value) for b in shown] + [abs(x) for x, _label, _style in lines]
    reach = max(magnitudes) or 1.0
    span = reach * axes_px / max(axes_px - notes_px - 8, axes_px * 0.4)  # room for the notes
    positions = np.arange(len(shown))
    colours = [fill_colour(b.status, b.rate) for b in shown]
    ax.barh(
        positions, [b.value for b in shown], height=0.72, color=colours,
        edgecolor=[EDGE_COLOUR if c == SUPPRESSED_COLOUR else c for c in colours],
        linewidth=0.8, zorder=2,
    )  # fmt: skip
    ax.set_ylim(len(shown) - 0.4, -0.6)  # first area at the top
    ax.set_xlim((-span, 0) if leftwards else (0, span))
    ax.set_yticks(positions, names, color=INK, **label_style)
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
    ax.set_xlabel(x_label, color=MUTED, fontsize=12, labelpad=8)
    for position, bar in zip(positions, shown, strict=True):
        ax.annotate(
            bar.note, (bar.value, position), xytext=(-6 if bar.value < 0 else 6, 0),
            textcoords="offset points", ha="right" if bar.value < 0 else "left",
            va="center", color=INK, zorder=4, **note_style,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
        )  # fmt: skip
    for x, label, style in lines:
        ax.axvline(x, color=INK, linewidth=1.4, linestyle=style, zorder=3)
        solid = style == "solid"
        ax.annotate(
            label, (x, 1), xycoords=("data", "axes fraction"), xytext=(-5 if solid else 5, -4),
            textcoords="offset points", ha="right" if solid else "left", va="top",
            fontsize=11, color=INK, fontweight="bold" if solid else "normal",
            annotation_clip=False,
        )  # fmt: skip
        ax.set_ylim(len(shown) - 0.4, -1.3)  # a free row at the top for the label

    _header(figure, title, subtitle)
    used = sorted({fill_colour(b.status, b.rate) for b in shown}, key=_colour_order)
    entries = [(_colour_label(c), c, None) for c in used]
    _legend(figure, entries, "Rate per 100,000:")
    footer = [SOURCE]
    if hidden > 0:
        footer.insert(0, f"Showing the first {len(shown)} areas; {hidden} more tied with the last.")
    _footer(figure, footer)
    return _png(figure)


def _colour_order(colour: str) -> int:
    order = [band.colour for band in BANDS] + [SUPPRESSED_COLOUR, NO_DATA_COLOUR]
    return order.index(colour)


def _colour_label(colour: str) -> str:
    for band in BANDS:
        if band.colour == colour:
            return band.label
    return SUPPRESSED_LABEL if colour == SUPPRESSED_COLOUR else NO_DATA_LABEL


# --- Boundaries --------------------------------------------------------------------------------

BOUNDARIES_FILE = "boundaries_msoa_2011.npz"
FloatArray = npt.NDArray[np.float64]


class Boundaries:
    """England's MSOA boundaries as a topology (see ``scripts/build_boundaries.py``)."""

    def __init__(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.codes: list[str] = [str(code) for code in arrays["codes"]]
        self._index = {code: number for number, code in enumerate(self.codes)}
        self._msoa_rings = arrays["msoa_rings"]
        self._ring_hole = arrays["ring_hole"]
        self._ring_arcs = arrays["ring_arcs"]
        self._arc_refs = arrays["arc_refs"]
        # Decode every arc to lon/lat at once: each arc is its start then cumulative deltas.
        starts = arrays["arc_start"].astype(np.int64)
        steps = arrays["arc_steps"].astype(np.int64)
        deltas = arrays["deltas"].astype(np.int64)
        lengths = np.diff(steps) + 1
        self._arc_offsets = np.concatenate([[0], np.cumsum(lengths)])
        first = self._arc_offsets[:-1]
        moves = np.zeros((int(self._arc_offsets[-1]), 2), dtype=np.int64)
        is_first = np.zeros(len(moves), dtype=bool)
        is_first[first] = True
        moves[~is_first] = deltas
        moves[first] = starts
        total = np.cumsum(moves, axis=0)
        # Undo the carry-over from the arcs before: subtract each arc's running sum at its start.
        carry = np.repeat(total[first] - starts, lengths, axis=0)
        quantised = total - carry
        scale, translate = arrays["transform"]
        self._points: FloatArray = quantised * scale + translate
        # Bounding boxes (lon0, lat0, lon1, lat1) of each MSOA, for finding the neighbours.
        lo = np.minimum.reduceat(self._points, first, axis=0)
        hi = np.maximum.reduceat(self._points, first, axis=0)
        arcs = np.where(self._arc_refs < 0, ~self._arc_refs, self._arc_refs)
        ring_starts = self._ring_arcs[:-1]
        ring_lo = np.minimum.reduceat(lo[arcs], ring_starts, axis=0)
        ring_hi = np.maximum.reduceat(hi[arcs], ring_starts, axis=0)
        msoa_starts = self._msoa_rings[:-1]
        self._bounds: FloatArray = np.hstack(
            [
                np.minimum.reduceat(ring_lo, msoa_starts, axis=0),
                np.maximum.reduceat(ring_hi, msoa_starts, axis=0),
            ]
        )
        self._paths: dict[str, Path] = {}

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def arc(self, index: int) -> FloatArray:
        """The points (lon, lat) of arc ``index``; ``~index`` walks it backwards."""
        if index < 0:
            return self.arc(~index)[::-1]
        return self._points[self._arc_offsets[index] : self._arc_offsets[index + 1]]

    def arc_refs(self, code: str) -> npt.NDArray[np.int32]:
        """Every arc reference of the MSOA's rings."""
        number = self._index[code]
        rings = self._msoa_rings[number], self._msoa_rings[number + 1]
        refs: npt.NDArray[np.int32] = self._arc_refs[
            self._ring_arcs[rings[0]] : self._ring_arcs[rings[1]]
        ]
        return refs

    def rings(self, code: str) -> list[tuple[FloatArray, bool]]:
        """The MSOA's rings as (points, is_hole), closed (last point = first); outsides run
        anticlockwise, holes clockwise; each hole follows the outside it is in."""
        number = self._index[code]
        rings = []
        for ring in range(self._msoa_rings[number], self._msoa_rings[number + 1]):
            refs = self._arc_refs[self._ring_arcs[ring] : self._ring_arcs[ring + 1]]
            parts = [self.arc(int(ref)) for ref in refs]
            points = np.concatenate([parts[0], *(part[1:] for part in parts[1:])])
            rings.append((points, bool(self._ring_hole[ring])))
        return rings

    def path(self, code: str) -> Path:
        """The MSOA as one matplotlib path (lon/lat), holes included."""
        path = self._paths.get(code)
        if path is None:
            vertices, kinds = [], []
            for points, _hole in self.rings(code):
                codes = np.full(len(points), Path.LINETO, dtype=Path.code_type)
                codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
                vertices.append(points)
                kinds.append(codes)
            path = Path(np.concatenate(vertices), np.concatenate(kinds))
            self._paths[code] = path
        return path

    def bounds(self, codes: Iterable[str]) -> tuple[float, float, float, float]:
        """(lon0, lat0, lon1, lat1) around these MSOAs."""
        rows = self._bounds[[self._index[code] for code in codes if code in self._index]]
        if not len(rows):
            raise ValueError("no boundaries for these areas")
        return (
            float(rows[:, 0].min()),
            float(rows[:, 1].min()),
            float(rows[:, 2].max()),
            float(rows[:, 3].max()),
        )

    def within(self, lon: tuple[float, float], lat: tuple[float, float]) -> list[str]:
        """The MSOAs whose bounding box meets this lon/lat rectangle."""
        b = self._bounds
        hit = (b[:, 0] <= lon[1]) & (b[:, 2] >= lon[0]) & (b[:, 1] <= lat[1]) & (b[:, 3] >= lat[0])
        return [self.codes[number] for number in np.flatnonzero(hit)]


@functools.cache
def boundaries() -> Boundaries:
    """The bundled boundaries, read once per process."""
    data = (resources.files("bot") / "data" / BOUNDARIES_FILE).read_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return Boundaries(arrays)


def centroid(points: FloatArray) -> tuple[float, float, float]:
    """(lon, lat, area) of a closed ring by the shoelace formula (area in degrees², signed)."""
    x, y = points[:-1, 0], points[:-1, 1]
    x1, y1 = points[1:, 0], points[1:, 1]
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    if area == 0:
        return float(x.mean()), float(y.mean()), 0.0
    return (
        float(((x + x1) * cross).sum() / (6 * area)),
        float(((y + y1) * cross).sum() / (6 * area)),
        float(area),
    )


# --- Maps --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFrame:
    """Where a patch map puts the land: lon/lat limits inside a fixed box of the picture.

    The projection is equirectangular about the patch's middle latitude (a degree of longitude
    drawn ``cos(latitude)`` times as wide as a degree of latitude), near enough equal-area and
    true-shaped at the scale of a county."""

    lon: tuple[float, float]
    lat: tuple[float, float]
    box: tuple[int, int, int, int]  # left, bottom, width, height in pixels, from bottom-left
    size: tuple[int, int] = (MAP_WIDTH, MAP_HEIGHT)

    def pixel(self, lon: float, lat: float) -> tuple[float, float]:
        """Where (lon, lat) lands in the PNG: (column, row) from its top-left corner."""
        left, bottom, width, height = self.box
        x = left + (lon - self.lon[0]) / (self.lon[1] - self.lon[0]) * width
        y = bottom + (lat - self.lat[0]) / (self.lat[1] - self.lat[0]) * height
        return x, self.size[1] - y

    @property
    def rect(self) -> tuple[float, float, float, float]:
        left, bottom, width, height = self.box
        return (
            left / self.size[0],
            bottom / self.size[1],
            width / self.size[0],
            height / self.size[1],
        )


def map_frame(area_codes: Iterable[str]) -> MapFrame:
    """The frame a map of these MSOAs is drawn in (``patch_map`` uses the same)."""
    lon0, lat0, lon1, lat1 = boundaries().bounds(area_codes)
    k = math.cos(math.radians((lat0 + lat1) / 2))
    box = (
        MAP_SIDE_PX,
        MAP_BOTTOM_PX,
        MAP_WIDTH - 2 * MAP_SIDE_PX,
        MAP_HEIGHT - MAP_TOP_PX - MAP_BOTTOM_PX,
    )
    wide, tall = (lon1 - lon0) * k, lat1 - lat0  # in degrees of latitude
    pad = MAP_PAD * max(wide, tall, 1e-3)
    wide, tall = wide + 2 * pad, tall + 2 * pad
    aspect = box[2] / box[3]
    wide, tall = max(wide, tall * aspect), max(tall, wide / aspect)
    mid_lon, mid_lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    return MapFrame(
        lon=(mid_lon - wide / k / 2, mid_lon + wide / k / 2),
        lat=(mid_lat - tall / 2, mid_lat + tall / 2),
        box=box,
    )


def _council_lines(
    geo: Boundaries, council_of: dict[str, str]
) -> tuple[list[FloatArray], list[FloatArray]]:
    """(council boundaries inside the patch, the patch's edge) as lon/lat polylines."""
    uses: dict[int, list[str]] = {}
    for code, council in council_of.items():
        for ref in geo.arc_refs(code):
            arc = int(ref) if ref >= 0 else int(~ref)
            uses.setdefault(arc, []).append(council)
    inner, edge = [], []
    for arc, councils in uses.items():
        if len(councils) == 1:
            edge.append(geo.arc(arc))
        elif len(set(councils)) > 1:
            inner.append(geo.arc(arc))
    return inner, edge


@dataclass(frozen=True)
class _Spot:
    lon: float  # a point inside the council to write its name at
    lat: float
    area: float  # the council's area, in square degrees (to place small councils first)


def _label_spots(geo: Boundaries, council_of: dict[str, str], k: float) -> dict[str, _Spot]:
    """Where each council's name starts looking for a place: the middle of its MSOA nearest
    the council's area-weighted centre (inside the council, whatever its shape)."""
    middles: dict[str, list[tuple[float, float, float]]] = {}
    for code, council in council_of.items():
        outsides = [centroid(points) for points, hole in geo.rings(code) if not hole]
        if not outsides:
            continue
        x, y, _area = max(outsides, key=lambda c: c[2])
        middles.setdefault(council, []).append((x, y, sum(c[2] for c in outsides)))
    spots: dict[str, _Spot] = {}
    for council, items in middles.items():
        areas = np.array([max(item[2], 0.0) for item in items])
        xs = np.array([item[0] for item in items])
        ys = np.array([item[1] for item in items])
        weights = areas if areas.sum() > 0 else np.ones_like(areas)
        cx, cy = np.average(xs, weights=weights), np.average(ys, weights=weights)
        nearest = int(np.argmin(((xs - cx) * k) ** 2 + (ys - cy) ** 2))
        spots[council] = _Spot(float(xs[nearest]), float(ys[nearest]), float(areas.sum()))
    return spots


class _Cover:
    """Which MSOA of the patch covers each cell of a coarse pixel grid over the map (-1: none),
    to tell what a name placed somewhere would hide."""

    CELL = 6  # pixels

    def __init__(self, ax: Axes, paths: Sequence[Path], councils: Sequence[int]) -> None:
        box = ax.get_window_extent()
        self.x0, self.y0 = box.x0, box.y0
        nx, ny = int(box.width // self.CELL) + 1, int(box.height // self.CELL) + 1
        self.area = np.full((ny, nx), -1, dtype=np.int32)
        self.council = np.append(np.asarray(councils, dtype=np.int32), -1)  # [-1] -> -1
        xs = self.x0 + (np.arange(nx) + 0.5) * self.CELL
        ys = self.y0 + (np.arange(ny) + 0.5) * self.CELL
        for number, path in enumerate(paths):
            shape = ax.transData.transform_path(path)
            vertices = np.asarray(shape.vertices)
            low, high = vertices.min(axis=0), vertices.max(axis=0)
            i0, i1 = np.searchsorted(xs, [low[0], high[0]])
            j0, j1 = np.searchsorted(ys, [low[1], high[1]])
            if i0 >= i1 or j0 >= j1:
                continue
            grid_x, grid_y = np.meshgrid(xs[i0:i1], ys[j0:j1])
            points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
            inside = shape.contains_points(points).reshape(grid_x.shape)
            self.area[j0:j1, i0:i1][inside] = number

    def under(self, extent: Any, council: int) -> tuple[float, float, int]:
        """What a box hides: (share over ``council``, share over the patch, how many MSOAs)."""
        i0, i1 = int((extent.x0 - self.x0) // self.CELL), int((extent.x1 - self.x0) // self.CELL)
        j0, j1 = int((extent.y0 - self.y0) // self.CELL), int((extent.y1 - self.y0) // self.CELL)
        cells = self.area[max(j0, 0) : j1 + 1, max(i0, 0) : i1 + 1]
        if not cells.size:
            return 0.0, 0.0, 0
        councils = self.council[cells]
        hidden = len(np.unique(cells[cells >= 0]))
        return float((councils == council).mean()), float((cells >= 0).mean()), hidden


LABEL_REACH_PX = 320  # how far a council name may move from its council, with a leader line
LABEL_STEP_PX = 12
OWN_SHARE = 0.9  # a name this much over its own council is "inside" it: no leader line


def _label_tries() -> list[tuple[float, float]]:
    """Offsets (pixels) to try a name at, nearest first; sideways moves count for less."""
    tries = {(0.0, 0.0)}
    for radius in range(LABEL_STEP_PX, LABEL_REACH_PX + 1, LABEL_STEP_PX):
        for step in range(24):
            angle = 2 * math.pi * step / 24
            tries.add((round(radius * math.cos(angle), 1), round(radius * math.sin(angle), 1)))
    return sorted(tries, key=lambda t: (math.hypot(t[0] / 2.5, t[1]), t))


def _place_labels(
    figure: Figure, ax: Axes, texts: list[Text], cover: _Cover, reach: list[float]
) -> None:
    """Put each council's name (``texts[i]`` names council ``i``; smallest council first)
    where it is readable and hides little, never over a name placed before it:

    1. inside its own council, within ``reach[i]`` pixels of its start (about the council's
       radius), where it hides the fewest MSOAs, less a little for each pixel it moves: on a
       large rural MSOA near the middle rather than on a town centre;
    2. else off the patch (the sea, a neighbouring area), nearest first, with a leader line;
    3. else the nearest free spot, with a leader line."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    placed: list[tuple[float, float, float, float]] = []  # x0, y0, x1, y1 of each name

    def free(x0: float, y0: float, x1: float, y1: float) -> bool:
        if x0 < frame.x0 or y0 < frame.y0 or x1 > frame.x1 or y1 > frame.y1:
            return False
        return not any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in placed)

    tries = _label_tries()
    for council, text in enumerate(texts):
        x, y = text.get_position()
        home = text.get_window_extent(renderer).expanded(1.04, 1.2)
        inside: tuple[float, float, float] | None = None  # (cost, dx, dy)
        outside = fallback = None
        for dx, dy in tries:
            distance = math.hypot(dx, dy)
            near = distance <= reach[council]
            if not near and (inside is not None or outside is not None):
                break  # tries are nearest first: nothing further is better
            if not free(home.x0 + dx, home.y0 + dy, home.x1 + dx, home.y1 + dy):
                continue
            fallback = fallback or (dx, dy)
            own, patch, hidden = cover.under(home.translated(dx, dy), council)
            if near and own >= OWN_SHARE:
                cost = hidden + 3 * distance / max(reach[council], 1.0)
                if inside is None or cost < inside[0]:
                    inside = (cost, dx, dy)
            elif outside is None and patch <= 0.04:
                outside = (dx, dy)
        dx, dy = (inside[1], inside[2]) if inside else (outside or fallback or (0.0, 0.0))
        placed.append((home.x0 + dx, home.y0 + dy, home.x1 + dx, home.y1 + dy))
        if (dx, dy) == (0.0, 0.0):
            continue
        base = ax.transData.transform((x, y))
        spot = ax.transData.inverted().transform((base[0] + dx, base[1] + dy))
        text.set_position((float(spot[0]), float(spot[1])))
        if inside is None:  # off its council: point to it
            ax.annotate(
                "", (x, y), xytext=(float(spot[0]), float(spot[1])),
                arrowprops={"arrowstyle": "-", "color": INK, "linewidth": 0.9,
                            "shrinkA": 0, "shrinkB": 0, "patchA": text},
                zorder=4,
            )  # fmt: skip
            ax.plot([x], [y], marker="o", markersize=3.5, color=INK, zorder=4)


def _band_counts(table: pd.DataFrame) -> list[tuple[Band, int]]:
    reported = table[(table["status"] == "reported") & table["rate"].notna()]
    rates = reported["rate"].astype("float64").to_numpy()
    counts = []
    for band in BANDS:
        inside = rates >= band.low
        if band.high is not None:
            inside &= rates < band.high
        counts.append((band, int(inside.sum())))
    return counts


def _map_alt_text(table: pd.DataFrame, patch: Patch, week_ending: dt.date) -> str:
    total = len(table)
    suppressed = int((table["status"] == "suppressed").sum())
    unknown = (
        total - suppressed - int(((table["status"] == "reported") & table["rate"].notna()).sum())
    )
    week = housestyle.uk_date(week_ending)
    areas = housestyle.counted(total, "neighbourhood")
    if suppressed == total:
        return (
            f"Map of the {areas} of {patch.name} in the week to {week}: all "
            f"{housestyle.num(total)} had 0 to 2 cases, so Public Health England suppressed "
            "every count; all are white."
        )
    parts = [
        f"{housestyle.num(count)} {band.words}"
        for band, count in reversed(_band_counts(table))
        if count
    ]
    if parts:
        parts[0] += " cases per 100,000 people"
    if suppressed:
        parts.append(f"{housestyle.num(suppressed)} suppressed (0 to 2 cases)")
    if unknown:
        parts.append(f"{housestyle.num(unknown)} with no figures published")
    text = (
        f"Map of the {areas} of {patch.name} coloured by case rate in the week to {week}: "
        f"{housestyle.listing(parts)}."
    )
    ranked = table[table["rate"].notna()].sort_values("rate", ascending=False, kind="stable")
    if len(ranked):
        top = ranked.iloc[0]
        text += (
            f" The highest rate is in {top['area_name']}, {top['ltla_name']}: "
            f"{housestyle.rate(float(top['rate']))}."
        )
    return _shorten(text)


def patch_map(table: pd.DataFrame, patch: Patch, week_ending: dt.date) -> Picture:
    """A map of every MSOA of the patch coloured by its rate band in the week's ``table``
    (``bot.rules.patch_week``), with council boundaries and names, legend and source."""
    geo = boundaries()
    table = table[table["area_code"].isin(geo.codes)]
    if table.empty:
        raise ValueError(f"no boundaries for the areas of {patch.name}")
    codes = [str(code) for code in table["area_code"]]
    frame = map_frame(codes)
    figure = _figure(*frame.size)
    ax = figure.add_axes(frame.rect)
    ax.set_axis_off()
    ax.set_xlim(*frame.lon)
    ax.set_ylim(*frame.lat)

    ours = set(codes)
    around = [code for code in geo.within(frame.lon, frame.lat) if code not in ours]
    ax.add_collection(
        PathCollection(
            [geo.path(code) for code in around], facecolors=CONTEXT_COLOUR,
            edgecolors=CONTEXT_COLOUR, linewidths=0.3,
        )
    )  # fmt: skip

    statuses = [str(s) for s in table["status"]]
    rates = [None if pd.isna(r) else float(r) for r in table["rate"]]
    fills = [fill_colour(s, r) for s, r in zip(statuses, rates, strict=True)]
    coloured = [i for i, f in enumerate(fills) if f not in (SUPPRESSED_COLOUR, NO_DATA_COLOUR)]
    white = [i for i, f in enumerate(fills) if f == SUPPRESSED_COLOUR]
    grey = [i for i, f in enumerate(fills) if f == NO_DATA_COLOUR]
    if coloured:
        ax.add_collection(
            PathCollection(
                [geo.path(codes[i]) for i in coloured], facecolors=[fills[i] for i in coloured],
                edgecolors="white", linewidths=0.4,
            )
        )  # fmt: skip
    if white:
        ax.add_collection(
            PathCollection(
                [geo.path(codes[i]) for i in white], facecolors=SUPPRESSED_COLOUR,
                edgecolors=EDGE_COLOUR, linewidths=0.5,
            )
        )  # fmt: skip
    if grey:
        ax.add_collection(
            PathCollection(
                [geo.path(codes[i]) for i in grey], facecolors=NO_DATA_COLOUR,
                edgecolors=EDGE_COLOUR, linewidths=0.5, hatch="///",
            )
        )  # fmt: skip

    council_of = dict(zip(codes, (str(name) for name in table["ltla_name"]), strict=True))
    inner, edge = _council_lines(geo, council_of)
    for lines, width in ((inner, 1.2), (edge, 1.7)):  # a dark line on a white casing
        ax.add_collection(LineCollection(lines, colors="white", linewidths=width + 2.2))
        ax.add_collection(LineCollection(lines, colors=COUNCIL_LINE, linewidths=width))

    k = math.cos(math.radians(sum(frame.lat) / 2))
    spots = _label_spots(geo, council_of, k)
    order = sorted(spots, key=lambda name: spots[name].area)  # smallest council first
    halo = [patheffects.withStroke(linewidth=3.5, foreground="white")]
    texts = [
        ax.text(
            spots[name].lon, spots[name].lat, name, fontsize=13 if len(spots) <= 12 else 11.5,
            fontweight="bold", color=INK, ha="center", va="center", path_effects=halo, zorder=5,
        )
        for name in order
    ]  # fmt: skip
    number = {name: index for index, name in enumerate(order)}
    cover = _Cover(
        ax, [geo.path(code) for code in codes], [number.get(council_of[c], -1) for c in codes]
    )
    scale = frame.box[3] / (frame.lat[1] - frame.lat[0])  # pixels per degree of latitude
    reach = [math.sqrt(spots[name].area * k / math.pi) * scale for name in order]
    _place_labels(figure, ax, texts, cover, reach)

    week = housestyle.uk_date(week_ending, year=True)
    title = f"Covid-19 case rates by neighbourhood, week to {week}"
    subtitle = (
        f"{patch.name}: cases per 100,000 people in the seven days to "
        f"{housestyle.uk_date(week_ending)}, {housestyle.counted(len(table), 'neighbourhood')}"
        " (MSOAs)"
    )
    note = None
    if len(white) == len(table):
        note = (
            f"All {housestyle.counted(len(table), 'neighbourhood')} had 0-2 cases this week: "
            "Public Health England suppressed every count."
        )
    _header(figure, title, subtitle, note)
    entries: list[tuple[str, str, str | None]] = [(b.label, b.colour, None) for b in BANDS]
    entries.append((f"0{DASH}2 cases", SUPPRESSED_COLOUR, None))
    if grey:
        entries.append(("No figures", NO_DATA_COLOUR, "///"))
    _legend(figure, entries, "Cases per 100,000:")
    _footer(figure, [SOURCE, BOUNDARY_SOURCE])
    png = _png(figure)
    return Picture(
        MAP_STORY,
        _filename(week_ending, MAP_STORY, patch.name),
        png,
        _map_alt_text(table, patch, week_ending),
        title,
    )


def pictures_for(drafts: DraftSet, draft: Draft) -> list[Picture]:
    """The pictures that go with a story: its chart, if it has one; the patch map goes with
    the round-up (every neighbourhood's figures)."""
    found = []
    chart = story_chart(draft, drafts.patch.name, drafts.week_ending)
    if chart is not None:
        found.append(chart)
    if draft.story == "weekly_roundup":
        found.append(patch_map(drafts.patch_table(), drafts.patch, drafts.week_ending))
    return found
