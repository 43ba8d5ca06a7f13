"""Ellipsoidal areas and geodesic lengths on CGCS2000 (GRS80): the only place gisaudit measures.

Areas: every vertex is projected from the package CRS into a Lambert azimuthal equal-area
projection *on the GRS80 ellipsoid* centred on the data, and the planar area is taken there.
That projection is exactly area-preserving on the ellipsoid, so the result is the ellipsoidal
area (椭球面积) up to the difference between straight edges in the equal-area plane and
geodesic edges: for survey patches (edges well under 1 km) that is below 1e-7 relative, far
inside the spec's 0.001 %. It is vectorised (one pyproj call for all vertices), which is what
makes ellipsoidal areas affordable for a million patches. ``geodesic_area_m2`` is the slow,
per-polygon ``pyproj.Geod`` reference used by tests.

Small geometries (extent up to ``SMALL_EXTENT_M``, i.e. every survey patch and overlay piece)
take a shortcut that gives the same number without projecting every vertex: the planar area
in the package CRS times the equal-area projection's area scale (the determinant of its
Jacobian) at the geometry's centroid. The area scale is smooth; its linear part integrates
exactly at the centroid and the rest is below 1e-7 relative at 5 km (Gauss-Kruger), so the
shortcut agrees with the full projection far inside 0.001 % (and is steadier on float slivers,
whose full-projection area is mostly rounding noise). It costs four point projections per
geometry instead of one per vertex: about 6x faster on survey patches.
"""

from __future__ import annotations

import functools

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer

GEOD = Geod(ellps="GRS80")
M2_PER_MU = 10000.0 / 15.0
M2_PER_HA = 10000.0


def to_ha(area_m2: float | np.ndarray) -> float | np.ndarray:
    """Square metres to hectares."""
    return area_m2 / M2_PER_HA


def to_mu(area_m2: float | np.ndarray) -> float | np.ndarray:
    """Square metres to 亩 (1 亩 = 10000/15 m²)."""
    return area_m2 / M2_PER_MU


@functools.lru_cache(maxsize=64)
def _to_lonlat(crs_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), CRS.from_epsg(4490), always_xy=True)


@functools.lru_cache(maxsize=256)
def _to_equal_area(crs_wkt: str, lon0: float, lat0: float) -> Transformer:
    laea = CRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=GRS80 +units=m +no_defs")
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), laea, always_xy=True)


@functools.lru_cache(maxsize=16)
def _scale_transformer(crs_wkt: str) -> Transformer:
    """The equal-area projection whose area scale the shortcut takes: one per CRS, centred
    on the CRS's area of use (the area scale of an equal-area projection is 1 wherever it
    is centred, so the centre only has to be fixed, not near the data)."""
    aou = CRS.from_wkt(crs_wkt).area_of_use
    lon0, lat0 = ((aou.west + aou.east) / 2, (aou.south + aou.north) / 2) if aou else (117.0, 39.0)
    return _to_equal_area(crs_wkt, round(lon0, 1), round(lat0, 1))


def _centre_lonlat(geoms: np.ndarray, crs: CRS) -> tuple[float, float]:
    bounds = shapely.total_bounds(geoms)
    if not np.all(np.isfinite(bounds)):
        return 117.0, 39.0
    x = (bounds[0] + bounds[2]) / 2
    y = (bounds[1] + bounds[3]) / 2
    lon, lat = _to_lonlat(crs.to_wkt()).transform(x, y)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        aou = crs.area_of_use
        if aou is None:
            return 117.0, 39.0
        lon, lat = (aou.west + aou.east) / 2, (aou.south + aou.north) / 2
    # rounded so that repeated calls on similar data reuse the cached transformer
    return round(float(lon), 1), round(float(lat), 1)


def ellipsoidal_area_m2(geoms: np.ndarray | shapely.Geometry | list, crs: CRS | str) -> np.ndarray:
    """Ellipsoidal (CGCS2000/GRS80) area in m² of each geometry given in ``crs``.

    Non-polygonal and empty geometries measure 0.
    """
    crs = CRS.from_user_input(crs)
    arr = np.asarray(geoms, dtype=object).reshape(-1)
    if arr.size == 0:
        return np.zeros(0)
    out = np.zeros(arr.size)
    small = _small(arr, crs)
    if small.any():
        out[small] = _area_by_scale(arr[small], _scale_transformer(crs.to_wkt()))
    if not small.all():
        rest = arr[~small]
        transformer = _to_equal_area(crs.to_wkt(), *_centre_lonlat(rest, crs))
        projected = shapely.transform(
            rest, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        )
        out[~small] = shapely.area(projected)
    return out


SMALL_EXTENT_M = 5000.0  # geometries up to this extent (m) use the area-scale shortcut


def _small(arr: np.ndarray, crs: CRS) -> np.ndarray:
    """Geometries whose extent is at most ``SMALL_EXTENT_M`` (only in a metre-based CRS)."""
    axes = crs.axis_info
    if not crs.is_projected or not axes or axes[0].unit_name not in ("metre", "meter"):
        return np.zeros(arr.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        bounds = shapely.bounds(arr)
        extent = np.fmax(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        return extent <= SMALL_EXTENT_M  # NaN (empty geometries) is not small


def _area_by_scale(arr: np.ndarray, transformer: Transformer) -> np.ndarray:
    """Planar area × the equal-area projection's area scale at the centroid (m²)."""
    planar = shapely.area(arr)
    centre = shapely.get_coordinates(shapely.centroid(arr))
    x, y = centre[:, 0], centre[:, 1]
    half = 50.0  # m: the Jacobian by central differences over 100 m (float noise cancels)
    u, v = transformer.transform(
        np.concatenate([x - half, x + half, x, x]), np.concatenate([y, y, y - half, y + half])
    )
    u, v = u.reshape(4, -1), v.reshape(4, -1)
    du_x, dv_x = u[1] - u[0], v[1] - v[0]
    du_y, dv_y = u[3] - u[2], v[3] - v[2]
    scale = (du_x * dv_y - du_y * dv_x) / (2 * half) ** 2
    return np.where(planar > 0, planar * scale, 0.0)


def geodesic_area_m2(geom: shapely.Geometry, crs: CRS | str) -> float:
    """Reference ellipsoidal area (pyproj.Geod, geodesic edges) of one geometry, in m². Slow."""
    crs = CRS.from_user_input(crs)
    tr = _to_lonlat(crs.to_wkt())
    lonlat = shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    area, _ = GEOD.geometry_area_perimeter(shapely.geometry.shape(lonlat))
    return abs(float(area))


def geodesic_length_m(geoms: np.ndarray | shapely.Geometry | list, crs: CRS | str) -> np.ndarray:
    """Geodesic length in m on GRS80 of each (multi)line geometry given in ``crs``."""
    crs = CRS.from_user_input(crs)
    arr = np.asarray(geoms, dtype=object).reshape(-1)
    out = np.zeros(arr.size)
    if arr.size == 0:
        return out
    tr = _to_lonlat(crs.to_wkt())
    parts, index = shapely.get_parts(arr, return_index=True)
    for part, i in zip(parts, index, strict=True):
        if part is None or part.is_empty:
            continue
        if part.geom_type == "Polygon":
            part = part.exterior
        coords = shapely.get_coordinates(part)
        if len(coords) < 2:
            continue
        lon, lat = tr.transform(coords[:, 0], coords[:, 1])
        out[i] += float(GEOD.line_length(lon, lat))
    return out
