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
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from bot.cases import Level
from bot.errors import PatchbotError
from bot.geography.names import display_names, without_article
from bot.geography.presets import DEFAULT_PRESET, PRESETS
from bot.registry import Registry

# What a patch's name may take up in a headline (the longest council's is 32 characters).
PATCH_NAME_LIMIT = 40


class Area(NamedTuple):
    """One area of a geography (a neighbourhood, or a council), with where it belongs. A
    named tuple: immutable, and quick to make (6,791 each run)."""

    area_code: str
    area_name: str
    ltla_code: str  # its council (for council-level data, itself)
    ltla_name: str  # as ONS publishes it
    utla_code: str
    utla_name: str
    region_code: str
    region_name: str
    population: int  # ONS mid-2019

    def code_and_name(self, level: str) -> tuple[str, str]:
        """(code, name) of the area's ``level``: "region", "utla" or "ltla"."""
        code_and_name: tuple[str, str] = LEVELS[level](self)
        return code_and_name


AREA_FIELDS = Area._fields
# Each level's (code, name) of an area, read in one call.
LEVELS = {
    level: operator.attrgetter(f"{level}_code", f"{level}_name")
    for level in ("region", "utla", "ltla")
}
# Where an area is: its council, county and region, codes and names.
_PLACE = operator.attrgetter(*(f"{level}_{part}" for level in LEVELS for part in ("code", "name")))


@dataclass(frozen=True)
class Council:
    """A lower-tier local authority (district or unitary council)."""

    code: str
    name: str  # as the copy prints it (``names.toml``): "Bristol"
    utla_code: str
    utla_name: str
    region_code: str
    region_name: str
    ons_name: str = ""  # as ONS and PHE publish it: "Bristol, City of"


@dataclass(frozen=True)
class Patch:
    """The councils a newsroom covers, in the order they were given."""

    name: str  # its short name, for headlines, labels and file names
    place: str  # how running copy names it, with "the" where English needs it
    councils: tuple[Council, ...]
    note: str = ""  # a sentence every story carries: councils PHE published together

    @property
    def council_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.councils)

    @property
    def council_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.councils)


@dataclass(frozen=True)
class Group:
    """What a name a patch may use stands for: its councils, and how the copy names them."""

    name: str
    place: str
    codes: tuple[str, ...]


def slug(name: str) -> str:
    """A patch's name for file names: "North East and North Yorkshire" -> "north-east-and-..."."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def match_key(text: str) -> str:
    """Forgiving match key: case, '&' vs 'and', punctuation and spacing don't matter."""
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def short_name(name: str) -> tuple[str, str]:
    """(name, place) of a patch's own short name: "the Tees Valley" -> "Tees Valley" and
    "the Tees Valley"; a name in the display table takes its article from there."""
    name = " ".join(name.split())
    bare = without_article(name)
    return bare, name if bare != name else display_names().place(bare)


