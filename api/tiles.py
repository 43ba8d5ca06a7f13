"""Mapbox vector tiles (MVT) from shapely geometries in Web Mercator, simplified by zoom
(the encoding itself: ``api.mvt``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from api import mvt
from gisaudit.errors import NotFoundError

EXTENT = 4096
BUFFER = 64  # tile units of overlap, so lines and outlines join across tiles
# Simplification tolerance in tile units. One unit is 1/16 of a pixel of a 256-pixel tile
# (1/8 on a 512-pixel or high-DPI screen): "about a tenth of a pixel", and what the tiles
# always used; the grid snap (±0.5 unit) that follows is of the same order.
SIMPLIFY = 1.0
MAX_ZOOM = 24
HALF_WORLD = 20037508.342789244
MVT = "application/vnd.mapbox-vector-tile"
_TO_MERCATOR = Transformer.from_crs(4326, 3857, always_xy=True)


def check_tile(z: int, x: int, y: int) -> None:
    """NotFoundError unless z/x/y is a tile of the Web Mercator pyramid."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFoundError(f"瓦片 {z}/{x}/{y} 不存在：z 应为 0–{MAX_ZOOM}，x、y 应为 0–2^z−1。")


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Web Mercator bounds (m) of tile z/x/y (XYZ scheme, y from the north)."""
    size = 2 * HALF_WORLD / 2**z
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def tile_lonlat_bbox(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Lon/lat bounds of tile z/x/y (slightly enlarged by the tile buffer)."""
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    pad = (maxx - minx) * BUFFER / EXTENT
    lon0, lat0 = _mercator_to_lonlat(minx - pad, miny - pad)
    lon1, lat1 = _mercator_to_lonlat(maxx + pad, maxy + pad)
    return lon0, lat0, lon1, lat1


def _mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    x = max(-HALF_WORLD, min(HALF_WORLD, x))
    y = max(-HALF_WORLD, min(HALF_WORLD, y))
    lon = x / HALF_WORLD * 180.0
    lat = math.degrees(2 * math.atan(math.exp(y / HALF_WORLD * math.pi)) - math.pi / 2)
    return lon, lat


def to_mercator(geoms: Sequence[shapely.Geometry | None]) -> np.ndarray:
    """Lon/lat geometries to Web Mercator."""
    arr = np.asarray(list(geoms), dtype=object)
    if len(arr) == 0:
        return arr

    def project(coords: np.ndarray) -> np.ndarray:
        lat = np.clip(coords[:, 1], -85.05112878, 85.05112878)
        x, y = _TO_MERCATOR.transform(coords[:, 0], lat)
        return np.column_stack([x, y])

    return shapely.transform(arr, project)


def _clip(geoms: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    """Geometries clipped to ``rect``; a float sliver GEOS cannot clip (a ring collapsing to
    three points) becomes None: there is nothing to draw."""
    if len(geoms) == 0:
        return geoms
    try:
        return shapely.clip_by_rect(geoms, *rect)
    except shapely.errors.GEOSException:
        out = np.empty(len(geoms), dtype=object)
        for i, geom in enumerate(geoms):
            try:
                out[i] = shapely.clip_by_rect(geom, *rect)
            except shapely.errors.GEOSException:
                out[i] = None
        return out


def encode_tile(
    layer: str,
    mercator: Sequence[shapely.Geometry | None],
    properties: Sequence[dict[str, Any]],
    z: int,
    x: int,
    y: int,
) -> bytes:
    """One MVT tile (``api.mvt``) with one layer: features clipped to the tile and its buffer
    (``BUFFER`` tile units), simplified by ``SIMPLIFY`` tile units, snapped to the tile grid
    (``EXTENT``); polygons and lines (what clipping leaves in a lower dimension is dropped);
    properties with None, dict or other values than str, bool, int, float are left out.

    ``SIMPLIFY`` stays at 1 tile unit, what the tiles always used: 1/16 of a pixel of a
    256-pixel tile (1/8 at 512 pixels or on a high-DPI screen), i.e. about a tenth of a pixel
    and of the order of the grid snap itself; 1.6 units would be exactly 1/10 at 256 pixels."""
    minx, miny, maxx, maxy = bounds = tile_bounds(z, x, y)
    pad = (maxx - minx) / EXTENT * BUFFER
    geoms = _clip(np.asarray(list(mercator), dtype=object), (minx - pad, miny - pad,
                                                             maxx + pad, maxy + pad))
    return mvt.encode_layer(layer, geoms, properties, bounds, extent=EXTENT, tolerance=SIMPLIFY)
