"""England's 6,791 neighbourhoods (MSOAs, 2011 boundaries) with their 2019/20 councils: the
lookup PHE's API joined onto its rows, House of Commons Library names 1.14 and ONS mid-2019
populations (``bot/data/msoa_lookup.csv.gz``, built by ``scripts/build_sample.py``)."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from bot.cases import Level, clean_names
from bot.geography import Geography, register_geography

NAME = "msoa-2011"
# Councils PHE published as one, by the code it used: the councils' own names. Each own name
# (and code) stands for the pair, and the copy says they were published together.
PUBLISHED_TOGETHER = {
    "E06000052": ("Cornwall", "Isles of Scilly"),
    "E09000012": ("Hackney", "City of London"),
}
OWN_CODES = {"Isles of Scilly": "E06000053", "City of London": "E09000001"}


@functools.cache
def lookup() -> pd.DataFrame:
    """The bundled MSOA lookup, read once per process."""
    path = resources.files("bot") / "data" / "msoa_lookup.csv.gz"
    with resources.as_file(path) as file:
        areas = pd.read_csv(file, dtype={"population": "Int64"}, dtype_backend="numpy_nullable")
    return areas.assign(area_name=clean_names(areas["area_name"]))


@register_geography(NAME)
def load() -> Geography:
    aliases = {
        name: (code,)
        for code, names in PUBLISHED_TOGETHER.items()
        for own in names
        for name in (own, OWN_CODES.get(own, own))
    }
    return Geography(NAME, Level.NEIGHBOURHOOD, lookup(), aliases, PUBLISHED_TOGETHER)
