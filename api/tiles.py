"""Mapbox vector tiles (MVT) from shapely geometries in Web Mercator, simplified by zoom."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from pyproj import Transformer

from gisaudit.errors import NotFoundError

EXTENT = 4096
BUFFER = 64  # tile units of overlap, so lines and outlines join across tiles
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


def _polygonal_or_linear(geom: shapely.Geometry) -> shapely.Geometry | None:
    """Drop what clipping leaves behind in a lower dimension (points on a polygon's edge)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        parts = [g for g in geom.geoms if g.geom_type in ("LineString", "MultiLineString")]
    return shapely.union_all(parts) if parts else None


def encode_tile(
    layer: str,
    mercator: Sequence[shapely.Geometry | None],
    properties: Sequence[dict[str, Any]],
    z: int,
    x: int,
    y: int,
) -> bytes:
    """One MVT tile with one layer: features clipped to the (buffered) tile and simplified to
    about a tenth of a screen pixel at this zoom; properties with None values are left out."""
    bounds = tile_bounds(z, x, y)
    minx, miny, maxx, maxy = bounds
    unit = (maxx - minx) / EXTENT
    pad = unit * BUFFER
    features = []
    geoms = np.asarray(list(mercator), dtype=object)
    if len(geoms):
        clipped = shapely.clip_by_rect(geoms, minx - pad, miny - pad, maxx + pad, maxy + pad)
        simple = shapely.simplify(clipped, unit, preserve_topology=True)
        for geom, props in zip(simple, properties, strict=True):
            geom = _polygonal_or_linear(geom)
            if geom is None:
                continue
            clean = {k: v for k, v in props.items() if v is not None and not isinstance(v, dict)}
            features.append({"geometry": geom, "properties": clean})
    return mapbox_vector_tile.encode(
        [{"name": layer, "features": features}],
        default_options={
            "quantize_bounds": bounds,
            "extents": EXTENT,
            "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid,
        },
    )
