"""Geometry helpers of the lead engine: zone clipping and grouping of touching pieces."""

from __future__ import annotations

import numpy as np
import shapely

POLYGONAL = (3, 6)  # Polygon, MultiPolygon
LINEAL = (1, 5)  # LineString, MultiLineString


def single_parts(geoms: np.ndarray, keep_types: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Explode geometries (collections too) into single parts of the kept dimension.

    Returns (parts, index of the source geometry of each part). Empty parts are dropped.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, index = shapely.get_parts(geoms, return_index=True)
    while True:  # nested collections from overlays
        nested = shapely.get_type_id(parts) == 7
        if not nested.any():
            break
        sub, sub_index = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        index = np.concatenate([index[~nested], index[nested][sub_index]])
    single = {3: 3, 6: 3, 1: 1, 5: 1}
    wanted = {single[t] for t in keep_types}
    keep = np.isin(shapely.get_type_id(parts), list(wanted)) & ~shapely.is_empty(parts)
    return parts[keep], index[keep]


def clip_to_zone(
    geoms: np.ndarray, zone: shapely.Geometry | np.ndarray | None, inside: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the part of each geometry inside (or outside) ``zone``.

    ``zone``: one geometry, or an array of zone polygons that may touch or overlap (as in
    ``ChangeSet.zones``; only the polygons a geometry meets are dissolved, locally).
    Returns (clipped geometries, index of the source geometry); geometries with nothing left
    are dropped. Geometries wholly inside or outside are kept unchanged (no float noise).
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if zone is None:
        parts = np.empty(0, dtype=object)
    elif isinstance(zone, np.ndarray):
        parts = zone[~shapely.is_empty(zone)] if len(zone) else zone
    else:
        parts = shapely.get_parts(zone)
    if len(parts) == 0 or n == 0:
        return (np.empty(0, dtype=object), np.empty(0, dtype=int)) if inside else (
            geoms, np.arange(n))  # fmt: skip
    shapely.prepare(parts)
    pairs = shapely.STRtree(parts).query(geoms, predicate="intersects")
    touched: dict[int, list[int]] = {}
    for g, z in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        touched.setdefault(g, []).append(z)
    out: list[shapely.Geometry] = []
    index: list[int] = []
    for i in range(n):
        hits = touched.get(i)
        if not hits:
            if not inside:
                out.append(geoms[i])
                index.append(i)
            continue
        local = parts[hits[0]] if len(hits) == 1 else shapely.union_all(parts[hits])
        if shapely.covered_by(geoms[i], local):
            if inside:
                out.append(geoms[i])
                index.append(i)
            continue
        clipped = shapely.intersection(geoms[i], local) if inside else shapely.difference(
            geoms[i], local)  # fmt: skip
        if not clipped.is_empty:
            out.append(clipped)
            index.append(i)
    return np.array(out, dtype=object), np.array(index, dtype=int)


def group_touching(geoms: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Label connected groups of geometries that touch or lie within ``tolerance_m``.

    Returns an int label per geometry: the smallest index in its group.
    """
    n = len(geoms)
    labels = np.arange(n)
    if n < 2:
        return labels
    pairs = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tolerance_m)
    a, b = pairs[0], pairs[1]
    keep = a != b
    a, b = a[keep], b[keep]
    while True:  # min-label propagation with pointer jumping
        lo = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, lo)
        np.minimum.at(new, b, lo)
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new
