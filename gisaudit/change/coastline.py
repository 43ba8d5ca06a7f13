"""Coastline lengths by type class within a district (spec §6), geodesic, in km.

A coastline runs along a district's edge, so it belongs to the district whose boundary,
buffered by 100 m, contains it: the lines are clipped to the buffered district and measured.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from gisaudit.geodesy import geodesic_length_m
from gisaudit.layers.model import COASTLINE_TYPES

COAST_CLASSES: tuple[str, ...] = tuple(dict.fromkeys(COASTLINE_TYPES.values()))
BUFFER_M = 100.0


def coastline_lengths_km(
    frame: gpd.GeoDataFrame, district: shapely.Geometry, crs: CRS | str, buffer_m: float = BUFFER_M
) -> dict[str, float]:
    """Geodesic length (km) of each coast class (natural/artificial/estuary) in the district.

    ``frame`` has ``coast_class`` and line geometries in ``crs`` (a projected metric CRS).
    Every class is present in the result (0.0 where absent).
    """
    out = dict.fromkeys(COAST_CLASSES, 0.0)
    if len(frame) == 0:
        return out
    zone = shapely.buffer(district, buffer_m)
    shapely.prepare(zone)
    idx = frame.sindex.query(zone, predicate="intersects")
    if len(idx) == 0:
        return out
    geoms = frame.geometry.to_numpy()[idx]
    inside = shapely.covers(zone, geoms)
    clipped = geoms.copy()
    if (~inside).any():
        clipped[~inside] = shapely.intersection(geoms[~inside], zone)
    lengths = geodesic_length_m(_lineal(clipped), crs) / 1000.0
    classes = frame["coast_class"].astype(str).to_numpy()[idx]
    for cls in np.unique(classes):
        out[str(cls)] = out.get(str(cls), 0.0) + float(lengths[classes == cls].sum())
    return out


def _lineal(geoms: np.ndarray) -> np.ndarray:
    """Drop points from clipped lines (a line touching the buffer edge leaves a point)."""
    out = geoms.copy()
    for i, geom in enumerate(geoms):
        if geom.geom_type == "GeometryCollection":
            lines = [
                g
                for g in shapely.get_parts(geom)
                if g.geom_type in ("LineString", "MultiLineString")
            ]
            out[i] = shapely.union_all(lines) if lines else shapely.LineString()
        elif geom.geom_type in ("Point", "MultiPoint"):
            out[i] = shapely.LineString()
    return out


def natural_rate(lengths_km: dict[str, float]) -> float | None:
    """Natural coastline rate in % of all coastline (None when there is no coastline)."""
    total = sum(lengths_km.values())
    return 100.0 * lengths_km.get("natural", 0.0) / total if total > 0 else None
