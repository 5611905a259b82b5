"""Where a patch map puts the land: the projection, and the box of the picture it fills."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.pictures.boundaries import boundaries
from bot.pictures.sizes import (
    MAP_BOTTOM_PX,
    MAP_HEIGHT,
    MAP_PAD,
    MAP_SIDE_PX,
    MAP_TOP_PX,
    MAP_WIDTH,
)


@dataclass(frozen=True)
class MapFrame:
    """Where a patch map puts the land: lon/lat limits inside a fixed box of the picture.

    The projection is equirectangular about the patch's middle latitude (a degree of longitude
    drawn ``cos(latitude)`` times as wide as a degree of latitude), near enough equal-area and
    true-shaped at the scale of a county."""

    lon: tuple[float, float]
    lat: tuple[float, float]
    box: tuple[int, int, int, int]  # left, bottom, width, height in pixels, from bottom-left
    size: tuple[int, int] = (MAP_WIDTH, MAP_HEIGHT)

    def pixel(self, lon: float, lat: float) -> tuple[float, float]:
        """Where (lon, lat) lands in the PNG: (column, row) from its top-left corner."""
        left, bottom, width, height = self.box
        x = left + (lon - self.lon[0]) / (self.lon[1] - self.lon[0]) * width
        y = bottom + (lat - self.lat[0]) / (self.lat[1] - self.lat[0]) * height
        return x, self.size[1] - y

    @property
    def rect(self) -> tuple[float, float, float, float]:
        left, bottom, width, height = self.box
        return (
            left / self.size[0],
            bottom / self.size[1],
            width / self.size[0],
            height / self.size[1],
        )

    @property
    def squash(self) -> float:
        """How wide a degree of longitude draws, in degrees of latitude: cos(middle latitude)."""
        return math.cos(math.radians(sum(self.lat) / 2))

    @property
    def px_per_degree(self) -> float:
        """How many pixels a degree of latitude draws."""
        return self.box[3] / (self.lat[1] - self.lat[0])


def map_frame(area_codes: Iterable[str]) -> MapFrame:
    """The frame a map of these MSOAs is drawn in (``patch_map`` uses the same)."""
    lon0, lat0, lon1, lat1 = boundaries().bounds(area_codes)
    k = math.cos(math.radians((lat0 + lat1) / 2))
    box = (
        MAP_SIDE_PX,
        MAP_BOTTOM_PX,
        MAP_WIDTH - 2 * MAP_SIDE_PX,
        MAP_HEIGHT - MAP_TOP_PX - MAP_BOTTOM_PX,
    )
    wide, tall = (lon1 - lon0) * k, lat1 - lat0  # in degrees of latitude
    pad = MAP_PAD * max(wide, tall, 1e-3)
    wide, tall = wide + 2 * pad, tall + 2 * pad
    aspect = box[2] / box[3]
    wide, tall = max(wide, tall * aspect), max(tall, wide / aspect)
    mid_lon, mid_lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    return MapFrame(
        lon=(mid_lon - wide / k / 2, mid_lon + wide / k / 2),
        lat=(mid_lat - tall / 2, mid_lat + tall / 2),
        box=box,
    )
