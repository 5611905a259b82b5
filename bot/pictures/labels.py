"""Council names on the patch map: each where it is readable and hides the least.

A name starts at the middle of its council (the MSOA nearest the council's area-weighted
centre, so inside the council whatever its shape) and moves, nearest first, to where it hides
the fewest neighbourhoods; a name too big for its council goes off the patch with a leader line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.text import Text

from bot.pictures.boundaries import Boundaries, centroid
from bot.pictures.colours import INK
from bot.pictures.frame import MapFrame


def name_councils(
    figure: Figure, ax: Axes, geo: Boundaries, council_of: dict[str, str], frame: MapFrame
) -> None:
    """Write each council's name on the map (``council_of``: each MSOA's council, in the
    order the map draws them), smallest council first so it gets the first pick of places."""
    k = frame.squash
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
        ax,
        [geo.path(code) for code in council_of],
        [number.get(council, -1) for council in council_of.values()],
    )
    scale = frame.px_per_degree
    reach = [math.sqrt(spots[name].area * k / math.pi) * scale for name in order]
    _place_labels(figure, ax, texts, cover, reach)


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
