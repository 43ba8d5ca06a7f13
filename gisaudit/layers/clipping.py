"""Clipping patches to a district boundary, keeping only the polygonal parts.

Used once per package to cut the patches crossing a district boundary into their pieces
(``gisaudit.layers.facts``), and by the overlay of two tessellations
(``gisaudit.change.overlay``).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.errors import GEOSException

from gisaudit.errors import AnalysisError


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (GeometryCollections from overlays)."""
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    mixed = np.flatnonzero(types == 7)  # GeometryCollection
    if mixed.size:
        parts, index = shapely.get_parts(geoms[mixed], return_index=True)
        parts, sub = shapely.get_parts(parts, return_index=True)
        index = index[sub]
        keep = shapely.get_type_id(parts) == 3
        fixed = np.full(mixed.size, shapely.Polygon(), dtype=object)
        if keep.any():
            shapely.multipolygons(parts[keep], indices=index[keep], out=fixed)
        out[mixed] = fixed
    nonpoly = ~np.isin(shapely.get_type_id(out), (3, 6))
    out[nonpoly] = shapely.Polygon()
    return out


def clip_to_boundary(geoms: np.ndarray, boundary: shapely.Geometry) -> np.ndarray:
    """Each geometry intersected with ``boundary`` (a district), against only the part of the
    boundary near it (a district boundary has thousands of vertices; its rectangle clip
    around each patch, when valid, gives the same intersection much faster)."""
    pad = 1.0  # m: the rectangle holds the patch with room to spare
    local = np.empty(len(geoms), dtype=object)
    local[:] = [  # clip_by_rect takes one rectangle per call
        shapely.clip_by_rect(boundary, x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        for x0, y0, x1, y1 in shapely.bounds(geoms)
    ]
    bad = ~shapely.is_valid(local)  # a rectangle clip may be invalid: use the whole boundary
    local[bad] = boundary
    return safe_intersection(geoms, local)


def safe_intersection(a: np.ndarray, b: np.ndarray | shapely.Geometry) -> np.ndarray:
    """``shapely.intersection``, retried on repaired geometries; an ``AnalysisError`` for the
    auditor when even that fails."""
    try:
        return shapely.intersection(a, b)
    except GEOSException:
        try:
            return shapely.intersection(shapely.make_valid(a), shapely.make_valid(b))
        except GEOSException as exc:
            raise AnalysisError(
                f"叠加分析失败（几何拓扑错误：{exc}）。"
                "请先运行 gisaudit validate 检查并修复图斑几何。"
            ) from exc
