"""Pictures: the charts and the patch map, read back from their PNG bytes, on real PHE data.

Colours are checked where they land: each MSOA's centroid is computed here from the bundled
boundaries (not by the drawing code), projected with ``MapFrame.pixel`` and read back from the
PNG. Alt text figures are checked against the rows of the CSV excerpt.
"""

from __future__ import annotations

import datetime as dt
import functools
import subprocess
import sys
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from matplotlib.path import Path as MplPath

from bot import pictures, pipeline
from bot.context import RunContext
from bot.geography import Geography
from bot.housestyle import num
from bot.pictures import drawing
from bot.settings import Settings
from bot.stories import Draft, DraftSet
from tests.helpers import (
    EXCERPT,
    ROOT,
    colour_at,
    colours_in,
    inside_point,
    png_size,
    read_rows,
    rgb,
    story,
    suppress_all,
    week_table,
)

WEEK = dt.date(2020, 11, 25)
FIVE = "Darlington, Hartlepool, Richmondshire, Ryedale, York"  # every council in the excerpt

# PHE dashboard map colours, written out here independently of bot/pictures/.
PURPLE, BLUE, TEAL, WHITE = "#53084a", "#2067ab", "#399384", "#ffffff"
YORK_CITY_CENTRE, NEW_EARSWICK, CLIFTON_NORTH = "E02002784", "E02002775", "E02002780"
MALTON, CLAVERING = "E02006870", "E02002483"
# ONS's own label point for York City Centre (the source TopoJSON's LONG/LAT properties).
YORK_CITY_CENTRE_ONS = (-1.08285, 53.95972)


@functools.cache
def excerpt_drafts(patch: str) -> DraftSet:
    run = RunContext.build(Settings.load(environ={}), source=str(EXCERPT), patch=patch)
    return pipeline.draft(run, week_ending=WEEK)


def csv_rows(councils: str, week: str = "2020-11-25") -> list[dict[str, str]]:
    names = {name.strip() for name in councils.split(",")}
    return [r for r in read_rows() if r["date"] == week and r["LtlaName"] in names]


# --- The band table ------------------------------------------------------------------------


def test_bands_follow_the_phe_map() -> None:
    assert [(b.low, b.high) for b in pictures.BANDS] == [
        (0, 10), (10, 50), (50, 100), (100, 200), (200, 400), (400, 800), (800, None),
    ]  # fmt: skip
    assert [b.label for b in pictures.BANDS][-2:] == ["400\u2013799", "800+"]
    assert pictures.band_for(9.9).colour == "#e0e543"
    assert pictures.band_for(10.0).low == 10
    assert pictures.band_for(126.2).colour == BLUE
    assert pictures.band_for(799.9).colour == PURPLE
    assert pictures.band_for(800.0).colour == "#2b0226"
    assert pictures.fill_colour("suppressed", None) == WHITE
    assert pictures.fill_colour("no_data", None) == pictures.NO_DATA_COLOUR
    assert pictures.fill_colour("reported", 419.1) == PURPLE


# --- The boundary bundle -------------------------------------------------------------------


def test_bundle_is_small_and_covers_every_msoa_in_the_lookup(geography: Geography) -> None:
    bundle = ROOT / "bot" / "data" / pictures.BOUNDARIES_FILE
    assert bundle.stat().st_size < 1_500_000
    assert set(pictures.boundaries().codes) == {area.area_code for area in geography.areas}


def test_bundle_decodes_to_where_ons_puts_the_area() -> None:
    rings = pictures.boundaries().rings(YORK_CITY_CENTRE)
    assert len(rings) == 1
    points, hole = rings[0]
    assert not hole
    assert (points[0] == points[-1]).all()  # closed
    assert MplPath(points).contains_point(YORK_CITY_CENTRE_ONS)
    low, high = points.min(axis=0), points.max(axis=0)
    assert (low > (-1.2, 53.9)).all()
    assert (high < (-1.0, 54.0)).all()


