"""Geometry helpers of the lead engine: zone clipping and grouping of touching pieces."""

from __future__ import annotations

import numpy as np
import shapely

from gisaudit.layers.zone_store import ZoneParts


def clip_to_zone(
    geoms: np.ndarray, zone: shapely.Geometry | np.ndarray | ZoneParts | None, inside: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the part of each geometry inside (or outside) ``zone``.

    ``zone``: one geometry, or an array of zone polygons that may touch or overlap, or the
    ``ZoneParts`` of ``ChangeSet.zones`` (only the polygons a geometry meets are dissolved,
    locally).
    Returns (clipped geometries, index of the source geometry); geometries with nothing left
    are dropped. Geometries wholly inside or outside are kept unchanged (no float noise).
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if isinstance(zone, ZoneParts):
        zone = zone.near(geoms)
    if zone is None:
        parts = np.empty(0, dtype=object)
    elif isinstance(zone, np.ndarray):
        parts = zone[~shapely.is_empty(zone)] if len(zone) else zone
    else:
        parts = shapely.get_parts(zone)
    if len(parts) == 0 or n == 0:
        return (np.empty(0, dtype=object), np.empty(0, dtype=int)) if inside else (
            geoms, np.arange(n))  # fmt: skip
    pairs = shapely.STRtree(parts).query(geoms, predicate="intersects")  # [geometry, part]
    order = np.lexsort((pairs[1], pairs[0]))
    g, z = pairs[0][order], pairs[1][order]
    touched, first, counts = np.unique(g, return_index=True, return_counts=True)
    local = parts[z[first]]  # the zone polygon each touched geometry meets ...
    for k in np.flatnonzero(counts > 1):  # ... or the union of the few it meets
        local[k] = shapely.union_all(parts[z[first[k] : first[k] + counts[k]]])
    covered = shapely.covered_by(geoms[touched], local)
    cut = touched[~covered]
    keep = np.zeros(n, dtype=bool)
    out = np.empty(n, dtype=object)
    if inside:
        out[touched[covered]] = geoms[touched[covered]]
        keep[touched[covered]] = True
        clipped = shapely.intersection(geoms[cut], local[~covered])
    else:
        out[:] = geoms
        keep[:] = True
        keep[touched[covered]] = False
        clipped = shapely.difference(geoms[cut], local[~covered])
    out[cut] = clipped
    keep[cut] = ~shapely.is_empty(clipped)
    index = np.flatnonzero(keep)
    return out[index], index


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
