"""England's councils as they are today: each council one area.

Built from the neighbourhood lookup (``msoa.py``): populations are the ONS mid-2019 MSOA
populations summed. The 2019/20 districts merged since into new unitary councils are summed
into their successor and kept as names a patch may use ("Harrogate" stands for North
Yorkshire); the two pairs PHE published together are split again by their neighbourhoods.
"""

from __future__ import annotations

import functools

import pandas as pd

from bot.cases import Level
from bot.geography import Geography, register_geography
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
    names = lookup().drop_duplicates("ltla_code").set_index("ltla_code")["ltla_name"]
    return {
        code: {district: str(names[district]) for district in districts}
        for (code, _name), districts in MERGED.items()
    }


def _split(msoas: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The MSOA table with the combined councils split, and their combined names as aliases."""
    msoas = msoas.copy()
    aliases: dict[str, tuple[str, ...]] = {}
    for (code, name), (own_code, own_name, own_areas) in SPLIT.items():
        aliases[str(msoas.loc[msoas["ltla_code"] == code, "ltla_name"].iloc[0])] = (
            code, own_code)  # fmt: skip
        own = msoas["area_code"].isin(own_areas)
        msoas.loc[own, ["ltla_code", "ltla_name", "utla_code", "utla_name"]] = [
            own_code, own_name, own_code, own_name]  # fmt: skip
        rest = (msoas["ltla_code"] == code) & ~own
        msoas.loc[rest, ["ltla_name", "utla_name"]] = [name, name]
    return msoas, aliases


def _merge(msoas: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The MSOA table with merged districts under their successor, and the old names (the
    districts and the counties they formed) as aliases."""
    msoas = msoas.copy()
    aliases: dict[str, tuple[str, ...]] = {}
    for (code, name), districts in MERGED.items():
        old = msoas["ltla_code"].isin(districts)
        for district in msoas.loc[old, ["ltla_code", "ltla_name"]].drop_duplicates().itertuples():
            aliases[str(district.ltla_code)] = (code,)
            aliases[str(district.ltla_name)] = (code,)
        for county in msoas.loc[old, ["utla_code", "utla_name"]].drop_duplicates().itertuples():
            for key in (str(county.utla_code), str(county.utla_name)):
                aliases[key] = tuple(sorted({*aliases.get(key, ()), code}))
        msoas.loc[old, ["ltla_code", "ltla_name", "utla_code", "utla_name"]] = [
            code, name, code, name]  # fmt: skip
    return msoas, aliases


@functools.cache
def _today() -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The MSOA lookup with today's councils, and the old names a patch may use."""
    split, combined = _split(lookup())
    merged, old_names = _merge(split)
    return merged, {**combined, **old_names}


def neighbourhood_councils() -> pd.DataFrame:
    """Every MSOA with today's council (``area_code``, ``ltla_code``, ``ltla_name``): how a
    council map draws a council, as the neighbourhoods that make it up."""
    neighbourhoods: pd.DataFrame = _today()[0][["area_code", "ltla_code", "ltla_name"]]
    return neighbourhoods


@register_geography(NAME)
def load() -> Geography:
    merged, old_names = _today()
    councils = (
        merged.groupby(
            ["ltla_code", "ltla_name", "utla_code", "utla_name", "region_code", "region_name"],
            as_index=False,
        )["population"]
        .sum()
        .assign(area_code=lambda table: table["ltla_code"], area_name=lambda t: t["ltla_name"])
    )
    # A county name that is now a council's own name resolves to the council itself.
    aliases = {k: v for k, v in old_names.items() if k not in set(councils["ltla_name"])}
    return Geography(NAME, Level.COUNCIL, councils, aliases)
