"""England's 6,791 neighbourhoods (MSOAs, 2011 boundaries) with their 2019/20 councils: the
lookup PHE's API joined onto its rows, House of Commons Library names 1.14 and ONS mid-2019
populations (``bot/data/msoa_lookup.csv.gz``, built by ``scripts/build_sample.py``)."""

from __future__ import annotations

import csv
import functools
import gzip
import io
from importlib import resources

from bot.cases import Level, clean_name
from bot.errors import PatchbotError
from bot.geography import AREA_FIELDS, Area, Geography, register_geography

NAME = "msoa-2011"
# Councils PHE published as one, by the code it used: the councils' own names. Each own name
# (and code) stands for the pair, and the copy says they were published together.
PUBLISHED_TOGETHER = {
    "E06000052": ("Cornwall", "Isles of Scilly"),
    "E09000012": ("Hackney", "City of London"),
}
OWN_CODES = {"Isles of Scilly": "E06000053", "City of London": "E09000001"}


@functools.cache
def lookup() -> tuple[Area, ...]:
    """The bundled MSOA lookup, read once per process (its columns are ``Area``'s fields)."""
    packed = (resources.files("bot") / "data" / "msoa_lookup.csv.gz").read_bytes()
    rows = csv.reader(io.StringIO(gzip.decompress(packed).decode("utf-8")))
    if tuple(next(rows)) != AREA_FIELDS:
        raise PatchbotError("bot/data/msoa_lookup.csv.gz: not the columns of an Area")
    return tuple(
        Area(code, clean_name(name), ltla, ltla_name, utla, utla_name, region, region_name,
             int(people))
        for code, name, ltla, ltla_name, utla, utla_name, region, region_name, people in rows
    )  # fmt: skip


@register_geography(NAME)
def load() -> Geography:
    aliases = {
        name: (code,)
        for code, names in PUBLISHED_TOGETHER.items()
        for own in names
        for name in (own, OWN_CODES.get(own, own))
    }
    return Geography(NAME, Level.NEIGHBOURHOOD, lookup(), aliases, PUBLISHED_TOGETHER)
