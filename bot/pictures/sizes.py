"""Sizes of the pictures, in pixels at ``DPI``: every picture has a fixed width."""

from __future__ import annotations

DPI = 100
ALT_TEXT_LIMIT = 1000  # Slack refuses longer alt text (files.getUploadURLExternal alt_txt)

CHART_WIDTH = 1200
CHART_BAR_PX = 38  # height per listed area
CHART_TOP_PX = 200  # title, subtitle (two lines), legend
CHART_BOTTOM_PX = 95  # x axis, its label, the source
CHART_MAX_BARS = 40  # a longer list (ties) is charted to here, and the chart says so
CHART_MIN_HEIGHT = CHART_TOP_PX + CHART_BOTTOM_PX + 5 * CHART_BAR_PX

MAP_WIDTH = 1200
MAP_HEIGHT = 1200
MAP_TOP_PX = 215  # title, subtitle (two lines), a note, the legend (two rows)
MAP_BOTTOM_PX = 55  # the sources
MAP_SIDE_PX = 20  # the margin left and right of every picture (the map's and the charts')
MAP_PAD = 0.03  # margin around the patch, as a share of its larger extent

# The header and the legend, from the top of every picture.
SUBTITLE_TOP_PX = 62  # where the subtitle's first line starts
LINE_PX = 23  # subtitle line spacing
LEGEND_TOP_PX = 160  # the middle of the legend's first row
LEGEND_ROW_PX = 28
