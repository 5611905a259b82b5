"""What every picture shares: the ``Picture`` it becomes, its figure, and the header, legend and
footer around the drawing, placed in pixels from the top-left corner.

Drawn with matplotlib's object API (a ``Figure`` on an Agg canvas), never pyplot, so nothing
global leaks between calls or into the caller's matplotlib state.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from bot.geography import slug
from bot.pictures.colours import EDGE_COLOUR, INK, MUTED
from bot.pictures.sizes import (
    ALT_TEXT_LIMIT,
    DPI,
    LEGEND_ROW_PX,
    LEGEND_TOP_PX,
    LINE_PX,
    MAP_SIDE_PX,
    SUBTITLE_TOP_PX,
)


@dataclass(frozen=True)
class Picture:
    story: str  # the story it illustrates, or "patch_map"
    filename: str  # e.g. "2020-11-25_highest_rates_york.png"
    png: bytes
    alt_text: str  # what the picture shows, with its figures, for screen readers (<= 1,000)
    title: str


# A legend entry: (label, colour, hatch or None).
LegendEntry = tuple[str, str, str | None]


def new_figure(width: int, height: int) -> Figure:
    """A white figure of ``width`` x ``height`` pixels on its own Agg canvas."""
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure) -> bytes:
    """The figure as a PNG, without the matplotlib version in it (same drawing, same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def picture_filename(week_ending: dt.date, story: str, patch_name: str) -> str:
    return f"{week_ending.isoformat()}_{story}_{slug(patch_name)}.png"


def text_px(figure: Figure, text: str, **style: Any) -> float:
    """How wide ``text`` draws, in pixels."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    item = figure.text(0, 0, text, **style)
    width = float(item.get_window_extent(renderer).width)
    item.remove()
    return width


def wrap(figure: Figure, text: str, width: float, lines: int, **style: Any) -> list[str]:
    """``text`` in at most ``lines`` lines that each draw within ``width`` pixels. Each line's
    length is found by halving (a few measurements, not one per word or letter), so even a
    name thousands of characters long is quick to fit."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        taken = _words_that_fit(figure, words, width, style)
        out.append(" ".join(words[:taken]))
        words = words[taken:]
    if words:  # too long: end the last line with an ellipsis
        last = out[-1]
        kept = _most_that_fit(
            len(last), lambda n: text_px(figure, last[:n] + "…", **style) <= width
        )
        out[-1:] = [last[:kept].rstrip() + "…"]
    return out


def _words_that_fit(figure: Figure, words: list[str], width: float, style: dict[str, Any]) -> int:
    """How many of ``words`` (at least one: a long word gets its own line) make a line within
    ``width`` pixels: all of them when they fit (most names do), else found by halving, with a
    few measurements rather than one per word (laying out a text is most of what measuring
    costs)."""

    def fits(count: int) -> bool:
        return text_px(figure, " ".join(words[:count]), **style) <= width

    if len(words) == 1 or fits(len(words)):
        return len(words)
    return max(_most_that_fit(len(words) - 1, fits), 1)


def _most_that_fit(count: int, fits: Callable[[int], bool]) -> int:
    """The largest n in 0..count for which ``fits(n)`` (which holds for every n below any n
    it holds for: text only grows wider), by halving."""
    low, high = 0, count
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def text_at(figure: Figure, x_px: float, top_px: float, text: str, **style: Any) -> Text:
    """Text placed in pixels from the picture's top-left corner."""
    width, height = figure.get_figwidth() * DPI, figure.get_figheight() * DPI
    return figure.text(x_px / width, 1 - top_px / height, text, **style)


def header(figure: Figure, title: str, subtitle: str, note: str | None = None) -> None:
    """Title, a subtitle of up to two lines, and a note (in bold) under them."""
    room = figure.get_figwidth() * DPI - 2 * MAP_SIDE_PX
    text_at(figure, MAP_SIDE_PX, 22, title, fontsize=20, fontweight="bold", color=INK, va="top")
    style: dict[str, Any] = {"fontsize": 13, "color": MUTED, "va": "top"}
    lines = [line for part in subtitle.split("\n") for line in wrap(figure, part, room, 2, **style)]
    for number, line in enumerate(lines[:2]):
        text_at(figure, MAP_SIDE_PX, SUBTITLE_TOP_PX + number * LINE_PX, line, **style)
    if note:
        top = SUBTITLE_TOP_PX + min(len(lines), 2) * LINE_PX
        text_at(figure, MAP_SIDE_PX, top, note, fontsize=13, color=INK, fontweight="bold", va="top")


def footer(figure: Figure, lines: Sequence[str]) -> None:
    """Small grey lines (the sources) in the bottom-left corner, the last lowest."""
    height = figure.get_figheight() * DPI
    for number, line in enumerate(reversed(lines)):
        text_at(figure, MAP_SIDE_PX, height - 10 - 18 * number, line, fontsize=10, color=MUTED)


def legend(figure: Figure, entries: Sequence[LegendEntry], title: str) -> None:
    """A colour key of ``(label, colour, hatch)`` swatches after a title, in as many rows as
    it takes."""
    height = figure.get_figheight() * DPI
    width = figure.get_figwidth() * DPI
    swatch_w, swatch_h = 34, 18
    x, row = float(MAP_SIDE_PX), 0
    text_at(figure, x, LEGEND_TOP_PX, title, fontsize=12, color=INK, va="center", fontweight="bold")
    start = x + text_px(figure, title, fontsize=12, fontweight="bold") + 14
    x = start
    for label, colour, hatch in entries:
        needed = swatch_w + 6 + text_px(figure, label, fontsize=12)
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
        text_at(figure, x + swatch_w + 6, middle, label, fontsize=12, color=INK, va="center")
        x += needed + 16


def shorten(text: str, limit: int = ALT_TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
