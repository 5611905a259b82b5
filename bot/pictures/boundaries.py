"""England's MSOA boundaries, bundled as a topology (``bot/data/boundaries_msoa_2011.npz``,
built by ``scripts/build_boundaries.py``) and loaded once per process.

Council boundaries come from the topology itself: an edge (arc) that two MSOAs of different
councils share is a council boundary, and one that only one MSOA of the patch uses is the
patch's edge (``council_lines``).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.path import Path

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


def council_lines(
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