class Geography:
    """One geography's areas and how patches resolve in it.

    ``aliases`` are further names a patch may use, each standing for some of its councils
    (a district merged since 2019 stands for the council that replaced it). ``together``
    names the councils the source published as one, by the code it published them under.
    """

    def __init__(
        self,
        name: str,
        level: Level,
        areas: tuple[Area, ...],
        aliases: Mapping[str, tuple[str, ...]] | None = None,
        together: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.name = name
        self.level = level
        self.areas = areas
        self.names = display_names()
        first = {area.ltla_code: area for area in reversed(areas)}  # each council's first
        self.councils: dict[str, Council] = {
            area.ltla_code: Council(
                code=area.ltla_code,
                name=self.names.name(area.ltla_name),
                utla_code=area.utla_code,
                utla_name=area.utla_name,
                region_code=area.region_code,
                region_name=area.region_name,
                ons_name=area.ltla_name,
            )
            for area in sorted(first.values(), key=lambda area: area.ltla_name)
        }
        self.together = dict(together or {})
        # Every name or code a patch may be given as, and what it stands for.
        self._groups: dict[str, Group] = {}
        for alias, codes in (aliases or {}).items():
            self._add(alias, self._named(codes))
        # One area of each council in each county and region: all _members needs to see.
        placed = {_PLACE(area): area for area in areas}
        for level_name in ("region", "utla", "ltla"):  # narrower names win a clash
            for (code, official), members in _members(placed.values(), level_name):
                named = Group(self.names.name(official), self.names.place(official), members)
                self._add(str(code), named)
                for spelling in (official, *self.names.spellings(official)):
                    self._add(spelling, named)
                if level_name == "region":
                    self._add(f"{official} region", named)
        for key, preset in PRESETS.items():  # a preset's name wins ("West Midlands")
            named = Group(preset.name, preset.place, self._codes(preset.councils))
            self._add(key, named)
            self._add(preset.name, named)

    def _add(self, name: str, group: Group) -> None:
        self._groups[match_key(name)] = group

    def _named(self, codes: tuple[str, ...]) -> Group:
        """A group of councils named as the copy lists them: "Darlington and Hartlepool"."""
        councils = [self.councils[code] for code in codes]
        names = [c.name for c in councils]
        places = [self.names.place(c.name) for c in councils]
        return Group(_joined(names), _joined(places), codes)

    @functools.cached_property
    def population(self) -> dict[str, int]:
        """People by area code (ONS mid-2019)."""
        return {area.area_code: area.population for area in self.areas}

    def resolve_patch(self, spec: str | None, name: str | None = None) -> Patch:
        """A patch from a preset, or a comma-separated list of councils (names or ONS codes;
        county, region and preset names stand for all their councils). ``name`` is the
        patch's own short name for headlines; without one, a single name given names the
        patch, and a list is named by the preset, county or region with exactly its
        councils, else by its councils."""
        if spec is not None and not spec.strip(" ,"):
            raise PatchbotError("patch: no councils given")
        groups = [self._group(item) for item in self._items((spec or DEFAULT_PRESET).strip())]
        codes = list(dict.fromkeys(code for group in groups for code in group.codes))
        councils = tuple(self.councils[code] for code in codes)
        if name:
            shown, place = short_name(name)
        elif len(groups) == 1:
            shown, place = groups[0].name, groups[0].place
        else:
            same = set(codes)
            known = [g for g in self._groups.values() if len(g.codes) > 1 and set(g.codes) == same]
            chosen = known[-1] if known else self._named(tuple(codes))
            shown, place = chosen.name, chosen.place
        return Patch(shown, place, councils, self._note(councils))

    def _items(self, spec: str) -> list[str]:
        """The names in a comma-separated list, keeping a name that has a comma of its own
        ("Bristol, City of") whole."""
        parts = spec.split(",")
        items = []
        start = 0
        while start < len(parts):
            end = next(
                (end for end in range(len(parts), start + 1, -1)
                 if match_key(",".join(parts[start:end])) in self._groups),
                start + 1,
            )  # fmt: skip
            item = ",".join(parts[start:end]).strip()
            if item:
                items.append(item)
            start = end
        if not items:
            raise PatchbotError("patch: no councils given")
        return items

    def _codes(self, items: tuple[str, ...]) -> tuple[str, ...]:
        codes = (code for item in items for code in self._group(item).codes)
        return tuple(dict.fromkeys(codes))

    def _group(self, item: str) -> Group:
        group = self._groups.get(match_key(item))
        if group is None:
            raise PatchbotError(self._unknown(item))
        return group

    def _unknown(self, item: str) -> str:
        key = match_key(item)
        starting = [name for name in self._groups if key and name.startswith(key)]
        close = starting or difflib.get_close_matches(key, self._groups, n=6, cutoff=0.6)
        shown = list(dict.fromkeys(self._groups[c].name for c in close))[:3]
        hint = f"; did you mean {' or '.join(map(repr, shown))}?" if shown else "."
        example = self._groups[close[0]] if close else None
        code = (
            f"{example.codes[0]} is {self.councils[example.codes[0]].name}"
            if example and len(example.codes) == 1
            else "E06000023 is Bristol"
        )
        return (
            f"patch: unknown council {item!r}{hint} A council can also be given by its ONS "
            f"code ({code})."
        )

    def _note(self, councils: tuple[Council, ...]) -> str:
        """What the copy says of councils the source published as one."""
        notes = [
            "Public Health England published the figures for "
            f"{_joined([self.names.place(part) for part in self.together[c.code]])} together."
            for c in councils
            if c.code in self.together
        ]
        return " ".join(notes)

    def each_council(self) -> list[Patch]:
        """Every council in England as a patch of its own, in alphabetical order."""
        return [
            Patch(c.name, self.names.place(c.name), (c,), self._note((c,)))
            for c in sorted(self.councils.values(), key=lambda c: c.name)
        ]

    def england(self) -> Patch:
        councils = tuple(self.councils.values())
        return Patch("England", "England", councils, self._note(councils))


def _members(areas: Iterable[Area], level: str) -> list[tuple[tuple[str, str], tuple[str, ...]]]:
    """Each (code, name) of a level (region, utla, ltla), in order, with its councils' codes."""
    found: dict[tuple[str, str], set[str]] = {}
    code_and_name = LEVELS[level]
    for area in areas:
        found.setdefault(code_and_name(area), set()).add(area.ltla_code)
    return [(key, tuple(sorted(codes))) for key, codes in sorted(found.items())]


def _joined(names: list[str]) -> str:
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


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
