"""The patch map: every MSOA of the patch coloured by its rate band, with council boundaries
and names, England around it in pale grey, a key and the sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure

from bot import housestyle
from bot.cases import AreaStatus
from bot.geography import Patch
from bot.pictures.boundaries import Boundaries, boundaries, council_lines
from bot.pictures.colours import (
    BANDS,
    BOUNDARY_SOURCE,
    CASES,
    CONTEXT_COLOUR,
    COUNCIL_LINE,
    DASH,
    EDGE_COLOUR,
    NO_DATA_COLOUR,
    SOURCE,
    SUPPRESSED_COLOUR,
    Band,
    Palette,
    fill_colour,
)
from bot.pictures.drawing import (
    LegendEntry,
    Picture,
    footer,
    header,
    legend,
    new_figure,
    picture_filename,
    png_bytes,
    shorten,
)
from bot.pictures.frame import MapFrame, map_frame
from bot.pictures.labels import name_councils
from bot.rules import AreaWeek

MAP_STORY = "patch_map"  # what a map's ``Picture.story`` and file name say


class MapArea(NamedTuple):
    """One MSOA as a map draws it."""

    area_code: str
    council: str  # the council it is drawn and named under
    status: AreaStatus
    rate: float | None


def patch_map(table: Sequence[AreaWeek], patch: Patch, week_ending: dt.date) -> Picture:
    """A map of every MSOA of the patch coloured by its rate band in the week's ``table``
    (``bot.rules.patch_week``), with council boundaries and names, legend and source."""
    drawn = set(boundaries().codes)
    table = [row for row in table if row.area_code in drawn]
    if not table:
        raise ValueError(f"no boundaries for the areas of {patch.name}")
    msoas = [MapArea(row.area_code, row.ltla_name, row.status, row.rate) for row in table]
    figure, fills = draw_msoas(msoas, CASES, outlined=True)
    title = _frame_map(figure, patch, week_ending, fills)
    return Picture(
        MAP_STORY,
        picture_filename(week_ending, MAP_STORY, patch.name),
        png_bytes(figure),
        _map_alt_text(table, patch, week_ending),
        title,
    )


def draw_msoas(
    msoas: Sequence[MapArea], palette: Palette, outlined: bool
) -> tuple[Figure, list[str]]:
    """A map figure framed on ``msoas``, England around them in grey, each coloured by its
    band, council boundaries and names on top; and the fill of each MSOA."""
    geo = boundaries()
    codes = [msoa.area_code for msoa in msoas]
    frame = map_frame(codes)
    figure = new_figure(*frame.size)
    ax = figure.add_axes(frame.rect)
    ax.set_axis_off()
    ax.set_xlim(*frame.lon)
    ax.set_ylim(*frame.lat)
    draw_surroundings(ax, geo, frame, set(codes))
    fills = [fill_colour(msoa.status, msoa.rate, palette) for msoa in msoas]
    draw_areas(ax, geo, codes, fills, outlined)
    council_of = {msoa.area_code: msoa.council for msoa in msoas}
    draw_council_lines(ax, geo, council_of)
    name_councils(figure, ax, geo, council_of, frame)
    return figure, fills


def draw_surroundings(ax: Axes, geo: Boundaries, frame: MapFrame, ours: set[str]) -> None:
    """England around the patch, in pale grey, for context."""
    around = [code for code in geo.within(frame.lon, frame.lat) if code not in ours]
    ax.add_collection(
        PathCollection(
            [geo.path(code) for code in around], facecolors=CONTEXT_COLOUR,
            edgecolors=CONTEXT_COLOUR, linewidths=0.3,
        )
    )  # fmt: skip


def draw_areas(
    ax: Axes, geo: Boundaries, codes: list[str], fills: list[str], outlined: bool = True
) -> None:
    """The patch's MSOAs in their fills: band colours outlined in white (unless a council map
    draws each council as its MSOAs, ``outlined`` False), then the white (suppressed) and
    hatched grey (no figures) ones, outlined in grey so they show."""
    banded = [i for i, fill in enumerate(fills) if fill not in (SUPPRESSED_COLOUR, NO_DATA_COLOUR)]
    white = [i for i, fill in enumerate(fills) if fill == SUPPRESSED_COLOUR]
    grey = [i for i, fill in enumerate(fills) if fill == NO_DATA_COLOUR]
    layers = ((banded, "white" if outlined else "face", 0.4, None),
              (white, EDGE_COLOUR, 0.5, None),
              (grey, EDGE_COLOUR, 0.5, "///"))  # fmt: skip
    for chosen, edge, width, hatch in layers:
        if chosen:
            ax.add_collection(
                PathCollection(
                    [geo.path(codes[i]) for i in chosen], facecolors=[fills[i] for i in chosen],
                    edgecolors=edge, linewidths=width, hatch=hatch,
                )
            )  # fmt: skip


def draw_council_lines(ax: Axes, geo: Boundaries, council_of: dict[str, str]) -> None:
    """Council boundaries and the patch's edge: a dark line on a white casing, so they show
    on every colour."""
    inner, edge = council_lines(geo, council_of)
    for lines, width in ((inner, 1.2), (edge, 1.7)):
        ax.add_collection(LineCollection(lines, colors="white", linewidths=width + 2.2))
        ax.add_collection(LineCollection(lines, colors=COUNCIL_LINE, linewidths=width))


def _frame_map(figure: Figure, patch: Patch, week_ending: dt.date, fills: list[str]) -> str:
    """The title, subtitle (and a note when every count is suppressed), key and sources around
    the map of ``fills``; the title."""
    week = housestyle.uk_date(week_ending, year=True)
    title = f"Covid-19 case rates by neighbourhood, week to {week}"
    areas = housestyle.counted(len(fills), "neighbourhood")
    subtitle = (
        f"{patch.name}: cases per 100,000 people in the seven days to "
        f"{housestyle.uk_date(week_ending)}, {areas} (MSOAs)"
    )
    note = None
    if all(fill == SUPPRESSED_COLOUR for fill in fills):
        note = f"All {areas} had 0-2 cases this week: Public Health England suppressed every count."
    header(figure, title, subtitle, note)
    entries: list[LegendEntry] = [(b.label, b.colour, None) for b in BANDS]
    entries.append((f"0{DASH}2 cases", SUPPRESSED_COLOUR, None))
    if NO_DATA_COLOUR in fills:
        entries.append(("No figures", NO_DATA_COLOUR, "///"))
    legend(figure, entries, "Cases per 100,000:")
    footer(figure, [SOURCE, BOUNDARY_SOURCE])
    return title


def band_parts(table: Sequence[AreaWeek], palette: Palette, unit: str) -> list[str]:
    """How alt text counts the areas in each band, highest first: "two at 100 to 199 cases per
    100,000 people", "four below 10"."""
    parts = [
        f"{housestyle.num(count)} {band.words}"
        for band, count in reversed(band_counts(table, palette))
        if count
    ]
    if parts:
        parts[0] += f" {unit} per 100,000 people"
    return parts