@pytest.mark.process
def test_bundle_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    source = ROOT.parent / "shared" / "data" / "msoa-boundaries" / "MSOA_EW_2011.json"
    if not source.exists():
        pytest.skip(f"no {source}")
    out = tmp_path / "boundaries.npz"
    done = subprocess.run(
        [sys.executable, "scripts/build_boundaries.py", "--source", str(source), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (ROOT / "bot" / "data" / pictures.BOUNDARIES_FILE).read_bytes()


# --- The map -------------------------------------------------------------------------------


def test_map_colours_each_area_by_its_band(geography: Geography) -> None:
    rates = {r["areaCode"]: r["newCasesBySpecimenDateRollingRate"] for r in csv_rows(FIVE)}
    assert rates[YORK_CITY_CENTRE] == "126.2"
    assert rates[MALTON] == "124.3"
    assert rates[CLIFTON_NORTH] == "92.3"
    assert rates[CLAVERING] == "419.1"
    assert rates[NEW_EARSWICK] == ""  # suppressed
    table = week_table(geography, FIVE)
    picture = pictures.patch_map(table.rows, geography.resolve_patch(FIVE), WEEK)
    assert png_size(picture.png) == (pictures.MAP_WIDTH, pictures.MAP_HEIGHT)
    assert picture.filename == (
        "2020-11-25_patch_map_darlington-hartlepool-richmondshire-ryedale-and-york.png"
    )
    image = rgb(picture.png)
    frame = pictures.map_frame([row.area_code for row in table.rows])
    expected = {
        YORK_CITY_CENTRE: BLUE, MALTON: BLUE, CLIFTON_NORTH: TEAL, CLAVERING: PURPLE,
        NEW_EARSWICK: WHITE,
    }  # fmt: skip
    seen = {code: colour_at(image, frame.pixel(*inside_point(code))) for code in expected}
    assert seen == expected


def test_map_alt_text_counts_areas_by_band_from_the_csv(geography: Geography) -> None:
    rows = csv_rows(FIVE)
    rates = [
        float(r["newCasesBySpecimenDateRollingRate"])
        for r in rows
        if r["newCasesBySpecimenDateRollingRate"]
    ]
    bands = Counter(max(low for low in (0, 10, 50, 100, 200, 400, 800) if rate >= low)
                    for rate in rates)  # fmt: skip
    assert bands == {400: 1, 200: 21, 100: 22, 50: 12, 10: 3}
    assert sum(1 for r in rows if not r["newCasesBySpecimenDateRollingSum"]) == 4
    assert len(rows) == 63
    top = max(rows, key=lambda r: float(r["newCasesBySpecimenDateRollingRate"] or 0))
    assert (top["areaName"], top["newCasesBySpecimenDateRollingRate"]) == ("Clavering", "419.1")
    picture = pictures.patch_map(
        week_table(geography, FIVE).rows, geography.resolve_patch(FIVE), WEEK
    )
    assert picture.alt_text == (
        "Map of the 63 neighbourhoods of Darlington, Hartlepool, Richmondshire, Ryedale and "
        "York coloured by case rate in the week to November 25: one at 400 to 799 cases per "
        "100,000 people, 21 at 200 to 399, 22 at 100 to 199, 12 at 50 to 99, three at 10 to 49 "
        "and four suppressed (0 to 2 cases). The highest rate is in Clavering, Hartlepool: 419.1."
    )
    assert picture.title == "Covid-19 case rates by neighbourhood, week to November 25, 2020"


def test_area_with_no_row_is_grey_and_said_so(geography: Geography) -> None:
    rows = [
        r
        for r in read_rows()
        if not (r["areaCode"] == YORK_CITY_CENTRE and r["date"] == "2020-11-25")
    ]
    table = week_table(geography, "York", rows)
    assert [row.status for row in table.rows if row.area_code == YORK_CITY_CENTRE] == ["no_data"]
    picture = pictures.patch_map(table.rows, geography.resolve_patch("York"), WEEK)
    image = rgb(picture.png)
    frame = pictures.map_frame([row.area_code for row in table.rows])
    column, row = frame.pixel(*inside_point(YORK_CITY_CENTRE))
    patch = image[int(row) - 4 : int(row) + 5, int(column) - 4 : int(column) + 5].reshape(-1, 3)
    assert (patch.max(axis=1) - patch.min(axis=1) <= 2).all()  # grey: hatching, no band colour
    assert 100 < patch.mean() < 230
    assert "one with no figures published" in picture.alt_text
    assert "York coloured by case rate" in picture.alt_text


def test_all_suppressed_patch_draws_all_white_with_a_note(geography: Geography) -> None:
    rows = suppress_all(read_rows(), "Ryedale")
    table = week_table(geography, "Ryedale", rows)
    assert {row.status for row in table.rows} == {"suppressed"}
    picture = pictures.patch_map(table.rows, geography.resolve_patch("Ryedale"), WEEK)
    assert png_size(picture.png) == (pictures.MAP_WIDTH, pictures.MAP_HEIGHT)
    image = rgb(picture.png)
    frame = pictures.map_frame([row.area_code for row in table.rows])
    for code in (
        row.area_code for row in table.rows
    ):  # white around each middle (the name may sit on one)
        x, y = (int(v) for v in frame.pixel(*inside_point(code)))
        block = image[y - 20 : y + 21, x - 20 : x + 21].reshape(-1, 3)
        assert (block == 255).all(axis=1).mean() > 0.5, code
    left, bottom, width, height = frame.box
    land = image[frame.size[1] - bottom - height : frame.size[1] - bottom, left : left + width]
    assert not colours_in(land) & {band.colour for band in pictures.BANDS}  # no area coloured
    # The note, in dark ink, on the line under the (one-line) subtitle; the subtitle is grey.
    top = pictures.SUBTITLE_TOP_PX + pictures.LINE_PX
    assert pictures.INK in colours_in(image[top : top + pictures.LINE_PX])
    plain = pictures.patch_map(
        week_table(geography, "Ryedale").rows, geography.resolve_patch("Ryedale"), WEEK
    )
    assert pictures.INK not in colours_in(rgb(plain.png)[top : top + pictures.LINE_PX])
    assert picture.alt_text == (
        "Map of the six neighbourhoods of Ryedale in the week to November 25: all six had 0 to "
        "2 cases, so Public Health England suppressed every count; all are white."
    )


# --- Charts --------------------------------------------------------------------------------


def test_highest_rates_chart_and_its_alt_text_from_the_csv(geography: Geography) -> None:
    rows = csv_rows("York")
    reported = [r for r in rows if r["newCasesBySpecimenDateRollingRate"]]
    top = max(reported, key=lambda r: float(r["newCasesBySpecimenDateRollingRate"]))
    population = geography.population
    total = sum(int(r["newCasesBySpecimenDateRollingSum"] or 0) for r in rows)
    people = sum(int(population[r["areaCode"]]) for r in rows)
    average = (Decimal(total * 100_000) / people).quantize(Decimal("0.1"), ROUND_HALF_UP)

    drafts = excerpt_drafts("York")
    draft = story(drafts, "highest_rates")
    spec = pictures.CHART_SPECS[draft.story]
    picture = pictures.story_chart(draft, spec, drafts.patch.name, drafts.week_ending)
    assert picture is not None
    assert picture.story == "highest_rates"
    assert picture.filename == "2020-11-25_highest_rates_york.png"
    bars = len(draft.facts["areas"])
    assert png_size(picture.png) == (pictures.CHART_WIDTH, pictures.chart_height(bars))
    assert picture.alt_text.startswith(
        f"Bar chart: {top['areaName']}, York has the highest rate in the week to November 25, "
        f"{top['newCasesBySpecimenDateRollingRate']} cases per 100,000 people, followed by "
    )
    assert picture.alt_text.endswith(f"; the patch average is {average}.")
    second = draft.facts["areas"][1]
    assert f"{second['area_name']}, York ({second['rate']:.1f})" in picture.alt_text
    top_colour = pictures.band_for(float(top["newCasesBySpecimenDateRollingRate"])).colour
    assert top_colour in colours_in(rgb(picture.png))
    assert picture.title == "Highest Covid-19 case rates, week to November 25, 2020"


@pytest.mark.parametrize(("name", "word"), [("largest_rises", "rise"), ("largest_falls", "fall")])
def test_change_charts_carry_the_changes_from_the_csv(name: str, word: str) -> None:
    by_name = {r["areaName"]: r for r in csv_rows(FIVE)}
    drafts = excerpt_drafts(FIVE)
    draft = story(drafts, name)
    spec = pictures.CHART_SPECS[draft.story]
    picture = pictures.story_chart(draft, spec, drafts.patch.name, drafts.week_ending)
    assert picture is not None
    assert png_size(picture.png) == (
        pictures.CHART_WIDTH, pictures.chart_height(len(draft.facts["areas"])),
    )  # fmt: skip
    first = draft.facts["areas"][0]
    row = by_name[first["area_name"]]
    change = int(row["newCasesBySpecimenDateChange"])
    cases = int(row["newCasesBySpecimenDateRollingSum"])
    assert (change > 0) == (name == "largest_rises")
    direction = "up" if change > 0 else "down"
    assert picture.alt_text.startswith(
        f"Bar chart: {first['area_name']}, {row['LtlaName']} had the largest {word} in cases in "
        f"the week to November 25, {direction} {num(abs(change))} to {num(cases)}"
    )
    assert len(picture.alt_text) <= pictures.ALT_TEXT_LIMIT


@pytest.mark.parametrize("name", ["no_new_cases", "weekly_roundup"])
def test_list_stories_have_no_chart(name: str) -> None:
    drafts = excerpt_drafts(FIVE)
    spec = pictures.CHART_SPECS.get(name)
    assert pictures.story_chart(story(drafts, name), spec, drafts.patch.name, WEEK) is None


def test_long_ties_are_capped_in_the_chart_and_the_alt_text() -> None:
    drafts = excerpt_drafts(FIVE)
    draft = story(drafts, "highest_rates")
    areas = [
        {**area, "area_name": f"{area['area_name']} {copy}"}
        for copy in range(3)
        for area in draft.facts["areas"]
    ]
    assert len(areas) > pictures.CHART_MAX_BARS
    many = Draft(draft.story, draft.headline, draft.text, {**draft.facts, "areas": areas})
    picture = pictures.story_chart(many, pictures.CHART_SPECS[many.story], drafts.patch.name, WEEK)
    assert picture is not None
    assert png_size(picture.png) == (
        pictures.CHART_WIDTH, pictures.chart_height(pictures.CHART_MAX_BARS),
    )  # fmt: skip
    assert len(picture.alt_text) <= pictures.ALT_TEXT_LIMIT
    assert " more areas; the patch average is " in picture.alt_text


SUBTITLE = (
    "Weekly cases per 100,000 people in every neighbourhood of North East and North "
    "Yorkshire, for the week ending 25 November 2020"
)


def test_wrap_fills_each_line_as_far_as_it_fits() -> None:
    figure = drawing.new_figure(pictures.CHART_WIDTH, 200)
    width, style = 300.0, {"fontsize": 13}
    lines = drawing.wrap(figure, SUBTITLE, width, 5, **style)
    assert " ".join(lines) == SUBTITLE  # every word, in order, none cut
    words = SUBTITLE.split()
    for number, line in enumerate(lines):
        assert drawing.text_px(figure, line, **style) <= width
        if number < len(lines) - 1:  # the next line's first word would not have fitted
            following = words[len(" ".join(lines[: number + 1]).split())]
            assert drawing.text_px(figure, f"{line} {following}", **style) > width
    assert len(lines) > 2
    assert drawing.wrap(figure, "Ingleby Barwick West, Stockton-on-Tees", width, 1) == [
        "Ingleby Barwick West, Stockton-on-Tees"
    ]


def test_wrap_ends_a_text_too_long_for_its_lines_with_an_ellipsis() -> None:
    figure = drawing.new_figure(pictures.CHART_WIDTH, 200)
    lines = drawing.wrap(figure, SUBTITLE, 300.0, 2, fontsize=13)
    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert drawing.text_px(figure, lines[1], fontsize=13) <= 300.0
    assert SUBTITLE.startswith(f"{lines[0]} {lines[1][:-1]}".rstrip())
