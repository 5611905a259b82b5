"""Pictures that go with the stories: a bar chart for the ranked stories and a map of the patch.

* ``story_chart`` (``charts``, drawn by ``bar_chart``): a horizontal bar chart of the areas a
  ranked story lists, in its order, as the story's ``ChartSpec`` says (``CHART_SPECS``).
* ``patch_map`` (``maps``): a choropleth of every MSOA of the patch, with council boundaries
  (``boundaries``) and names (``labels``), in a fixed frame (``frame``);
  ``council_map``: the same of every council, for UKHSA's deaths by council.

All colour areas by the rate bands of their data's palette (``colours.CASES``: PHE's dashboard
map; ``colours.DEATHS``: deaths per 100,000), carry the week, the patch and the source
(``drawing``, at the ``sizes``), and come with alt text that carries the figures.
``pictures_for`` gives the pictures that go with a draft.
"""

from __future__ import annotations

from bot.cases import Level, Measure
from bot.pictures.bar_chart import chart_height
from bot.pictures.boundaries import BOUNDARIES_FILE, Boundaries, boundaries
from bot.pictures.charts import CHART_SPECS, DEATH_CHART_SPECS, ChartSpec, story_chart
from bot.pictures.colours import (
    BANDS,
    CASES,
    DEATH_BANDS,
    DEATHS,
    INK,
    NO_DATA_COLOUR,
    SUPPRESSED_COLOUR,
    Band,
    Palette,
    band_for,
    fill_colour,
)
from bot.pictures.council_map import council_map
from bot.pictures.drawing import Picture
from bot.pictures.frame import MapFrame, map_frame
from bot.pictures.maps import MAP_STORY, patch_map
from bot.pictures.sizes import (
    ALT_TEXT_LIMIT,
    CHART_MAX_BARS,
    CHART_WIDTH,
    LINE_PX,
    MAP_HEIGHT,
    MAP_WIDTH,
    SUBTITLE_TOP_PX,
)
from bot.stories import STORIES, Draft, DraftSet

__all__ = [
    "ALT_TEXT_LIMIT",
    "BANDS",
    "BOUNDARIES_FILE",
    "CASES",
    "CHART_MAX_BARS",
    "CHART_SPECS",
    "CHART_WIDTH",
    "DEATHS",
    "DEATH_BANDS",
    "DEATH_CHART_SPECS",
    "INK",
    "LINE_PX",
    "MAP_HEIGHT",
    "MAP_STORY",
    "MAP_WIDTH",
    "NO_DATA_COLOUR",
    "SUBTITLE_TOP_PX",
    "SUPPRESSED_COLOUR",
    "Band",
    "Boundaries",
    "ChartSpec",
    "MapFrame",
    "Palette",
    "Picture",
    "band_for",
    "boundaries",
    "chart_height",
    "council_map",
    "fill_colour",
    "map_frame",
    "patch_map",
    "pictures_for",
    "story_chart",
]


def pictures_for(drafts: DraftSet, draft: Draft) -> list[Picture]:
    """The pictures that go with a story: its chart, if it has one; the patch map goes with
    the round-up (every neighbourhood's figures; for UKHSA's deaths, every council's)."""
    story = STORIES[draft.story]
    deaths = drafts.measure is Measure.DEATHS
    specs, palette = (DEATH_CHART_SPECS, DEATHS) if deaths else (CHART_SPECS, CASES)
    found = []
    spec = specs.get(story.chart) if story.chart else None
    chart = story_chart(draft, spec, drafts.patch.name, drafts.week_ending, palette)
    if chart is not None:
        found.append(chart)
    if story.patch_map and drafts.level is Level.NEIGHBOURHOOD:  # the boundaries are MSOAs
        found.append(patch_map(drafts.patch_table(), drafts.patch, drafts.week_ending))
    elif story.patch_map and deaths:
        found.append(council_map(drafts.patch_table(), drafts.patch, drafts.week_ending))
    return found
