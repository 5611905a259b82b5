"""Build the MSOA boundary bundle the maps draw from: ``bot/data/boundaries_msoa_2011.npz``.

Reads the ONS MSOA (December 2011) boundaries as TopoJSON (``../shared/data/msoa-boundaries/
MSOA_EW_2011.json``, from jhellingsdata/map-data, MIT licence: WGS84 lon/lat, quantised, one
object ``geog`` of 7,201 England and Wales MSOAs) and keeps England's 6,791 (codes ``E02...``)
*as a topology*: each shared edge (arc) is stored once, and each MSOA's rings are lists of
arc references. Keeping the topology is what lets the maps draw council boundaries without a
GIS library: an arc that two MSOAs of different councils share is a council boundary, and an
arc that only one MSOA of a patch uses is the patch's edge (see
``bot/pictures/boundaries.py``), whatever council lookup is in force when the map is drawn.

The TopoJSON is decoded here, with no GIS dependency: an arc is a list of quantised positions,
the first absolute and the rest deltas from the one before; position ``(x, y)`` is at
``lon = x * scale[0] + translate[0]``, ``lat = y * scale[1] + translate[1]``; a ring lists arc
indices, and a negative index ``~i`` means arc ``i`` walked backwards. A polygon's first ring
is its outside, the others its holes. Rings are re-oriented so that outsides run
anticlockwise and holes clockwise (so holes stay holes whatever fill rule draws them).

The bundle is a NumPy ``.npz`` (a zip of ``.npy`` arrays) written with fixed timestamps, so a
rebuild is byte for byte the same:

==================  =======  =====================================================
array               dtype    what
==================  =======  =====================================================
``codes``           <U9      MSOA codes, sorted
``msoa_rings``      int32    offsets into the rings: MSOA ``i`` has rings
                             ``msoa_rings[i]:msoa_rings[i + 1]``
``ring_hole``       bool     whether each ring is a hole of the outside before it
``ring_arcs``       int32    offsets into ``arc_refs`` per ring (length rings + 1)
``arc_refs``        int32    arc references: ``i`` or ``~i`` (reversed)
``arc_start``       int32    first position of each arc, quantised (arcs x 2)
``arc_steps``       int32    offsets into ``deltas`` per arc (length arcs + 1)
``deltas``          int16    the following positions as deltas (points x 2)
``transform``       float64  ``[[scale_x, scale_y], [translate_x, translate_y]]``
==================  =======  =====================================================

Run from the repository root:  python scripts/build_boundaries.py [--source PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO.parent / "shared" / "data" / "msoa-boundaries" / "MSOA_EW_2011.json"
OUT = REPO / "bot" / "data" / "boundaries_msoa_2011.npz"
ENGLAND_PREFIX = "E02"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip timestamps: the same bytes on every rebuild


def decode_arcs(topology: dict[str, Any]) -> list[npt.NDArray[np.int64]]:
    """Every arc as absolute quantised positions (n x 2), undoing the delta encoding."""
    return [np.cumsum(np.asarray(arc, dtype=np.int64), axis=0) for arc in topology["arcs"]]


def ring_points(refs: list[int], arcs: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """A ring's positions: its arcs end to end, each after the first without its first point
    (the last point of the arc before)."""
    parts = []
    for number, ref in enumerate(refs):
        points = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        parts.append(points if number == 0 else points[1:])
    return np.concatenate(parts)


def signed_area(points: npt.NDArray[np.int64]) -> float:
    """Twice the signed area (shoelace); positive when the ring runs anticlockwise."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def reverse(refs: list[int]) -> list[int]:
    return [~ref for ref in reversed(refs)]


def build(topology: dict[str, Any]) -> dict[str, npt.NDArray[Any]]:
    arcs = decode_arcs(topology)
    geometries = [
        g
        for g in topology["objects"]["geog"]["geometries"]
        if str(g["properties"]["MSOA11CD"]).startswith(ENGLAND_PREFIX)
    ]
    geometries.sort(key=lambda g: str(g["properties"]["MSOA11CD"]))
    codes = [str(g["properties"]["MSOA11CD"]) for g in geometries]
    if len(set(codes)) != len(codes):
        raise SystemExit("duplicate MSOA codes in the source")

    renumber: dict[int, int] = {}  # source arc index -> bundle arc index, England's only
    msoa_rings, ring_hole, ring_arcs, arc_refs = [0], [], [0], []
    for geometry in geometries:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for number, refs in enumerate(polygon):
                hole = number > 0
                area = signed_area(ring_points(refs, arcs))
                if (area < 0) != hole:  # outsides anticlockwise, holes clockwise
                    refs = reverse(refs)
                for ref in refs:
                    index = ref if ref >= 0 else ~ref
                    new = renumber.setdefault(index, len(renumber))
                    arc_refs.append(new if ref >= 0 else ~new)
                ring_hole.append(hole)
                ring_arcs.append(len(arc_refs))
        msoa_rings.append(len(ring_hole))

    kept = sorted(renumber, key=renumber.__getitem__)
    starts = np.array([arcs[i][0] for i in kept], dtype=np.int32)
    steps = [np.diff(arcs[i], axis=0) for i in kept]
    deltas = np.concatenate(steps)
    if np.abs(deltas).max() > np.iinfo(np.int16).max:
        raise SystemExit("an arc step does not fit in 16 bits")
    transform = topology["transform"]
    return {
        "codes": np.array(codes, dtype="<U9"),
        "msoa_rings": np.array(msoa_rings, dtype=np.int32),
        "ring_hole": np.array(ring_hole, dtype=np.bool_),
        "ring_arcs": np.array(ring_arcs, dtype=np.int32),
        "arc_refs": np.array(arc_refs, dtype=np.int32),
        "arc_start": starts,
        "arc_steps": np.concatenate([[0], np.cumsum([len(s) for s in steps])]).astype(np.int32),
        "deltas": deltas.astype(np.int16),
        "transform": np.array([transform["scale"], transform["translate"]], dtype=np.float64),
    }


def write_npz(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    """``np.savez_compressed``, but with fixed timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the MSOA TopoJSON")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    topology = json.loads(args.source.read_text(encoding="utf-8"))
    if topology.get("type") != "Topology" or "transform" not in topology:
        raise SystemExit(f"{args.source}: not a quantised TopoJSON topology")
    arrays = build(topology)
    write_npz(args.out, arrays)
    rings = len(arrays["ring_hole"])
    print(
        f"{args.out}: {len(arrays['codes'])} MSOAs, {rings} rings "
        f"({int(arrays['ring_hole'].sum())} holes), {len(arrays['arc_start'])} arcs, "
        f"{len(arrays['deltas']) + len(arrays['arc_start'])} points, "
        f"{args.out.stat().st_size:,} bytes"
    )


if __name__ == "__main__":
    main()
