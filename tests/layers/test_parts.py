"""single_parts: every polygon or line of overlay and repair output, at any nesting depth."""

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, box

from gisaudit.layers.parts import LINEAL, POLYGONAL, single_parts


def test_multipolygon_inside_a_collection_is_exploded_too() -> None:
    nested = shapely.GeometryCollection(
        [MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)]), LineString([(0, 0), (5, 5)]),
         Point(9, 9)]
    )
    parts, index = single_parts(np.array([box(10, 10, 11, 11), nested]), POLYGONAL)
    assert sorted(p.bounds[0] for p in parts) == [0.0, 2.0, 10.0]
    assert sorted(index.tolist()) == [0, 1, 1]
    lines, index = single_parts(np.array([nested]), LINEAL)
    assert len(lines) == 1 and index.tolist() == [0]


def test_empty_parts_are_dropped() -> None:
    parts, index = single_parts(np.array([shapely.Polygon(), box(0, 0, 1, 1)]), POLYGONAL)
    assert len(parts) == 1 and index.tolist() == [1]


def test_single_polygons_come_back_as_they_are_without_empties() -> None:
    a, b = box(0, 0, 1, 1), box(2, 2, 3, 3)
    geoms = np.array([a, shapely.Polygon(), b], dtype=object)
    parts, index = single_parts(geoms, POLYGONAL)
    assert parts[0] is a and parts[1] is b  # not copied
    assert index.tolist() == [0, 2]
    lines = np.array([shapely.LineString([(0, 0), (1, 1)])], dtype=object)
    assert len(single_parts(lines, POLYGONAL)[0]) == 0  # the wrong dimension is dropped
    assert len(single_parts(lines, LINEAL)[0]) == 1
