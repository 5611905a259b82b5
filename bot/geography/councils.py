"""England's councils as they are today: each council one area.

Built from the neighbourhood lookup (``msoa.py``): populations are the ONS mid-2019 MSOA
populations summed. The 2019/20 districts merged since into new unitary councils are summed
into their successor and kept as names a patch may use ("Harrogate" stands for North
Yorkshire); the two pairs PHE published together are split again by their neighbourhoods.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from bot.cases import Level
from bot.geography import Area, Geography, register_geography
from bot.geography.msoa import lookup

NAME = "councils"

# New council (code, name) <- the 2019/20 districts it replaced.
MERGED = {
    ("E06000060", "Buckinghamshire"): (
        "E07000004", "E07000005", "E07000006", "E07000007"),  # April 2020
    ("E06000061", "North Northamptonshire"): (
        "E07000150", "E07000152", "E07000153", "E07000156"),  # April 2021
    ("E06000062", "West Northamptonshire"): ("E07000151", "E07000154", "E07000155"),
    ("E06000063", "Cumberland"): ("E07000026", "E07000028", "E07000029"),  # April 2023
    ("E06000064", "Westmorland and Furness"): ("E07000027", "E07000030", "E07000031"),
    ("E06000065", "North Yorkshire"): (
        "E07000163", "E07000164", "E07000165", "E07000166", "E07000167", "E07000168",
        "E07000169"),
    ("E06000066", "Somerset"): ("E07000187", "E07000188", "E07000189", "E07000246"),
}  # fmt: skip
# Councils PHE published as one, split again: (code, name) -> the MSOAs that are theirs alone.
SPLIT = {
    ("E09000012", "Hackney"): ("E09000001", "City of London", ("E02000001",)),
    ("E06000052", "Cornwall"): ("E06000053", "Isles of Scilly", ("E02006781",)),
}


def predecessors() -> dict[str, dict[str, str]]:
    """Each council formed from districts merged since 2019: its code -> {district code: the
    district's name}, as data published before the merger names them."""
    names = {area.ltla_code: area.ltla_name for area in lookup()}
    return {
        code: {district: names[district] for district in districts}
        for (code, _name), districts in MERGED.items()
    }


def _moved(area: Area, code: str, name: str) -> Area:
    """The area under another council (and that council as its county too)."""
    return area._replace(ltla_code=code, ltla_name=name, utla_code=code, utla_name=name)


def _split(msoas: Iterable[Area]) -> tuple[list[Area], dict[str, tuple[str, ...]]]:
    """The MSOA table with the combined councils split, and their combined names as aliases."""
    split = list(msoas)
    aliases: dict[str, tuple[str, ...]] = {}
    for (code, name), (own_code, own_name, own_areas) in SPLIT.items():
        combined = next(area.ltla_name for area in split if area.ltla_code == code)
        aliases[combined] = (code, own_code)
        split = [
            _moved(area, own_code, own_name) if area.area_code in own_areas
            else area._replace(ltla_name=name, utla_name=name)
            if area.ltla_code == code else area
            for area in split
        ]  # fmt: skip
    return split, aliases


def _merge(msoas: list[Area]) -> tuple[list[Area], dict[str, tuple[str, ...]]]:
    """The MSOA table with merged districts under their successor, and the old names (the
    districts and the counties they formed) as aliases."""
    aliases: dict[str, tuple[str, ...]] = {}
    successor = {}
    for (code, name), districts in MERGED.items():
        successor.update(dict.fromkeys(districts, (code, name)))
        old = [area for area in msoas if area.ltla_code in districts]
        for district in dict.fromkeys((area.ltla_code, area.ltla_name) for area in old):
            aliases.update(dict.fromkeys(district, (code,)))
        for county in dict.fromkeys((area.utla_code, area.utla_name) for area in old):
            for key in county:
                aliases[key] = tuple(sorted({*aliases.get(key, ()), code}))
    merged = [
        _moved(area, *successor[area.ltla_code]) if area.ltla_code in successor else area
        for area in msoas
    ]
    return merged, aliases


@functools.cache
def _today() -> tuple[tuple[Area, ...], dict[str, tuple[str, ...]]]:
    """The MSOA lookup with today's councils, and the old names a patch may use."""
    split, combined = _split(lookup())
    merged, old_names = _merge(split)
    return tuple(merged), {**combined, **old_names}


def neighbourhood_councils() -> tuple[Area, ...]:
    """Every MSOA with today's council: how a council map draws a council, as the
    neighbourhoods that make it up."""
    return _today()[0]


@register_geography(NAME)
def load() -> Geography:
    merged, old_names = _today()
    totals: dict[tuple[str, str, str, str, str, str], int] = {}
    for area in merged:
        key = (area.ltla_code, area.ltla_name, area.utla_code, area.utla_name,
               area.region_code, area.region_name)  # fmt: skip
        totals[key] = totals.get(key, 0) + area.population
    councils = tuple(
        Area(code, name, code, name, utla_code, utla_name, region_code, region_name, people)
        for (code, name, utla_code, utla_name, region_code, region_name), people in sorted(
            totals.items()
        )
    )
    # A county name that is now a council's own name resolves to the council itself.
    names = {council.ltla_name for council in councils}
    aliases = {k: v for k, v in old_names.items() if k not in names}
    return Geography(NAME, Level.COUNCIL, councils, aliases)
