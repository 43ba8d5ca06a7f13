"""Zones as arrays of polygons (never unioned) and the area of pieces inside them.

A zone layer (e.g. 永久基本农田) has hundreds of thousands of polygons; dissolving them per
district used to cost more than the overlay itself. Instead the zone is kept as its single
polygons near the district and every piece is measured only against the polygons whose
bounding box it meets:

- a polygon that covers the piece → the piece's whole area (exact, no float noise);
- polygons whose interior meets the piece's → the area of the intersections, summed;
- where two such polygons overlap each other (a zone layer is not required to be a clean
  coverage), that piece is measured against their local union instead, so nothing counts twice.
"""

from __future__ import annotations

import threading
import weakref
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.parts import POLYGONAL, single_parts

# set on a zone layer whose geometries the package loader has already repaired (attrs follow
# a frame into its row subsets): measuring then skips checking them again
VALID_ATTR = "gisaudit_valid_polygons"


def mark_valid(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Mark ``frame``'s geometries as valid (``gisaudit.layers.geometry.clean_geometries``
    repaired them), so ``zone_parts`` does not check them again; returns ``frame``."""
    frame.attrs[VALID_ATTR] = True
    return frame


def zone_parts(
    frame: gpd.GeoDataFrame, area: shapely.Geometry | None, kind: str, end: date
) -> np.ndarray:
    """The zone's single polygons that meet ``area`` (all when None), as an object array.

    Approvals (``kind == "approvals"``) count only where ``approval_date`` ≤ ``end``;
    undated approvals do not count. Invalid polygons are repaired (unless the layer is
    marked valid, ``mark_valid``).
    """
    if area is None:
        return zone_polygons(frame, kind, end)[0]
    if len(frame) == 0:
        return np.empty(0, dtype=object)
    # only the features meeting ``area``: a district needs a small part of a large layer
    rows = np.sort(frame.sindex.query(area, predicate="intersects"))
    return parts_of_rows(frame, kind, end, rows)


def parts_of_rows(
    frame: gpd.GeoDataFrame, kind: str, end: date, rows: np.ndarray | None = None
) -> np.ndarray:
    """The single polygons of ``frame``'s ``rows`` (all when None), as ``zone_parts``:
    approvals only where approved by ``end``; repaired unless the layer is marked valid."""
    rows = np.arange(len(frame)) if rows is None else rows
    if kind == "approvals":
        rows = rows[approved_mask(frame.iloc[rows], end)]
    geoms = frame.geometry.to_numpy()[rows]
    return polygons_of(geoms, valid=bool(frame.attrs.get(VALID_ATTR, False)))


def approved_mask(frame: gpd.GeoDataFrame, end: date) -> np.ndarray:
    """Which approvals were approved on or before ``end`` (undated ones never count)."""
    if "approval_date" not in frame.columns or len(frame) == 0:
        return np.zeros(len(frame), dtype=bool)
    dates = pd.to_datetime(frame["approval_date"], errors="coerce").dt.date
    return (dates <= end).fillna(False).to_numpy(dtype=bool)


def _approved(frame: gpd.GeoDataFrame, end: date) -> gpd.GeoDataFrame:
    """Approvals approved on or before ``end`` (undated ones never count)."""
    return frame[approved_mask(frame, end)]


_KEPT: dict[tuple[int, str, date | None], tuple] = {}
_KEPT_LOCK = threading.Lock()


def zone_polygons(
    frame: gpd.GeoDataFrame, kind: str, end: date
) -> tuple[np.ndarray, shapely.STRtree]:
    """All the zone's single valid polygons (approvals: approved by ``end``) and their index.

    Kept while the layer lives (one entry per date for approvals): exploding and checking a
    large zone layer (hundreds of thousands of polygons) costs seconds, and every district
    and vintage asks for it.
    """
    key = (id(frame), kind, end if kind == "approvals" else None)
    with _KEPT_LOCK:
        kept = _KEPT.get(key)
        if kept is not None and kept[0]() is frame:
            return kept[1], kept[2]
    frame_used = _approved(frame, end) if kind == "approvals" else frame
    valid = bool(frame.attrs.get(VALID_ATTR, False))
    parts = (
        polygons_of(frame_used.geometry.to_numpy(), valid=valid)
        if len(frame_used)
        else np.empty(0, dtype=object)
    )
    tree = shapely.STRtree(parts)
    with _KEPT_LOCK:
        for old in [k for k, v in _KEPT.items() if v[0]() is None]:
            del _KEPT[old]  # the layer is gone (e.g. a package unloaded): so are its polygons
        if len(_KEPT) > 16:
            _KEPT.clear()
        _KEPT[key] = (weakref.ref(frame), parts, tree)
    return parts, tree


def polygons_of(geoms: np.ndarray, valid: bool = False) -> np.ndarray:
    """Single, valid, non-empty polygons of ``geoms`` (collections and multi-parts exploded).

    ``valid``: the caller knows every geometry is valid (not checked again)."""
    geoms = np.asarray(geoms, dtype=object)
    invalid = np.zeros(len(geoms), dtype=bool) if valid else ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    return single_parts(geoms, POLYGONAL)[0]


def area_inside_m2(
    geoms: np.ndarray,
    whole_m2: np.ndarray,
    parts: np.ndarray,
    crs: CRS | str,
    tree: shapely.STRtree | gpd.sindex.SpatialIndex | None = None,
) -> np.ndarray:
    """Ellipsoidal area (m²) of each geometry inside the union of ``parts`` (zone polygons).

    ``whole_m2``: each geometry's own ellipsoidal area, returned as is where a zone polygon
    covers it. ``tree``: a spatial index of ``geoms`` when the caller has one (an STRtree or
    a GeoSeries' ``sindex``). Never more than
    ``whole_m2``.
    """
    geoms = np.asarray(geoms, dtype=object)
    whole_m2 = np.asarray(whole_m2, dtype=float)
    out = np.zeros(len(geoms))
    if len(geoms) == 0 or len(parts) == 0:
        return out
    if tree is None and len(geoms) < len(parts):  # index the larger side, query the smaller
        g, z = shapely.STRtree(parts).query(geoms)  # bounding boxes meet
    else:
        tree = tree if tree is not None else shapely.STRtree(geoms)
        z, g = tree.query(parts)
    if len(g) == 0:
        return out
    order = np.lexsort((z, g))  # by piece, then zone polygon: sums in an order fixed by the
    g, z = g[order], z[order]  # zone's own order, whatever subset of it ``parts`` holds
    covered = _covered(geoms, parts, g, z)
    out[covered] = whole_m2[covered]
    rest = ~covered[g]
    g, z = g[rest], z[rest]
    # interiors meet (shared edges alone do not count)
    near = shapely.intersects(parts[z], geoms[g])
    g, z = g[near], z[near]
    meet = shapely.relate_pattern(parts[z], geoms[g], "2********")
    g, z = g[meet], z[meet]
    if len(g) == 0:
        return out
    tangled = _pieces_with_overlapping_parts(g, z, parts)
    simple = ~np.isin(g, tangled)
    inter = shapely.intersection(geoms[g[simple]], parts[z[simple]])
    np.add.at(out, g[simple], ellipsoidal_area_m2(inter, crs))
    if len(tangled):
        order = np.argsort(g, kind="stable")
        g_sorted, z_sorted = g[order], z[order]
        starts = np.searchsorted(g_sorted, tangled, side="left")
        stops = np.searchsorted(g_sorted, tangled, side="right")
        local = [
            shapely.union_all(parts[z_sorted[a:b]]) for a, b in zip(starts, stops, strict=True)
        ]
        inter = shapely.intersection(geoms[tangled], np.array(local, dtype=object))
        out[tangled] += ellipsoidal_area_m2(inter, crs)
    return np.minimum(out, whole_m2)


def _covered(geoms: np.ndarray, parts: np.ndarray, g: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Which geometries a zone polygon covers, given candidate pairs (g, z) by bounding box."""
    covered = np.zeros(len(geoms), dtype=bool)
    gb = shapely.bounds(geoms)[g]
    zb = shapely.bounds(parts)[z]
    # zone polygons drawn on the survey's patches are often the very same polygon: cheap test
    same_box = np.all(zb == gb, axis=1)
    equal = shapely.equals_exact(
        shapely.normalize(parts[z[same_box]]), shapely.normalize(geoms[g[same_box]]), tolerance=0
    )
    covered[g[same_box][equal]] = True
    # covering needs the zone polygon's box to hold the geometry's box
    boxed = np.all(zb[:, :2] <= gb[:, :2], axis=1) & np.all(zb[:, 2:] >= gb[:, 2:], axis=1)
    boxed &= ~covered[g]
    if boxed.any():
        # prepared copies of the zone polygons tested: ``parts`` are the package's own
        # geometries, shared by threads and kept with the package, and a prepared geometry
        # keeps its index (gigabytes for a whole 永久基本农田 layer)
        used, at = np.unique(z[boxed], return_inverse=True)
        tested = shapely.from_wkb(shapely.to_wkb(parts[used]))
        shapely.prepare(tested)
        hit = shapely.covers(tested[at], geoms[g[boxed]])
        covered[g[boxed][hit]] = True
    return covered


def _pieces_with_overlapping_parts(g: np.ndarray, z: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Pieces (sorted unique ids) met by two zone polygons whose interiors overlap."""
    counts = np.bincount(g)
    multi = np.flatnonzero(counts > 1)
    if len(multi) == 0:
        return multi
    frame = pd.DataFrame({"g": g, "z": z})
    frame = frame[frame["g"].isin(multi)]
    pairs = frame.merge(frame, on="g")
    pairs = pairs[pairs["z_x"] < pairs["z_y"]]
    a = parts[pairs["z_x"].to_numpy()]
    b = parts[pairs["z_y"].to_numpy()]
    overlapping = shapely.relate_pattern(a, b, "2********")
    return np.unique(pairs["g"].to_numpy()[overlapping])
