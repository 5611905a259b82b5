"""Where things are: the areas a source reports on, with their councils, counties, regions and
populations, and the newsroom's *patch* (the councils it covers), resolved from names, codes or
a preset.

A geography is one module that registers a loader by name (``register_geography``): the 2011
neighbourhoods (``msoa.py``) and today's councils (``councils.py``). Every geography is the same
``Geography`` over its own table of areas, so a patch, a preset or a council name resolves the
same way against either.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from bot.cases import Level
from bot.errors import PatchbotError
from bot.registry import Registry

DEFAULT_PRESET = "north-east-and-north-yorkshire"
AREA_COLUMNS = (
    "area_code", "area_name", "ltla_code", "ltla_name", "utla_code", "utla_name",
    "region_code", "region_name", "population",
)  # fmt: skip


@dataclass(frozen=True)
class Council:
    """A lower-tier local authority (district or unitary council)."""

    code: str
    name: str
    utla_code: str
    utla_name: str
    region_code: str
    region_name: str


@dataclass(frozen=True)
class Preset:
    name: str
    place: str  # how the copy names it: "the North East and North Yorkshire"
    councils: tuple[str, ...]


PRESETS: dict[str, Preset] = {
    DEFAULT_PRESET: Preset(
        name="North East and North Yorkshire",
        place="the North East and North Yorkshire",
        councils=(
            "County Durham", "Darlington", "Gateshead", "Hartlepool", "Middlesbrough",
            "Newcastle upon Tyne", "North Tyneside", "Northumberland", "Redcar and Cleveland",
            "South Tyneside", "Stockton-on-Tees", "Sunderland",
            "Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough",
            "Selby", "York",
        ),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Patch:
    """The councils a newsroom covers, in the order they were given."""

    name: str
    place: str
    councils: tuple[Council, ...]

    @property
    def council_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.councils)

    @property
    def council_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.councils)


def slug(name: str) -> str:
    """A patch's name for file names: "North East and North Yorkshire" -> "north-east-and-..."."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def match_key(text: str) -> str:
    """Forgiving match key: case, '&' vs 'and', punctuation and spacing don't matter."""
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


class Geography:
    """One geography's areas (a table with ``AREA_COLUMNS``) and how patches resolve in it.

    ``aliases`` are further names a patch may use, each standing for some of its councils
    (a district merged since 2019 stands for the council that replaced it).
    """

    def __init__(
        self,
        name: str,
        level: Level,
        areas: pd.DataFrame,
        aliases: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.name = name
        self.level = level
        self.areas = areas
        councils = areas.drop_duplicates("ltla_code").sort_values("ltla_name")
        self.councils: dict[str, Council] = {
            row["ltla_code"]: Council(
                code=row["ltla_code"],
                name=row["ltla_name"],
                utla_code=row["utla_code"],
                utla_name=row["utla_name"],
                region_code=row["region_code"],
                region_name=row["region_name"],
            )
            for row in councils.astype(str).to_dict("records")
        }
        # Every name or code a patch may be given as, mapped to the councils it stands for.
        self._groups: dict[str, tuple[str, ...]] = {
            match_key(alias): codes for alias, codes in (aliases or {}).items()
        }
        for level_name in ("region", "utla", "ltla"):  # narrower names win a clash
            for (code, group_name), group in areas.groupby(
                [f"{level_name}_code", f"{level_name}_name"]
            ):
                members = tuple(sorted(set(group["ltla_code"])))
                self._groups[match_key(str(code))] = members
                self._groups[match_key(str(group_name))] = members
        self._regions = set(areas["region_name"].unique())
        self._display = {
            match_key(v): str(v)
            for level_name in ("region", "utla", "ltla")
            for v in areas[f"{level_name}_name"].unique()
        }

    @functools.cached_property
    def population(self) -> pd.Series:
        """People by area code (ONS mid-2019)."""
        people: pd.Series = self.areas.set_index("area_code")["population"]
        return people

    def resolve_patch(self, spec: str | None) -> Patch:
        """A patch from a preset name, or a comma-separated list of councils (names or codes;
        county and region names stand for all their councils)."""
        if spec is not None and not spec.strip(" ,"):
            raise PatchbotError("patch: no councils given")
        spec = (spec or DEFAULT_PRESET).strip()
        preset = PRESETS.get(spec) or PRESETS.get(match_key(spec).replace(" ", "-"))
        if preset is not None:
            return Patch(preset.name, preset.place, self._councils(preset.councils))
        items = [item.strip() for item in spec.split(",") if item.strip()]
        if not items:
            raise PatchbotError("patch: no councils given")
        councils = self._councils(items)
        names = [c.name for c in councils]
        if len(items) == 1 and match_key(items[0]) in self._display:
            name = self._display[match_key(items[0])]
            if name in self._regions and name != "London":  # "across the North East"
                return Patch(name, "the " + name.replace(" The ", " the "), councils)
        else:
            name = " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
        return Patch(name, name, councils)

    def _councils(self, items: tuple[str, ...] | list[str]) -> tuple[Council, ...]:
        codes: list[str] = []
        for item in items:
            members = self._groups.get(match_key(item))
            if members is None:
                raise PatchbotError(self._unknown(item))
            codes.extend(code for code in members if code not in codes)
        return tuple(self.councils[code] for code in codes)

    def _unknown(self, item: str) -> str:
        key = match_key(item)
        starting = [name for name in self._display if key and name.startswith(key)]
        close = starting[:3] or difflib.get_close_matches(key, self._display, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(self._display[c]) for c in close)}?"
        return f"patch: unknown council {item!r}" + (hint if close else "")

    def each_council(self) -> list[Patch]:
        """Every council in England as a patch of its own, in alphabetical order."""
        return [Patch(c.name, c.name, (c,)) for c in self.councils.values()]

    def england(self) -> Patch:
        return Patch("England", "England", tuple(self.councils.values()))


GeographyLoader = Callable[[], Geography]
GEOGRAPHIES: Registry[GeographyLoader] = Registry("geography")
register_geography = GEOGRAPHIES.register


@functools.cache
def load_geography(name: str = "msoa-2011") -> Geography:
    """A registered geography, loaded once per process."""
    return GEOGRAPHIES.find(name, "geography")()


# The built-in geographies register themselves on import.
from bot.geography import councils as council_geography  # noqa: E402, F401
from bot.geography import msoa as msoa_geography  # noqa: E402, F401