def band_counts(table: Sequence[AreaWeek], palette: Palette = CASES) -> list[tuple[Band, int]]:
    """How many areas of the table are in each of the palette's bands."""
    rates = reported_rates(table)
    return [
        (band, sum(band.low <= rate and (band.high is None or rate < band.high) for rate in rates))
        for band in palette.bands
    ]


def reported_rates(table: Sequence[AreaWeek]) -> list[float]:
    """The rates of the reported areas that have one."""
    return [row.rate for row in table if row.status is AreaStatus.REPORTED and row.rate is not None]


def highest(table: Sequence[AreaWeek]) -> AreaWeek | None:
    """The area with the highest rate (the first of a tie), if any has one."""
    with_rates = [row for row in table if row.rate is not None]
    return max(with_rates, key=lambda row: row.rate or 0.0) if with_rates else None


def _map_alt_text(table: Sequence[AreaWeek], patch: Patch, week_ending: dt.date) -> str:
    total = len(table)
    suppressed = sum(row.status is AreaStatus.SUPPRESSED for row in table)
    unknown = total - suppressed - len(reported_rates(table))
    week = housestyle.uk_date(week_ending)
    areas = housestyle.counted(total, "neighbourhood")
    if suppressed == total:
        return (
            f"Map of the {areas} of {patch.place} in the week to {week}: all "
            f"{housestyle.num(total)} had 0 to 2 cases, so Public Health England suppressed "
            "every count; all are white."
        )
    parts = band_parts(table, CASES, "cases")
    if suppressed:
        parts.append(f"{housestyle.num(suppressed)} suppressed (0 to 2 cases)")
    if unknown:
        parts.append(f"{housestyle.num(unknown)} with no figures published")
    text = (
        f"Map of the {areas} of {patch.place} coloured by case rate in the week to {week}: "
        f"{housestyle.listing(parts)}."
    )
    top = highest(table)
    if top is not None and top.rate is not None:
        text += (
            f" The highest rate is in {top.area_name}, {top.ltla_name}: "
            f"{housestyle.rate(top.rate)}."
        )
    return shorten(text)
