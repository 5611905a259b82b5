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


@functools.cache
def lookup() -> pd.DataFrame:
    """The bundled MSOA lookup, read once per process."""
    path = resources.files("bot") / "data" / "msoa_lookup.csv.gz"
    with resources.as_file(path) as file:
        areas = pd.read_csv(file, dtype={"population": "Int64"}, dtype_backend="numpy_nullable")
    return areas.assign(area_name=clean_names(areas["area_name"]))


@register_geography(NAME)
def load() -> Geography:
    return Geography(NAME, Level.NEIGHBOURHOOD, lookup())
