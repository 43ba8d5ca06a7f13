"""PatchTable: a vintage's attributes in a DataFrame, its geometry as WKB decoded on demand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from pyproj import CRS

from gisaudit.layers.patches import (
    ATTRIBUTES,
    KEYS,
    KeyIndex,
    PatchTable,
    same_geometry,
    wkb_keys,
)
from tests.layers.two_districts import EPSG, X0, Y0, landuse_frame


def _awkward_frame() -> gpd.GeoDataFrame:
    """Patches with non-round coordinates, a hole and a multipolygon (every bit must survive)."""
    rng = np.random.default_rng(7)
    ring = [(X0 + x, Y0 + y) for x, y in rng.uniform(0, 50, size=(6, 2))]
    ring = shapely.convex_hull(shapely.MultiPoint(ring))
    holed = shapely.Polygon(
        [(X0 + 100.123456789, Y0), (X0 + 200.987654321, Y0), (X0 + 200.5, Y0 + 99.333333333),
         (X0 + 100.1, Y0 + 100.0)],
        holes=[[(X0 + 120.0, Y0 + 20.0), (X0 + 140.0, Y0 + 20.0), (X0 + 130.0, Y0 + 40.0)]],
    )  # fmt: skip
    multi = shapely.MultiPolygon(
        [shapely.box(X0 + 300, Y0, X0 + 310.1, Y0 + 10.7),
         shapely.box(X0 + 320, Y0, X0 + 330, Y0 + 10)]
    )  # fmt: skip
    return gpd.GeoDataFrame(
        {"bsm": ["p1", "p2", "p3"], "code": ["0101", "1104A", "0702"],
         "district_code": ["120110", "120110", "120111"], "kcxs": [0.15, 0.0, 0.0]},
        geometry=[ring, holed, multi],
        crs=EPSG,
    )  # fmt: skip


def test_round_trip_keeps_every_geometry_bit_and_the_attributes() -> None:
    frame = _awkward_frame()
    table = PatchTable.from_frame(frame)
    assert len(table) == 3
    assert table.wkb.type == pa.large_binary()
    assert table.crs == CRS.from_user_input(EPSG)
    back = table.frame()
    assert list(back.columns) == [*ATTRIBUTES, "geometry"]
    assert back.crs == frame.crs
    assert shapely.equals_exact(back.geometry.to_numpy(), frame.geometry.to_numpy(), 0).all()
    assert list(shapely.to_wkb(back.geometry.to_numpy())) == list(
        shapely.to_wkb(frame.geometry.to_numpy())
    )
    pd.testing.assert_frame_equal(
        pd.DataFrame(back[ATTRIBUTES]), pd.DataFrame(frame[ATTRIBUTES]), check_dtype=False
    )
    assert back["kcxs"].dtype == float


def test_round_trip_of_a_survey_like_vintage() -> None:
    frame = landuse_frame(2020)
    back = PatchTable.from_frame(frame).frame()
    assert back["bsm"].tolist() == frame["bsm"].tolist()
    assert back["code"].tolist() == frame["code"].tolist()
    assert back["district_code"].tolist() == frame["district_code"].tolist()
    assert back.geometry.geom_equals_exact(frame.geometry, tolerance=0).all()


def test_frame_without_district_bsm_or_kcxs_gets_defaults() -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["0101", "0702"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 10, Y0 + 10),
            shapely.box(X0 + 10, Y0, X0 + 20, Y0 + 10),
        ],
        crs=EPSG,
    )
    table = PatchTable.from_frame(frame)
    assert table.columns["bsm"].tolist() == ["", ""]
    assert table.columns["district_code"].tolist() == ["", ""]
    assert table.columns["kcxs"].tolist() == [0.0, 0.0]
    assert table.columns["kcxs"].dtype == float
    assert table.columns["code"].tolist() == ["0101", "0702"]
    back = table.frame()
    assert back["kcxs"].tolist() == [0.0, 0.0]
    assert back.geometry.geom_equals_exact(frame.geometry, tolerance=0).all()


def test_frame_with_a_non_default_index_still_lines_up() -> None:
    frame = landuse_frame(2018)
    shuffled = frame.iloc[::-1].set_index(pd.Index(np.arange(100, 100 + len(frame))))
    back = PatchTable.from_frame(shuffled).frame()
    assert back["bsm"].tolist() == shuffled["bsm"].tolist()
    assert shapely.equals_exact(back.geometry.to_numpy(), shuffled.geometry.to_numpy(), 0).all()


def test_geometries_and_frame_of_a_subset_of_rows() -> None:
    frame = landuse_frame(2018)
    table = PatchTable.from_frame(frame)
    rows = np.array([5, 0, 11, 5])  # any order, repeats allowed
    geoms = table.geometries(rows)
    assert len(geoms) == 4
    assert shapely.equals_exact(geoms, frame.geometry.to_numpy()[rows], 0).all()
    sub = table.frame(rows)
    assert sub["bsm"].tolist() == frame["bsm"].to_numpy()[rows].tolist()
    assert list(sub.index) == [0, 1, 2, 3]
    assert shapely.equals_exact(sub.geometry.to_numpy(), geoms, 0).all()
    assert len(table.geometries(np.array([], dtype=int))) == 0
    assert len(table.frame(np.array([], dtype=int))) == 0
    everything = table.geometries()
    assert shapely.equals_exact(everything, frame.geometry.to_numpy(), 0).all()


def test_wkb_of_gives_the_bytes_of_those_rows() -> None:
    frame = landuse_frame(2018)
    table = PatchTable.from_frame(frame)
    rows = np.array([3, 1])
    got = table.wkb_of(rows)
    assert got.dtype == object
    assert list(got) == list(shapely.to_wkb(frame.geometry.to_numpy()[rows]))
    assert shapely.equals_exact(shapely.from_wkb(got), frame.geometry.to_numpy()[rows], 0).all()
    assert len({*got}) == 2  # hashable


def test_with_columns_adds_and_replaces_keeping_the_geometry() -> None:
    table = PatchTable.from_frame(landuse_frame(2018))
    n = len(table)
    assert not table.has_facts
    area = pd.DataFrame({"area_m2": np.arange(n, dtype=float)}, index=np.arange(50, 50 + n))
    half = table.with_columns(area)
    assert half.columns["area_m2"].tolist() == list(range(n))  # index of ``extra`` ignored
    assert not half.has_facts  # ``inside`` still missing
    assert half.wkb is table.wkb and half.crs == table.crs
    assert "area_m2" not in table.columns  # the original is untouched
    full = half.with_columns(
        pd.DataFrame({"area_m2": np.full(n, 2.5), "inside": np.ones(n, dtype=bool)})
    )
    assert not full.with_boundary_pieces(half).has_facts  # no WKB keys yet
    full = full.with_columns(wkb_keys(table.wkb))
    assert not full.has_facts  # no boundary pieces yet
    full = full.with_boundary_pieces(half)
    assert full.has_facts and full.boundary_pieces is half
    assert full.with_columns(pd.DataFrame({"area_m2": np.ones(n)})).boundary_pieces is half
    assert full.columns["area_m2"].tolist() == [2.5] * n
    assert list(full.columns.columns).count("area_m2") == 1
    assert full.columns["bsm"].tolist() == table.columns["bsm"].tolist()
    recoded = full.with_columns(pd.DataFrame({"code": ["9999"] * n}))
    assert recoded.columns["code"].tolist() == ["9999"] * n
    assert recoded.frame()["code"].tolist() == ["9999"] * n
    assert recoded.boundary_pieces is None  # the pieces carried the old codes
    assert len(recoded.columns.columns) == len(full.columns.columns)


@pytest.mark.parametrize("missing", ["area_m2", "inside", "wkb_key", "boundary_pieces"])
def test_has_facts_needs_area_inside_keys_and_boundary_pieces(missing: str) -> None:
    table = PatchTable.from_frame(landuse_frame(2018))
    n = len(table)
    facts = pd.DataFrame({"area_m2": np.ones(n), "inside": np.ones(n, dtype=bool)})
    facts = pd.concat([facts, wkb_keys(table.wkb)], axis=1)
    assert table.with_columns(facts).with_boundary_pieces(table).has_facts
    if missing == "boundary_pieces":
        assert not table.with_columns(facts).has_facts
    else:
        partial = table.with_columns(facts.drop(columns=[missing]))
        assert not partial.with_boundary_pieces(table).has_facts


def test_with_columns_lines_up_whatever_the_index_of_the_columns() -> None:
    # ``columns`` holding another index than 0..n-1 (a table built from a selection of rows)
    # must still get ``extra`` row by row, not aligned by index labels
    table = PatchTable.from_frame(landuse_frame(2018))
    rows = np.array([2, 3])
    sub = PatchTable(table.columns.iloc[rows], table.wkb.take(pa.array(rows)), table.crs)
    out = sub.with_columns(pd.DataFrame({"area_m2": [1.0, 2.0]}))
    assert len(out.columns) == len(sub) == 2
    assert out.columns["area_m2"].tolist() == [1.0, 2.0]
    assert out.columns["bsm"].tolist() == table.columns["bsm"].to_numpy()[rows].tolist()


def test_wkb_keys_are_equal_exactly_for_equal_bytes() -> None:
    geoms = landuse_frame(2018).geometry.to_numpy()
    wkb = shapely.to_wkb(geoms)
    keys = wkb_keys(pa.array(wkb, type=pa.large_binary()))
    assert list(keys.columns) == KEYS and len(keys) == len(geoms)
    assert (keys.dtypes == np.uint64).all()
    assert not keys.duplicated().any()  # every patch differs
    again = wkb_keys(np.array([wkb[3], wkb[0]], dtype=object))  # same bytes, other rows
    assert again.to_numpy().tolist() == keys.iloc[[3, 0]].to_numpy().tolist()
    # the same polygon written from another vertex: other bytes, other keys
    turned = shapely.to_wkb(shapely.normalize(geoms[:1]))
    assert turned[0] != wkb[0]
    assert wkb_keys(np.array(turned, dtype=object)).iloc[0, 0] != keys.iloc[0, 0]
    # the two keys are independent hashes, not one repeated
    assert (keys["wkb_key"] != keys["wkb_check"]).all()


def test_same_geometry_needs_both_keys_and_skips_repeats() -> None:
    a = pd.DataFrame({"wkb_key": np.array([1, 2, 3, 4], dtype=np.uint64),
                      "wkb_check": np.array([10, 20, 30, 40], dtype=np.uint64)})  # fmt: skip
    b = pd.DataFrame({"wkb_key": np.array([4, 3, 2, 2, 9], dtype=np.uint64),
                      "wkb_check": np.array([40, 31, 20, 20, 90], dtype=np.uint64)})  # fmt: skip
    rows, other = same_geometry(a, b)
    # 4 matches; 3's check differs (a collision of the first hash); 2 is repeated in b
    assert rows.tolist() == [3] and other.tolist() == [0]


def test_a_key_index_answers_like_same_geometry_for_every_table_asked() -> None:
    b = pd.DataFrame({"wkb_key": np.array([4, 3, 2, 2, 9], dtype=np.uint64),
                      "wkb_check": np.array([40, 31, 20, 20, 90], dtype=np.uint64)})  # fmt: skip
    index = KeyIndex.of(b)
    for keys, checks in (([1, 2, 3, 4], [10, 20, 30, 40]), ([9, 4, 7], [90, 40, 70]), ([], [])):
        a = pd.DataFrame({"wkb_key": np.array(keys, dtype=np.uint64),
                          "wkb_check": np.array(checks, dtype=np.uint64)})  # fmt: skip
        got, expected = index.find(a), same_geometry(a, b)
        assert [x.tolist() for x in got] == [x.tolist() for x in expected]
    assert [x.tolist() for x in index.find(pd.DataFrame({
        "wkb_key": np.array([9, 4], dtype=np.uint64),
        "wkb_check": np.array([90, 40], dtype=np.uint64)}))]  == [[0, 1], [4, 0]]  # fmt: skip


def test_compact_package_keeps_the_patch_tables_and_drops_the_frames() -> None:
    from tests.layers.two_districts import package

    pkg = package()
    for v in pkg.landuse:
        _ = v.patches  # both forms present
    compact = pkg.compact()
    assert compact.zones is pkg.zones and compact.districts is pkg.districts
    for before, after in zip(pkg.landuse, compact.landuse, strict=True):
        assert after.patches is before.patches
        assert after._frame is None and before._frame is not None
        assert after.vintage == before.vintage and after.source == before.source
        assert after.frame["bsm"].tolist() == before.frame["bsm"].tolist()  # decoded again
