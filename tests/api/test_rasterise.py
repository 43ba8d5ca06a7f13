"""The scan-line fill: pixel centres inside polygons, holes, parts and shared edges."""

from __future__ import annotations

import numpy as np
import rasterio.features
import rasterio.transform
import shapely

from api.rasterise import fill_polygons


def test_holes_parts_and_shared_edges_on_a_small_grid():
    """Hand-made shapes on a 10 × 10 grid of unit pixels (bounds 0..10, y up)."""
    holed = shapely.box(0, 0, 6, 6).difference(shapely.box(2, 2, 4, 4))
    parts = shapely.MultiPolygon([shapely.box(6, 0, 10, 3), shapely.box(8, 8, 10, 10)])
    neighbour = shapely.box(6, 3, 10, 6)  # shares an edge with both
    tiny = shapely.box(0.6, 9.6, 0.9, 9.9)  # holds no pixel centre
    line = shapely.LineString([(0, 9), (9, 9)])  # not a polygon: not drawn
    got = fill_polygons(np.array([holed, parts, neighbour, tiny, line]), np.array([1, 2, 3, 4, 5]),
                        (0.0, 0.0, 10.0, 10.0), 10)  # fmt: skip
    expected = np.zeros((10, 10), dtype=int)  # rows from the north
    expected[4:10, 0:6] = 1
    expected[6:8, 2:4] = 0  # the hole
    expected[7:10, 6:10] = 2
    expected[0:2, 8:10] = 2
    expected[4:7, 6:10] = 3
    assert got.tolist() == expected.tolist()
    assert fill_polygons(np.array([], dtype=object), np.array([], dtype=int),
                         (0.0, 0.0, 10.0, 10.0), 4).tolist() == [[0] * 4] * 4  # fmt: skip


def test_a_random_tessellation_is_drawn_as_rasterio_draws_it():
    """Voronoi cells (a tessellation with slanted edges, every vertex shared), clipped and
    reprojected by a non-linear function: the same pixels as rasterio's rasterize."""
    rng = np.random.default_rng(11)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 100, (400, 2))))
    )
    cells = shapely.clip_by_rect(cells, 0, 0, 100, 100)

    def bend(x, y):  # a smooth, non-affine change of coordinates
        return x + 0.002 * y * y, y + 0.001 * x * y

    bent = shapely.transform(cells, lambda xy: np.column_stack(bend(xy[:, 0], xy[:, 1])))
    bounds = (5.0, 5.0, 105.0, 105.0)
    values = np.arange(1, len(cells) + 1)
    got = fill_polygons(cells, values, bounds, 200, bend)
    reference = rasterio.features.rasterize(
        zip(bent, values.tolist(), strict=True), out_shape=(200, 200),
        transform=rasterio.transform.from_bounds(*bounds, 200, 200), fill=0, dtype="int64",
    )  # fmt: skip
    assert (got > 0).sum() > 20_000 and len(np.unique(got)) > 300
    # the same pixels, but where a centre lies on an edge (either side is right there)
    assert (got == reference).mean() > 0.999
