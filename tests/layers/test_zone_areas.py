"""Zone polygons kept apart (never unioned) measure the same area as the dissolved zone."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.zone_areas import area_inside_m2, polygons_of, zone_parts

CRS = "EPSG:4527"  # CGCS2000 3-degree Gauss-Kruger zone 39 (Tianjin)
X0, Y0 = 39_500_000.0, 4_300_000.0


def sq(x: float, y: float, w: float, h: float | None = None) -> shapely.Polygon:
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def reference(geoms: list, zone_polys: list) -> np.ndarray:
    """The slow, obvious answer: dissolve the zone, intersect, measure."""
    union = shapely.union_all(zone_polys)
    return ellipsoidal_area_m2(shapely.intersection(np.array(geoms), union), CRS)


def measure(geoms: list, zone_polys: list) -> np.ndarray:
    arr = np.array(geoms, dtype=object)
    return area_inside_m2(arr, ellipsoidal_area_m2(arr, CRS), polygons_of(zone_polys), CRS)


def test_covered_piece_counts_whole_and_outside_piece_counts_nothing() -> None:
    pieces = [sq(10, 10, 20), sq(200, 0, 10)]
    got = measure(pieces, [sq(0, 0, 100)])
    assert got[0] == ellipsoidal_area_m2([pieces[0]], CRS)[0]  # exact, no float noise
    assert got[1] == 0.0


def test_measuring_leaves_the_zone_polygons_unprepared() -> None:
    """The zone polygons are the package's own, shared by threads and kept with it: a
    prepared polygon keeps its index, so measuring must not prepare them (it grew a server
    by gigabytes)."""
    zone = np.array([sq(0, 0, 100), sq(100, 0, 100)], dtype=object)
    pieces = np.array([sq(10, 10, 20), sq(120, 10, 20), sq(90, 10, 20)], dtype=object)
    got = area_inside_m2(pieces, ellipsoidal_area_m2(pieces, CRS), zone, CRS)
    assert got[:2] == pytest.approx(ellipsoidal_area_m2(pieces[:2], CRS), rel=0)
    assert not shapely.is_prepared(zone).any()


def test_piece_across_two_adjacent_zone_polygons_sums_both_halves() -> None:
    pieces = [sq(40, 0, 20, 10)]  # half in each of two touching zone squares
    got = measure(pieces, [sq(0, 0, 50), sq(50, 0, 50)])
    assert got[0] == pytest.approx(ellipsoidal_area_m2(pieces, CRS)[0], rel=1e-9)


def test_overlapping_zone_polygons_do_not_count_twice() -> None:
    pieces = [sq(0, 0, 100)]
    zone = [sq(10, 10, 50), sq(30, 30, 50)]  # overlap 30 x 30
    got = measure(pieces, zone)
    assert got[0] == pytest.approx(reference(pieces, zone)[0], rel=1e-9)
    assert got[0] < sum(ellipsoidal_area_m2(zone, CRS))  # a naive sum would count the overlap


def test_zone_polygon_inside_a_piece_and_multipolygon_zones() -> None:
    pieces = [sq(0, 0, 100), sq(200, 0, 100)]
    zone = [sq(40, 40, 10), shapely.MultiPolygon([sq(190, 0, 20), sq(290, 0, 20)])]
    got = measure(pieces, zone)
    np.testing.assert_allclose(got, reference(pieces, zone), rtol=1e-9)
    assert got[0] > 0 and got[1] > 0


def test_touching_only_counts_nothing() -> None:
    assert measure([sq(0, 0, 10)], [sq(10, 0, 10)])[0] == 0.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 90), st.integers(0, 90), st.integers(1, 40),
                       st.integers(1, 40)), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 90), st.integers(0, 90), st.integers(1, 60),
                       st.integers(1, 60)), min_size=1, max_size=8),
)  # fmt: skip
def test_agrees_with_the_dissolved_zone(pieces: list, zone: list) -> None:
    geoms = [sq(*p) for p in pieces]
    polys = [sq(*z) for z in zone]
    got = measure(geoms, polys)
    # the dissolved reference carries float noise of ~1e-6 m²; the spec allows 0.001 %
    np.testing.assert_allclose(got, reference(geoms, polys), rtol=1e-7, atol=1e-4)


def test_zone_parts_keeps_polygons_near_the_area_and_dates_approvals() -> None:
    frame = gpd.GeoDataFrame(
        {"approval_date": [date(2019, 5, 1), date(2022, 5, 1), None]},
        geometry=[sq(0, 0, 10), sq(20, 0, 10), sq(40, 0, 10)], crs=CRS,
    )
    assert len(zone_parts(frame, None, "approvals", date(2020, 12, 31))) == 1
    assert len(zone_parts(frame, None, "approvals", date(2023, 12, 31))) == 2  # undated never
    assert len(zone_parts(frame, sq(15, 0, 10), "pbf", date(2020, 12, 31))) == 1
    assert len(zone_parts(frame.drop(columns="approval_date"), None, "approvals",
                          date(2023, 12, 31))) == 0  # fmt: skip
    # near an area too: the layer's index first, then the dates
    area = sq(-5, -5, 60, 20)
    assert len(zone_parts(frame, area, "approvals", date(2020, 12, 31))) == 1
    assert len(zone_parts(frame, area, "approvals", date(2023, 12, 31))) == 2
    assert len(zone_parts(frame, sq(15, 0, 10), "approvals", date(2023, 12, 31))) == 1
    assert len(zone_parts(frame.drop(columns="approval_date"), area, "approvals",
                          date(2023, 12, 31))) == 0  # fmt: skip


def test_zone_parts_checks_validity_unless_the_loader_repaired_the_layer(tmp_path) -> None:
    from gisaudit.layers.package import load_package
    from gisaudit.layers.zone_areas import VALID_ATTR
    from tests.factories import make_package

    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    frame = gpd.GeoDataFrame(geometry=[bowtie], crs=CRS)
    repaired = zone_parts(frame, sq(-5, -5, 20), "pbf", date(2020, 12, 31))
    assert len(repaired) == 2 and shapely.is_valid(repaired).all()
    package = load_package(make_package(tmp_path / "pkg"))
    assert package.zones and all(z.attrs.get(VALID_ATTR) for z in package.zones.values())
    again = load_package(package.root)  # from the validated-package cache
    assert all(z.attrs.get(VALID_ATTR) for z in again.zones.values())


def test_polygons_of_repairs_and_explodes() -> None:
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    parts = polygons_of([bowtie, shapely.MultiPolygon([sq(0, 0, 1), sq(5, 5, 1)])])
    assert all(p.geom_type == "Polygon" and p.is_valid for p in parts)
    assert len(parts) == 4


def test_kept_zone_polygons_do_not_keep_their_layer_alive() -> None:
    import gc
    import weakref
    from datetime import date

    import geopandas as gpd

    from gisaudit.layers import zone_areas

    layer = gpd.GeoDataFrame(geometry=[sq(0, 0, 10)], crs=CRS)
    parts, _ = zone_areas.zone_polygons(layer, "pbf", date(2020, 1, 1))
    assert len(parts) == 1
    assert zone_areas.zone_polygons(layer, "pbf", date(2020, 1, 1))[0] is parts  # kept
    gone = weakref.ref(layer)
    del layer
    gc.collect()
    assert gone() is None
    other = gpd.GeoDataFrame(geometry=[sq(0, 0, 5)], crs=CRS)
    zone_areas.zone_polygons(other, "pbf", date(2020, 1, 1))
    assert all(v[0]() is not None for v in zone_areas._KEPT.values())
