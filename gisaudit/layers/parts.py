"""Single parts of geometries: what overlays, repairs and clipping leave, exploded by type."""

from __future__ import annotations

import numpy as np
import shapely

POLYGONAL = (3, 6)  # Polygon, MultiPolygon
LINEAL = (1, 5)  # LineString, MultiLineString
_MULTI = (4, 5, 6, 7)  # MultiPoint, MultiLineString, MultiPolygon, GeometryCollection
_SINGLE = {3: 3, 6: 3, 1: 1, 5: 1}


def single_parts(geoms: np.ndarray, keep_types: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Explode geometries (collections and multi-parts at any depth) into single parts of the
    kept dimension (``POLYGONAL`` or ``LINEAL``).

    Returns (parts, index of the source geometry of each part). Empty parts are dropped.
    """
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    single = [_SINGLE[t] for t in keep_types if _SINGLE[t] == t]
    if len(geoms) and np.isin(types, single).all():  # already single parts (the usual case)
        keep = np.flatnonzero(~shapely.is_empty(geoms))
        return geoms[keep], keep
    parts, index = shapely.get_parts(geoms, return_index=True)
    while True:  # e.g. a MultiPolygon inside the GeometryCollection of a repair
        nested = np.isin(shapely.get_type_id(parts), _MULTI)
        if not nested.any():
            break
        sub, sub_index = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        index = np.concatenate([index[~nested], index[nested][sub_index]])
    wanted = [_SINGLE[t] for t in keep_types]
    keep = np.isin(shapely.get_type_id(parts), wanted) & ~shapely.is_empty(parts)
    return parts[keep], index[keep]
