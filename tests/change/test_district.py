"""A district's patches from the patch table: inside ones and boundary pieces, kept as WKB."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisaudit.change.dating import _codes_at
from gisaudit.change.district import DATING_COLUMNS, DistrictPatches, district_patches
from gisaudit.change.overlay import clip_to_district
from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.facts import measure_patches, measure_table, measured
from gisaudit.layers.model import AuditPackage, LandUseVintage
from gisaudit.layers.patches import PatchTable
from tests.layers.two_districts import DISTRICTS, EPSG, V1, X0, Y0, A, B, package, rect


@pytest.fixture(scope="module")
def measured_package() -> AuditPackage:
    return measure_patches(package())


def _areas_by_code(frame: gpd.GeoDataFrame) -> pd.Series:
    area = ellipsoidal_area_m2(frame.geometry.to_numpy(), EPSG)
    return pd.Series(area, index=frame["code"].astype(str).to_numpy()).groupby(level=0).sum()


@pytest.mark.parametrize("code", [A, B])
@pytest.mark.parametrize("n", [0, 1, 2])
def test_same_ground_as_clipping_the_whole_vintage(
    measured_package: AuditPackage, code: str, n: int
) -> None:
    vintage = measured_package.landuse[n]
    got = district_patches(vintage.patches, code).frame()
    expected = clip_to_district(vintage.frame, DISTRICTS[code])
    assert list(got.columns) == ["bsm", "code", "kcxs", "geometry"]
    assert got.crs == expected.crs
    total = ellipsoidal_area_m2(got.geometry.to_numpy(), EPSG).sum()
    assert total == pytest.approx(
        ellipsoidal_area_m2(expected.geometry.to_numpy(), EPSG).sum(), rel=1e-9
    )
    assert total == pytest.approx(
        ellipsoidal_area_m2([DISTRICTS[code]], EPSG)[0], rel=1e-9
    )  # the vintage tiles the district
    by_code, expected_by_code = _areas_by_code(got), _areas_by_code(expected)
    assert list(by_code.index) == list(expected_by_code.index)
    np.testing.assert_allclose(by_code.to_numpy(), expected_by_code.to_numpy(), rtol=1e-9)
    assert sorted(got["bsm"]) == sorted(expected["bsm"])


def _pieces_of(package: AuditPackage, n: int, code: str) -> gpd.GeoDataFrame:
    pieces = package.landuse[n].patches.boundary_pieces
    assert pieces is not None
    mine = np.flatnonzero((pieces.columns["district_code"] == code).to_numpy())
    frame = pieces.frame(mine)
    frame["patch_row"] = pieces.columns["patch_row"].to_numpy()[mine]
    return frame


def test_inside_patches_and_boundary_pieces_of_district_a(measured_package: AuditPackage) -> None:
    found = district_patches(measured_package.landuse[0].patches, A)
    assert sorted(found.whole["bsm"]) == ["2018-a00", "2018-a01", "2018-a10", "2018-a11",
                                          "2018-a20", "2018-a21", "2018-ax"]  # fmt: skip
    assert sorted(_pieces_of(measured_package, 0, A)["bsm"]) == ["2018-a20", "2018-ax"]
    assert len(found) == 7
    # every row keeps its measured facts, the pieces theirs; ax is cut at x = 300
    for column in ("area_m2", "zone_pbf_m2", "xmin"):
        assert not found.whole[column].isna().any(), column
    frame = found.frame().set_index("bsm")
    assert shapely.equals(frame.geometry["2018-ax"], rect(250, 100, 300, 200))
    ax = found.whole[found.whole["bsm"] == "2018-ax"]
    assert ax["area_m2"].iloc[0] == pytest.approx(
        ellipsoidal_area_m2([rect(250, 100, 300, 200)], EPSG)[0], rel=1e-9
    )
    assert shapely.equals_exact(
        found.whole_geometries(np.array([0])), [rect(0, 0, 100, 100)], 0
    ).all()  # a00 comes first, its geometry as it was


@pytest.mark.parametrize("code", [A, B])
def test_patches_for_dating_carry_only_what_dating_reads(
    measured_package: AuditPackage, code: str
) -> None:
    table = measured_package.landuse[1].patches
    full, light = district_patches(table, code), district_patches(table, code, DATING_COLUMNS)
    assert list(light.whole.columns) == [c for c in full.whole.columns if c in DATING_COLUMNS]
    assert {"code", "wkb_key", "xmin"} <= set(light.whole.columns)
    assert "bsm" not in light.whole.columns and "area_m2" not in light.whole.columns
    pd.testing.assert_frame_equal(light.whole, full.whole[list(light.whole.columns)])
    rows = np.arange(len(full))
    assert shapely.equals_exact(light.whole_geometries(rows), full.whole_geometries(rows), 0).all()


def test_district_b_gets_the_overlap_strip_of_a_neighbour_patch(
    measured_package: AuditPackage,
) -> None:
    found = district_patches(measured_package.landuse[0].patches, B)
    pieces = _pieces_of(measured_package, 0, B).set_index("bsm").geometry
    assert sorted(pieces.index) == ["2018-a20", "2018-ax"]
    assert shapely.equals(pieces["2018-a20"], rect(299, 0, 300, 100))  # the 1 m strip
    assert shapely.equals(pieces["2018-ax"], rect(299, 100, 350, 200))
    assert {"2018-a20", "2018-ax"} <= set(found.whole["bsm"])
    assert not {b for b in found.whole["bsm"] if b.startswith("2018-a")} - {"2018-a20", "2018-ax"}


def test_patches_of_another_district_or_outside_are_left_out(
    measured_package: AuditPackage,
) -> None:
    frame = pd.concat(
        [
            measured_package.landuse[0].frame,
            gpd.GeoDataFrame(
                {
                    "bsm": ["far", "blank"],
                    "code": ["1101", "1101"],
                    "district_code": [A, ""],
                    "kcxs": [0.0, 0.0],
                },
                geometry=[rect(1000, 0, 1100, 100), rect(0, 300, 100, 400)],
                crs=EPSG,
            ),
        ],
        ignore_index=True,
    )
    table = PatchTable.from_frame(frame)
    table = measure_table(table, measured_package, V1)
    for code in (A, B):
        found = district_patches(table, code)
        bsm = set(found.frame()["bsm"])
        assert not bsm & {"far", "blank"}
        expected = clip_to_district(measured_package.landuse[0].frame, DISTRICTS[code])
        assert bsm == set(expected["bsm"])
        assert len(found) == (7 if code == A else 8)


def test_codes_at_points_in_whole_and_clipped_patches(measured_package: AuditPackage) -> None:
    found = district_patches(measured_package.landuse[1].patches, A)
    points = shapely.points(
        np.array(
            [
                (X0 + 1000, Y0 + 50),  # outside both districts
                (X0 + 50, Y0 + 50),  # a00, whole: 0101
                (X0 + 275, Y0 + 150),  # ax, clipped: 0301
                (X0 + 175, Y0 + 150),  # a11e (reshaped), whole: 0702
                (X0 + 450, Y0 + 50),  # b40: in district B only
                (X0 + 250, Y0 + 50),  # a20, clipped: 0301
                (X0 + 125, Y0 + 150),  # a11w, whole: 0101
            ]
        )
    )
    index, codes = found.codes_at(points)
    assert dict(zip(index.tolist(), codes.tolist(), strict=True)) == {
        1: "0101", 2: "0301", 3: "0702", 5: "0301", 6: "0101",
    }  # fmt: skip
    index2, codes2 = _codes_at(found, points)  # what dating calls
    assert index2.tolist() == index.tolist() and codes2.tolist() == codes.tolist()
    # the same lookup on the decoded frame agrees
    index3, codes3 = _codes_at(found.frame(), points)
    assert index3.tolist() == index.tolist() and codes3.tolist() == codes.tolist()


def test_codes_at_with_no_point_found(measured_package: AuditPackage) -> None:
    found = district_patches(measured_package.landuse[0].patches, A)
    index, codes = found.codes_at(shapely.points(np.array([(X0 - 50, Y0 - 50)])))
    assert len(index) == 0 and len(codes) == 0


def test_pickled_district_patches_still_decode(measured_package: AuditPackage) -> None:
    found = district_patches(measured_package.landuse[1].patches, A)
    before = found.frame()  # decoded and indexed before pickling: not shipped
    found.codes_at(shapely.points(np.array([(X0 + 50, Y0 + 50)])))
    keys = found.key_index()
    assert found.key_index() is keys  # built once, then kept
    here, there = keys.find(found.whole.iloc[[2, 0]])
    assert here.tolist() == [0, 1] and there.tolist() == [2, 0]
    back: DistrictPatches = pickle.loads(pickle.dumps(found))
    assert back._frame is None and back._keys is None
    assert back.key_index().find(found.whole.iloc[[2]])[1].tolist() == [2]
    after = back.frame()
    assert after["bsm"].tolist() == before["bsm"].tolist()
    assert after["code"].tolist() == before["code"].tolist()
    assert shapely.equals_exact(after.geometry.to_numpy(), before.geometry.to_numpy(), 0).all()
    assert after.crs == before.crs
    index, codes = back.codes_at(shapely.points(np.array([(X0 + 175, Y0 + 150)])))
    assert index.tolist() == [0] and codes.tolist() == ["0702"]


def test_pickled_vintage_ships_the_patch_table_and_decodes_on_demand(
    measured_package: AuditPackage,
) -> None:
    original = measured_package.landuse[0]
    table = original.patches
    compact = LandUseVintage(date(2018, 12, 31), source="x.gpkg", patches=table)
    both = measured_package.landuse[0]
    _ = both.frame  # decoded
    for vintage in (compact, both):
        back = pickle.loads(pickle.dumps(vintage))
        assert back._frame is None  # the compact form travels
        assert back.vintage == vintage.vintage and back.source == vintage.source
        assert back.patches.has_facts
        pd.testing.assert_frame_equal(back.patches.columns, table.columns)
        assert back.patches.wkb.equals(table.wkb)
        frame = back.frame
        assert frame["bsm"].tolist() == original.frame["bsm"].tolist()
        assert frame.geometry.geom_equals_exact(original.frame.geometry, tolerance=0).all()
        assert back.measured(lambda t: pytest.fail("already measured")) is back.patches
    with pytest.raises(ValueError):
        LandUseVintage(date(2018, 12, 31))


def test_blank_kcxs_and_bsm_of_a_hand_built_frame_read_as_clipping_reads_them() -> None:
    # clip_to_district reads a blank KCXS as 0 and a blank BSM as ""; whole patches must too
    # (a NaN KCXS gives NaN ridge shares and the patch drops out of the transition matrix)
    frame = package((2018,)).landuse[0].frame.copy()
    frame["bsm"] = frame["bsm"].astype(object)
    frame.loc[frame["bsm"] == "2018-a00", "kcxs"] = np.nan
    frame.loc[frame["bsm"] == "2018-a01", "bsm"] = None
    pkg = replace(package((2018,)), landuse=(LandUseVintage(V1, frame, "x.gpkg"),))
    got = district_patches(measured(pkg, V1), A).frame()
    expected = clip_to_district(frame, DISTRICTS[A])
    assert not got["kcxs"].isna().any()
    assert sorted(got["kcxs"]) == sorted(expected["kcxs"])
    assert sorted(got["bsm"]) == sorted(expected["bsm"])


def test_boxes_holding_matches_brute_force() -> None:
    from gisaudit.change.district import boxes_holding

    rng = np.random.default_rng(3)
    lo = rng.uniform(0, 1000, size=(300, 2))
    size = rng.exponential(40, size=(300, 2)) + 0.5
    size[:5] *= 30  # a few large boxes spanning many grid cells
    boxes = np.hstack([lo, lo + size])
    xy = np.vstack([rng.uniform(-50, 1100, size=(400, 2)), boxes[:20, :2]])  # corners count
    p, r = boxes_holding(boxes, xy)
    got = set(zip(p.tolist(), r.tolist(), strict=True))
    want = {
        (i, j)
        for i in range(len(xy))
        for j in range(len(boxes))
        if boxes[j, 0] <= xy[i, 0] <= boxes[j, 2] and boxes[j, 1] <= xy[i, 1] <= boxes[j, 3]
    }
    assert got == want and len(want) > 100
    assert boxes_holding(boxes[:0], xy)[0].size == 0
    # a few points take the scan instead of the grid: the same pairs
    few = xy[-25:]
    p, r = boxes_holding(boxes, few)
    got = set(zip(p.tolist(), r.tolist(), strict=True))
    assert got == {(i - (len(xy) - 25), j) for i, j in want if i >= len(xy) - 25}
    assert len(got) >= 20  # the corners
