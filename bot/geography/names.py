"""Names as the papers print them: the one table of display names (``names.toml`` beside this
module) that the copy, the charts, the maps and their alt text all use.

A council or place keeps its official (ONS) name in the data and the JSON facts; what is
printed comes from here: "Bristol" for "Bristol, City of", "St Helens" for "St. Helens", and
"the" where English needs it ("the Isle of Wight" in running copy, "Isle of Wight" in a list).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources

from bot.errors import PatchbotError

ARTICLE = "the "
# "Bristol, City of" is also asked for as "Bristol" and "City of Bristol".
_INVERTED = re.compile(r"^(?P<name>.+), (?P<kind>City of|County of)$")


class DisplayNames:
    """Official name -> printed name, and further names a patch may be given as."""

    def __init__(self, display: Mapping[str, str], aliases: Mapping[str, str]) -> None:
        self._display = dict(display)
        self.aliases = dict(aliases)
        # A printed name back to how running copy says it ("Isle of Wight" -> "the ...").
        self._places = {without_article(shown): shown for shown in display.values()}

    def name(self, official: str) -> str:
        """How a list line or a label prints it: "Bristol", "Isle of Wight"."""
        return without_article(self._display.get(official, official))

    def place(self, name: str) -> str:
        """How running copy says it, with "the" where English needs it: "the Isle of Wight".
        Takes an official or a printed name."""
        shown = self._display.get(name) or self._places.get(name, name)
        return shown

    def spellings(self, official: str) -> Iterator[str]:
        """Every name a patch may give for ``official``, besides itself."""
        yield self.name(official)
        yield self.place(official)
        inverted = _INVERTED.match(official)
        if inverted:
            yield inverted["name"]
            yield f"{inverted['kind']} {inverted['name']}"
        yield from (alias for alias, target in self.aliases.items() if target == official)


def without_article(name: str) -> str:
    return name[len(ARTICLE) :] if name.startswith(ARTICLE) else name


@functools.cache
def display_names() -> DisplayNames:
    """The bundled table, read once per process."""
    path = resources.files("bot.geography") / "names.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PatchbotError(f"bot/geography/names.toml: {error}") from None
    sections = {key: document.get(key, {}) for key in ("display", "aliases")}
    for key, section in sections.items():
        if not all(isinstance(v, str) and v.strip() for v in section.values()):
            raise PatchbotError(f"bot/geography/names.toml: [{key}] values must be names")
    return DisplayNames(sections["display"], sections["aliases"])
