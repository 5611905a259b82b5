"""Presets: the areas newsrooms cover that are not one council, county or region, each with the
short name its headlines use. A preset is asked for by its name ("Greater Manchester") or its
slug ("greater-manchester"); its councils are listed by their official (ONS) names.

The metropolitan counties have no county council, so the data has no name for them: these
presets are how a paper in Manchester, Liverpool or Leeds asks for its patch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str  # how headlines and labels name it: "West Midlands"
    place: str  # how running copy names it: "the West Midlands"
    councils: tuple[str, ...]


DEFAULT_PRESET = "north-east-and-north-yorkshire"
TYNE_AND_WEAR = (
    "Gateshead", "Newcastle upon Tyne", "North Tyneside", "South Tyneside", "Sunderland",
)  # fmt: skip
TEES_VALLEY = ("Darlington", "Hartlepool", "Middlesbrough", "Redcar and Cleveland",
               "Stockton-on-Tees")  # fmt: skip
MERSEYSIDE = ("Knowsley", "Liverpool", "St. Helens", "Sefton", "Wirral")
BLACK_COUNTRY = ("Dudley", "Sandwell", "Walsall", "Wolverhampton")

PRESETS: dict[str, Preset] = {
    DEFAULT_PRESET: Preset(
        "North East and North Yorkshire",
        "the North East and North Yorkshire",
        ("County Durham", "Darlington", "Gateshead", "Hartlepool", "Middlesbrough",
         "Newcastle upon Tyne", "North Tyneside", "Northumberland", "Redcar and Cleveland",
         "South Tyneside", "Stockton-on-Tees", "Sunderland",
         "Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough",
         "Selby", "York"),
    ),
    "greater-manchester": Preset(
        "Greater Manchester", "Greater Manchester",
        ("Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport",
         "Tameside", "Trafford", "Wigan"),
    ),
    "merseyside": Preset("Merseyside", "Merseyside", MERSEYSIDE),
    "liverpool-city-region": Preset(
        "Liverpool City Region", "the Liverpool City Region", (*MERSEYSIDE, "Halton")
    ),
    "south-yorkshire": Preset(
        "South Yorkshire", "South Yorkshire", ("Barnsley", "Doncaster", "Rotherham", "Sheffield")
    ),
    "west-yorkshire": Preset(
        "West Yorkshire", "West Yorkshire",
        ("Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"),
    ),
    "tyne-and-wear": Preset("Tyne and Wear", "Tyne and Wear", TYNE_AND_WEAR),
    "west-midlands": Preset(  # the metropolitan county; the region is "West Midlands region"
        "West Midlands", "the West Midlands",
        ("Birmingham", "Coventry", *BLACK_COUNTRY, "Solihull"),
    ),
    "black-country": Preset("Black Country", "the Black Country", BLACK_COUNTRY),
    "tees-valley": Preset("Tees Valley", "the Tees Valley", TEES_VALLEY),
    "west-of-england": Preset(
        "West of England", "the West of England",
        ("Bath and North East Somerset", "Bristol, City of", "South Gloucestershire"),
    ),
}  # fmt: skip
