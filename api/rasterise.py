"""Polygons to pixels by the pixel-centre rule, vectorised (numpy + shapely 2).

``fill_polygons(geoms, values, bounds, size, to_grid_crs)`` draws polygons on a ``size`` ×
``size`` grid over the square ``bounds``: a pixel takes the value of the polygon that contains
its centre (what ``rasterio.features.rasterize`` does without ``all_touched``), 0 where none
does. It is a scan-line fill: every edge is cut with the horizontal lines through the pixel
centres it spans, the cuts of one polygon on one row are sorted and paired (even-odd: holes
and the parts of a multipolygon come out right), and the pixels whose centre lies in a pair's
span are set. An edge is always cut from its upper end, so the two polygons sharing it cut it
at the very same float, and a centre on a shared edge goes to exactly one of them. Its cost
is in the vertices and in the pixels the polygons cover. Parts that are not polygons (lines
in a collection) are left out.

The vertices go to the grid's CRS through ``api.fastproj.fitted_transform`` (a cubic fitted
to PROJ over their extent, used where it agrees with PROJ within a thousandth of a pixel).
"""

from __future__ import annotations

import numpy as np
import shapely

from api.fastproj import Transform, fitted_transform


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (n × 2) of every polygon ring of ``geoms``, the ring of each vertex, and the
    geometry of each ring (polygons and multipolygons; any other part is left out)."""
    try:
        kind, xy, offsets = shapely.to_ragged_array(geoms)
        feature = np.arange(len(geoms))
    except (ValueError, NotImplementedError):  # collections, or lines among the polygons
        parts, feature = shapely.get_parts(geoms, return_index=True)
        polygons = shapely.get_type_id(parts) == 3
        parts, feature = parts[polygons], feature[polygons]
        if not len(parts):
            return np.empty((0, 2)), np.empty(0, np.int64), np.empty(0, np.int64)
        kind, xy, offsets = shapely.to_ragged_array(parts)
    if kind == shapely.GeometryType.POLYGON:
        rings_of_polygon = np.diff(offsets[1])
        ring_feature = np.repeat(feature, rings_of_polygon)
    elif kind == shapely.GeometryType.MULTIPOLYGON:
        polygon_feature = np.repeat(feature, np.diff(offsets[2]))
        ring_feature = np.repeat(polygon_feature, np.diff(offsets[1]))
    else:
        return np.empty((0, 2)), np.empty(0, np.int64), np.empty(0, np.int64)
    vertex_ring = np.repeat(np.arange(len(offsets[0]) - 1), np.diff(offsets[0]))
    return xy[:, :2], vertex_ring, ring_feature


def _runs(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For runs ``first[i] … first[i] + count[i] - 1``: the run of each item and the item."""
    run = np.repeat(np.arange(len(count)), count)
    return run, first[run] + np.arange(int(count.sum())) - np.repeat(
        np.cumsum(count) - count, count
    )


def fill_polygons(
    geoms: np.ndarray,
    values: np.ndarray,
    bounds: tuple[float, float, float, float],
    size: int,
    to_grid_crs: Transform | None = None,
) -> np.ndarray:
    """``size`` × ``size`` pixels (rows from the north) over ``bounds`` (minx, miny, maxx,
    maxy), each the ``values`` entry of the polygon of ``geoms`` containing its centre, 0 where
    none does (dtype of ``values``). ``to_grid_crs`` maps the polygons' x, y to the CRS of
    ``bounds`` (None: the same; see ``fitted_transform``)."""
    out = np.zeros(size * size, dtype=np.asarray(values).dtype)
    xy, ring, feature = _rings(np.asarray(geoms, dtype=object))
    if not len(xy):
        return out.reshape(size, size)
    minx, miny, maxx, maxy = bounds
    x, y = xy[:, 0], xy[:, 1]
    if to_grid_crs is not None:
        extent = (x.min(), y.min(), x.max(), y.max())
        to_grid_crs = fitted_transform(to_grid_crs, extent, (maxx - minx) / size * 1e-3)
        x, y = to_grid_crs(x, y)
    px = (np.asarray(x) - minx) * (size / (maxx - minx))  # grid units, y down
    py = (maxy - np.asarray(y)) * (size / (maxy - miny))
    top = np.flatnonzero(ring[:-1] == ring[1:])  # edges: consecutive vertices of a ring
    bottom = top + 1
    down = py[top] > py[bottom]
    top, bottom = np.where(down, bottom, top), np.where(down, top, bottom)
    first = np.clip(np.ceil(py[top] - 0.5), 0, size).astype(np.int64)  # rows whose centre
    stop = np.clip(np.ceil(py[bottom] - 0.5), 0, size).astype(np.int64)  # is in [top, bottom)
    cut = stop > first
    top, bottom, first = top[cut], bottom[cut], first[cut]
    edge, row = _runs(first, stop[cut] - first)
    a, b = top[edge], bottom[edge]
    at = px[a] + (row + 0.5 - py[a]) / (py[b] - py[a]) * (px[b] - px[a])
    polygon = feature[ring[a]]
    order = np.lexsort((at, row, polygon))
    polygon, row, at = polygon[order], row[order], at[order]
    left = np.clip(np.ceil(at[0::2] - 0.5), 0, size).astype(np.int64)  # pixels whose centre
    right = np.clip(np.ceil(at[1::2] - 0.5), 0, size).astype(np.int64)  # is in [left, right)
    span = right > left
    polygon, row, left = polygon[0::2][span], row[0::2][span], left[span]
    which, column = _runs(left, right[span] - left)
    out[row[which] * size + column] = np.asarray(values)[polygon[which]]
    return out.reshape(size, size)
