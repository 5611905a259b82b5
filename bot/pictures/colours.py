"""The colours of the pictures: the rate bands of PHE's dashboard map, and the inks around them.

``BANDS`` is the one band table for cases, ``DEATH_BANDS`` the one for UKHSA's deaths; each is
part of a ``Palette`` (``CASES``, ``DEATHS``), and everything that colours an area (map or bar)
goes through ``fill_colour`` with its data's palette.
"""

from __future__ import annotations

from dataclasses import dataclass

DASH, MINUS = "\u2013", "\u2212"  # typographic en dash and minus sign, for the pictures


@dataclass(frozen=True)
class Band:
    """A band of the rate per 100,000 people in seven days: ``low <= rate < high``."""

    low: float
    high: float | None  # None: no upper limit
    colour: str
    step: float = 1  # the rates' precision: a band's top is ``high - step`` ("10-49", "1-1.9")

    @property
    def label(self) -> str:
        """How a legend shows it: "10-49" (with an en dash), "800+", "0" (a band of one value)."""
        if self.high is None:
            return f"{self.low:,}+"
        top = _shown(self.high - self.step)
        return _shown(self.low) if top == _shown(self.low) else f"{_shown(self.low)}{DASH}{top}"

    @property
    def words(self) -> str:
        """How alt text says it: "at 10 to 49", "at 800 or more", "below 10"."""
        if self.high is None:
            return f"at {self.low:,} or more"
        if self.low == 0:
            return f"below {_shown(self.high)}"
        return f"at {_shown(self.low)} to {_shown(self.high - self.step)}"


def _shown(number: float) -> str:
    """A band's limit as printed: 10, 1,000, 0.5 (one decimal at most)."""
    rounded = round(number, 1)
    return f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.1f}"


# THE band table: the bands and colours of PHE's coronavirus dashboard MSOA map (autumn 2020),
# yellow through greens and blues to purples. Everything that colours an area uses it.
BANDS: tuple[Band, ...] = (
    Band(0, 10, "#e0e543"),  # yellow
    Band(10, 50, "#74bb68"),  # light green
    Band(50, 100, "#399384"),  # teal green
    Band(100, 200, "#2067ab"),  # blue
    Band(200, 400, "#12407f"),  # dark blue
    Band(400, 800, "#53084a"),  # purple
    Band(800, None, "#2b0226"),  # dark purple
)
SUPPRESSED_COLOUR = "#ffffff"  # 0-2 cases: PHE withheld the count (and so the rate)
NO_DATA_COLOUR = "#d9d9d9"  # no row in the data: drawn light grey, hatched
SUPPRESSED_LABEL = f"0{DASH}2 cases (suppressed)"
NO_DATA_LABEL = "No figures published"

INK = "#1a1a1a"  # titles, names
MUTED = "#595959"  # subtitles, the source, axis text
RULE = "#d0d0d0"  # grid lines
CONTEXT_COLOUR = "#ececec"  # England outside the patch, on the map
EDGE_COLOUR = "#8c8c8c"  # outlines of white (suppressed) and hatched (no data) areas
COUNCIL_LINE = "#262626"  # council boundaries on the map

SOURCE = "Source: Public Health England; ONS mid-2019 population"
# Weekly Covid-19 deaths per 100,000 people by council are small: most councils none or one.
DEATH_BANDS: tuple[Band, ...] = (
    Band(0, 0.1, "#e0e543", 0.1),  # yellow: no deaths
    Band(0.1, 1, "#74bb68", 0.1),  # light green
    Band(1, 2, "#399384", 0.1),  # teal green
    Band(2, 4, "#2067ab", 0.1),  # blue
    Band(4, 8, "#12407f", 0.1),  # dark blue
    Band(8, None, "#53084a", 0.1),  # purple
)
DEATHS_SOURCE = (
    "Source: UK Health Security Agency; Office for National Statistics; ONS mid-2019 population"
)


@dataclass(frozen=True)
class Palette:
    """How the pictures colour and credit one kind of data: its bands, the key's title, the
    source line."""

    bands: tuple[Band, ...]
    key_title: str
    source: str


CASES = Palette(BANDS, "Rate per 100,000:", SOURCE)
DEATHS = Palette(DEATH_BANDS, "Deaths per 100,000:", DEATHS_SOURCE)
BOUNDARY_SOURCE = (
    "Boundaries: ONS Open Geography, MSOA 2011 (OGL v3.0); "
    "contains OS data © Crown copyright and database right"
)


def band_for(rate: float, palette: Palette = CASES) -> Band:
    """The band a rate per 100,000 falls in."""
    for band in reversed(palette.bands):
        if rate >= band.low:
            return band
    return palette.bands[0]


def fill_colour(status: str, rate: float | None, palette: Palette = CASES) -> str:
    """An area's colour: its rate's band, white when suppressed, grey with no figures."""
    if status == "suppressed":
        return SUPPRESSED_COLOUR
    if rate is None or status != "reported":
        return NO_DATA_COLOUR
    return band_for(rate, palette).colour


def colour_order(colour: str, palette: Palette = CASES) -> int:
    """Where a fill colour comes in a key: the bands from low to high, then white, then grey."""
    order = [band.colour for band in palette.bands] + [SUPPRESSED_COLOUR, NO_DATA_COLOUR]
    return order.index(colour)


def colour_label(colour: str, palette: Palette = CASES) -> str:
    """How a key names a fill colour: its band's label, or what white and grey mean."""
    for band in palette.bands:
        if band.colour == colour:
            return band.label
    return SUPPRESSED_LABEL if colour == SUPPRESSED_COLOUR else NO_DATA_LABEL
