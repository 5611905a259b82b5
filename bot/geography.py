"""Where things are: every England MSOA with its council, county, region and population, and
the newsroom's *patch* (the councils it covers), resolved from names, codes or a preset."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from bot.errors import PatchbotError

DEFAULT_PRESET = "north-east-and-north-yorkshire"


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


def clean_names(names: pd.Series) -> pd.Series:
    """Names as copy prints them: single spaces, no space before a comma (one HCL name,
    "Little Shelford , Foxton & Haslingfield", has one)."""
    tidy = {name: " ".join(name.split()).replace(" ,", ",") for name in names.unique()}
    if all(name == clean for name, clean in tidy.items()):
        return names
    cleaned: pd.Series = names.map(tidy)
    return cleaned


def slug(name: str) -> str:
    """A patch's name for file names: "North East and North Yorkshire" -> "north-east-and-..."."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _key(text: str) -> str:
    """Forgiving match key: case, '&' vs 'and', punctuation and spacing don't matter."""
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


class Geography:
    """The bundled MSOA lookup (HCL names 1.14, PHE's MSOA relations, ONS mid-2019 population)."""

    def __init__(self, areas: pd.DataFrame) -> None:
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
        self._groups: dict[str, tuple[str, ...]] = {}
        for level in ("region", "utla", "ltla"):  # narrower names win a clash
            for (code, name), group in areas.groupby([f"{level}_code", f"{level}_name"]):
                members = tuple(sorted(set(group["ltla_code"])))
                self._groups[_key(str(code))] = members
                self._groups[_key(str(name))] = members
        self._regions = set(areas["region_name"].unique())
        self._display = {
            _key(v): str(v)
            for level in ("region", "utla", "ltla")
            for v in areas[f"{level}_name"].unique()
        }

    def resolve_patch(self, spec: str | None) -> Patch:
        """A patch from a preset name, or a comma-separated list of councils (names or codes;
        county and region names stand for all their councils)."""
        if spec is not None and not spec.strip(" ,"):
            raise PatchbotError("patch: no councils given")
        spec = (spec or DEFAULT_PRESET).strip()
        preset = PRESETS.get(spec) or PRESETS.get(_key(spec).replace(" ", "-"))
        if preset is not None:
            return Patch(preset.name, preset.place, self._councils(preset.councils))
        items = [item.strip() for item in spec.split(",") if item.strip()]
        if not items:
            raise PatchbotError("patch: no councils given")
        councils = self._councils(items)
        names = [c.name for c in councils]
        if len(items) == 1 and _key(items[0]) in self._display:
            name = self._display[_key(items[0])]
            if name in self._regions and name != "London":  # "across the North East"
                return Patch(name, "the " + name.replace(" The ", " the "), councils)
        else:
            name = " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
        return Patch(name, name, councils)

    def _councils(self, items: tuple[str, ...] | list[str]) -> tuple[Council, ...]:
        codes: list[str] = []
        for item in items:
            members = self._groups.get(_key(item))
            if members is None:
                raise PatchbotError(self._unknown(item))
            codes.extend(code for code in members if code not in codes)
        return tuple(self.councils[code] for code in codes)

    def _unknown(self, item: str) -> str:
        key = _key(item)
        starting = [name for name in self._display if key and name.startswith(key)]
        close = starting[:3] or difflib.get_close_matches(key, self._display, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(self._display[c]) for c in close)}?"
        return f"patch: unknown council {item!r}" + (hint if close else "")

    def each_council(self) -> list[Patch]:
        """Every council in England as a patch of its own, in alphabetical order."""
        return [Patch(c.name, c.name, (c,)) for c in self.councils.values()]

    def england(self) -> Patch:
        return Patch("England", "England", tuple(self.councils.values()))

    def area_codes_for_api(self, patch: Patch) -> list[str]:
        """The fewest region/county/council codes whose MSOAs cover exactly the patch
        (the PHE API takes one areaCode per request, and throttled at 10 in 100 seconds)."""
        wanted = set(patch.council_codes)
        codes: list[str] = []
        for level in ("region", "utla"):
            for code, group in self.areas.groupby(f"{level}_code"):
                members = set(group["ltla_code"])
                if members <= wanted:
                    codes.append(str(code))
                    wanted -= members
        return codes + sorted(wanted)


@functools.cache
def load_geography() -> Geography:
    """The bundled lookup, read once per process."""
    path = resources.files("bot") / "data" / "msoa_lookup.csv.gz"
    with resources.as_file(path) as file:
        areas = pd.read_csv(file, dtype={"population": "Int64"}, dtype_backend="numpy_nullable")
    return Geography(areas.assign(area_name=clean_names(areas["area_name"])))
