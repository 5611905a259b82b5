"""The council map of UKHSA's deaths: every council of the patch coloured by its death rate
band, drawn as the neighbourhoods (MSOAs) that make it up today, without their edges, with
council boundaries and names, England around it in pale grey, a key and the sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot import housestyle
from bot.cases import AreaStatus
from bot.geography import Patch
from bot.geography.councils import neighbourhood_councils
from bot.pictures.boundaries import boundaries
from bot.pictures.colours import BOUNDARY_SOURCE, DEATHS, NO_DATA_COLOUR, Palette
from bot.pictures.drawing import (
    LegendEntry,
    Picture,
    footer,
    header,
    legend,
    picture_filename,
    png_bytes,
    shorten,
)
from bot.pictures.maps import MAP_STORY, MapArea, band_parts, draw_msoas, highest
from bot.rules import AreaWeek


def council_map(
    table: Sequence[AreaWeek], patch: Patch, week_ending: dt.date, palette: Palette = DEATHS
) -> Picture:
    """A map of every council of the patch in the week's council-level ``table``
    (``bot.rules.patch_week``), coloured by its band of deaths per 100,000 people."""
    figures = {row.area_code: row for row in table}
    drawn = set(boundaries().codes)
    msoas = [
        MapArea(msoa.area_code, msoa.ltla_name, council.status, council.rate)
        for msoa in neighbourhood_councils()
        if (council := figures.get(msoa.ltla_code)) is not None and msoa.area_code in drawn
    ]
    if not msoas:
        raise ValueError(f"no boundaries for the councils of {patch.name}")
    figure, fills = draw_msoas(msoas, palette, outlined=False)

    week_start = week_ending - dt.timedelta(days=6)
    beginning = housestyle.uk_date(week_start, year=True)
    title = f"Covid-19 death rates by council, week beginning {beginning}"
    councils = housestyle.counted(len(table), "council")
    header(
        figure,
        title,
        f"{patch.name}: deaths involving Covid-19 registered per 100,000 people in the week "
        f"beginning {housestyle.uk_date(week_start)}, {councils}",
    )
    entries: list[LegendEntry] = [(b.label, b.colour, None) for b in palette.bands]
    if NO_DATA_COLOUR in fills:
        entries.append(("No figures", NO_DATA_COLOUR, "///"))
    legend(figure, entries, palette.key_title)
    footer(figure, [palette.source, BOUNDARY_SOURCE + " (councils drawn as their MSOAs)"])
    return Picture(
        MAP_STORY,
        picture_filename(week_ending, MAP_STORY, patch.name),
        png_bytes(figure),
        _alt_text(table, patch, week_start, palette),
        title,
    )


def _alt_text(
    table: Sequence[AreaWeek], patch: Patch, week_start: dt.date, palette: Palette
) -> str:
    """The councils by band, the ones with no figures, and the highest rate."""
    councils = housestyle.counted(len(table), "council")
    parts = band_parts(table, palette, "deaths")
    unknown = sum(row.status is not AreaStatus.REPORTED for row in table)
    if unknown:
        parts.append(f"{housestyle.num(unknown)} with no figures published")
    text = (
        f"Map of the {councils} of {patch.name} coloured by Covid-19 death rate in the week "
        f"beginning {housestyle.uk_date(week_start)}: {housestyle.listing(parts)}."
    )
    top = highest(table)
    if top is not None and top.rate:
        text += f" The highest rate is in {top.area_name}: {housestyle.rate(top.rate)}."
    return shorten(text)
