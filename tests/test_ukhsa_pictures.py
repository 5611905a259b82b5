"""Pictures of UKHSA's deaths by council, from the bundled sample: the charts in words for
deaths, and a council map; colours read back from the PNG where they land, figures in the alt
text checked against the real files in tests/data/ukhsa."""

from __future__ import annotations

import functools
import json
from collections import Counter

from bot import pictures, pipeline
from bot.context import RunContext
from bot.geography import load_geography
from bot.geography.councils import neighbourhood_councils
from bot.housestyle import num
from bot.settings import Settings
from bot.stories import DraftSet
from tests.fakes.ukhsa_api import DATA
from tests.helpers import colour_at, colours_in, inside_point, png_size, rgb, story

PATCH = "County Durham, Darlington, Hartlepool, Stockton-on-Tees, Middlesbrough, York"
LATEST, BEFORE = "2023-10-30", "2023-10-23"
# The deaths bands' colours, written out here independently of bot/pictures/.
YELLOW, LIGHT_GREEN, GREY = "#e0e543", "#74bb68", "#d9d9d9"


@functools.cache
def drafts() -> DraftSet:
    run = RunContext.build(Settings.load(environ={}), source="ukhsa-sample", patch=PATCH)
    return pipeline.draft(run)


def real(code: str, day: str) -> int:
    path = next(DATA.glob(f"COVID-19_deaths_ONSByWeek_LTLA_{code}_*.json"))
    entries = json.loads(path.read_text())["time_series"]
    return int(next(e["metric_value"] for e in entries if e["date"] == day))


def test_the_death_rates_chart() -> None:
    draft = story(drafts(), "highest_rates")
    spec = pictures.DEATH_CHART_SPECS["highest_rates"]
    chart = pictures.story_chart(draft, spec, "the patch", drafts().week_ending, pictures.DEATHS)
    assert chart is not None
    assert chart.title == "Highest Covid-19 death rates, week beginning October 30, 2023"
    first = draft.facts["areas"][0]
    assert first["area_name"] == "York"  # two deaths among 210,618 people
    assert first["cases"] == real("E06000014", LATEST) == 2
    assert chart.alt_text.startswith(
        "Bar chart: York has the highest death rate in the week beginning October 30, 0.9 "
        "deaths per 100,000 people, followed by Middlesbrough (0.7)"
    )
    assert png_size(chart.png) == (pictures.CHART_WIDTH, pictures.chart_height(4))
    assert LIGHT_GREEN in colours_in(rgb(chart.png))  # 0.1-0.9 deaths per 100,000


def test_the_falls_chart_names_councils_once() -> None:
    draft = story(drafts(), "largest_falls")
    spec = pictures.DEATH_CHART_SPECS["largest_falls"]
    chart = pictures.story_chart(draft, spec, "the patch", drafts().week_ending, pictures.DEATHS)
    assert chart is not None
    before, now = real("E06000047", BEFORE), real("E06000047", LATEST)
    assert chart.alt_text.startswith(
        "Bar chart: County Durham had the largest fall in Covid-19 deaths registered in the week "
        f"beginning October 30, down {num(before - now)} to one"
    )


def test_the_council_map_colours_each_council_by_its_band() -> None:
    found = pictures.pictures_for(drafts(), story(drafts(), "weekly_roundup"))
    (picture,) = found
    assert picture.filename.endswith(
        "_patch_map_county-durham-darlington-hartlepool-stockton-on-tees-middlesbrough-and-york.png"
    )
    assert png_size(picture.png) == (pictures.MAP_WIDTH, pictures.MAP_HEIGHT)
    msoas = neighbourhood_councils()
    patch = load_geography("councils").resolve_patch(PATCH)
    codes = [msoa.area_code for msoa in msoas if msoa.ltla_code in patch.council_codes]
    frame = pictures.map_frame(codes)
    image = rgb(picture.png)

    def colour_of(council: str) -> str:
        """The colour most of the council's neighbourhoods show (a name may cover one)."""
        seen: Counter[str] = Counter()
        for code in (msoa.area_code for msoa in msoas if msoa.ltla_name == council):
            try:
                point = inside_point(code)
            except AssertionError:  # an MSOA whose centroid falls outside it: try the next
                continue
            seen[colour_at(image, frame.pixel(*point))] += 1
        return seen.most_common(1)[0][0]

    assert real("E06000005", LATEST) == 0
    assert colour_of("Darlington") == YELLOW  # no deaths
    assert colour_of("Middlesbrough") == LIGHT_GREEN  # one death: 0.7 per 100,000
    assert colour_of("Hartlepool") in {GREY, "#8c8c8c"}  # no figures: hatched grey
    assert picture.alt_text == (
        "Map of the six councils of County Durham, Darlington, Hartlepool, Stockton-on-Tees, "
        "Middlesbrough and York coloured by Covid-19 death rate in the week beginning October "
        "30: four at 0.1 to 0.9 deaths per 100,000 people, one below 0.1 and one with no "
        "figures published. The highest rate is in York: 0.9."
    )
