"""Per-patch facts: area, inside-its-district, zone areas, bounding box; lent between vintages."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.facts import (
    measure_patches,
    measure_table,
    measured,
    patch_facts,
    zone_column,
)
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.patches import BOX, PatchTable, wkb_keys
from gisaudit.layers.zone_areas import area_inside_m2, zone_parts
from tests.layers.two_districts import (
    EPSG,
    INSIDE_2018,
    V1,
    V2,
    V3,
    ZONE_KINDS,
    A,
    B,
    package,
    rect,
    reference_zone_m2,
)

FACTS = ["area_m2", "inside", *BOX, *(zone_column(k) for k in ZONE_KINDS)]


@pytest.fixture(scope="module")
def measured_package() -> AuditPackage:
    return measure_patches(package())


def _by_name(table: PatchTable) -> pd.DataFrame:
    """The table's columns indexed by patch name (bsm without the year)."""
    cols = table.columns.copy()
    cols.index = cols["bsm"].str.split("-").str[1]
    return cols


def test_every_vintage_gets_every_fact(measured_package: AuditPackage) -> None:
    for vintage in measured_package.landuse:
        table = vintage.patches
        assert table.has_facts
        for column in FACTS:
            assert column in table.columns, column
            assert table.columns[column].notna().all(), column
        assert table.columns["inside"].dtype == bool


def test_area_is_the_ellipsoidal_area(measured_package: AuditPackage) -> None:
    for vintage in measured_package.landuse:
        table = vintage.patches
        expected = ellipsoidal_area_m2(table.geometries(), EPSG)
        np.testing.assert_allclose(table.columns["area_m2"].to_numpy(), expected, rtol=1e-12)
        assert expected.min() > 4999.0  # the smallest patch is 50 m x 100 m


def test_bounding_box_is_the_geometry_bounds(measured_package: AuditPackage) -> None:
    table = measured_package.landuse[1].patches
    np.testing.assert_array_equal(table.columns[BOX].to_numpy(), shapely.bounds(table.geometries()))


def test_inside_means_covered_by_its_district_and_no_other_district_interior(
    measured_package: AuditPackage,
) -> None:
    got = _by_name(measured_package.landuse[0].patches)["inside"].to_dict()
    # a20 lies in A but meets B's 1 m overlap strip; ax crosses from A into B; b30 only
    # touches A's edge (interiors do not meet)
    assert got == INSIDE_2018
    later = _by_name(measured_package.landuse[1].patches)["inside"]
    assert later[["a11w", "a11e", "b51w", "b51e"]].all()
    assert not later[["a20", "ax"]].any()


def test_inside_is_false_for_a_patch_in_another_district_or_none() -> None:
    pkg = package((2018,))
    frame = gpd.GeoDataFrame(
        {"bsm": ["wrong", "unknown", "blank", "right"], "code": ["0101"] * 4,
         "district_code": [B, "999999", "", A], "kcxs": [0.0] * 4},
        geometry=[rect(10, 10, 20, 20), rect(30, 30, 40, 40), rect(50, 50, 60, 60),
                  rect(70, 70, 80, 80)],
        crs=EPSG,
    )  # fmt: skip
    facts = patch_facts(PatchTable.from_frame(frame), pkg, V1)
    assert facts["inside"].tolist() == [False, False, False, True]


def test_zone_areas_equal_the_area_inside_the_zone_measured_directly(
    measured_package: AuditPackage,
) -> None:
    for vintage in measured_package.landuse:
        table = vintage.patches
        geoms = table.geometries()
        whole = ellipsoidal_area_m2(geoms, EPSG)
        for kind in ZONE_KINDS:
            parts = zone_parts(measured_package.zones[kind], None, kind, vintage.vintage)
            got = table.columns[zone_column(kind)].to_numpy()
            direct = area_inside_m2(geoms, whole, parts, EPSG)
            np.testing.assert_allclose(got, direct, rtol=1e-12, atol=1e-9, err_msg=kind)
            slow = reference_zone_m2(geoms, parts)
            np.testing.assert_allclose(got, slow, rtol=1e-9, atol=1e-6, err_msg=kind)


def test_zone_areas_by_hand(measured_package: AuditPackage) -> None:
    first = _by_name(measured_package.landuse[0].patches)
    second = _by_name(measured_package.landuse[1].patches)
    rel = 1e-6  # 100 m cells near the central meridian: planar ≈ ellipsoidal
    assert first.loc["a00", "zone_pbf_m2"] == pytest.approx(5000, rel=rel)
    assert first.loc["a10", "zone_pbf_m2"] == pytest.approx(5000, rel=rel)
    assert first.loc["ax", "zone_pbf_m2"] == pytest.approx(60 * 60, rel=rel)
    assert first.loc["b41", "zone_redline_m2"] == first.loc["b41", "area_m2"]  # covered: exact
    assert first.loc["a21", "zone_redline_m2"] == pytest.approx(30 * 50, rel=rel)
    assert first.loc["a01", "zone_approvals_m2"] == pytest.approx(50 * 50, rel=rel)
    # approved 2020-05-01: not yet at 2018, counted at 2020
    assert first.loc["a00", "zone_approvals_m2"] == 0.0
    assert second.loc["a00", "zone_approvals_m2"] == pytest.approx(20 * 20, rel=rel)
    assert second.loc["b30", "zone_approvals_m2"] == pytest.approx(60 * 40, rel=rel)
    # undated (b40) and approved 2023 (a21): never counted
    assert second.loc["b40", "zone_approvals_m2"] == 0.0
    assert _by_name(measured_package.landuse[2].patches).loc["a21", "zone_approvals_m2"] == 0.0


def test_identical_patches_have_the_same_facts_in_the_next_vintage(
    measured_package: AuditPackage,
) -> None:
    v1, v2, v3 = (_by_name(v.patches) for v in measured_package.landuse)
    same_12 = [n for n in v1.index if n in v2.index]
    assert set(same_12) == set(v1.index) - {"a11", "b51"}  # only the reshaped ones are new
    keep = ["area_m2", "inside", *BOX, "zone_pbf_m2", "zone_redline_m2"]
    pd.testing.assert_frame_equal(v2.loc[same_12, keep], v1.loc[same_12, keep])
    # approvals were added between 2018 and 2020: measured afresh, a00 and b30 now carry them
    changed = v2.loc[same_12, "zone_approvals_m2"] - v1.loc[same_12, "zone_approvals_m2"]
    assert set(changed[changed.abs() > 0].index) == {"a00", "b30"}
    # none added between 2020 and 2022: everything the same
    pd.testing.assert_frame_equal(v3.loc[v2.index, FACTS], v2[FACTS])


def _doctored(table: PatchTable) -> PatchTable:
    """The table with facts that no measurement would give (to see which were lent)."""
    cols = table.columns
    return table.with_columns(
        pd.DataFrame({c: cols[c] + 1000.0 for c in ["area_m2", *(zone_column(k)
                      for k in ZONE_KINDS)]})
    )  # fmt: skip


def test_facts_of_identical_patches_are_lent_not_measured(
    measured_package: AuditPackage,
) -> None:
    raw = package()
    before = _doctored(measured_package.landuse[0].patches)
    table = raw.landuse[1].patches
    got = patch_facts(table, raw, V2, previous=(V1, before))
    got.index = table.columns["bsm"].str.split("-").str[1].to_numpy()
    truth = _by_name(measured_package.landuse[1].patches)
    lent = [n for n in got.index if n not in ("a11w", "a11e", "b51w", "b51e")]
    for column in ["area_m2", "zone_pbf_m2", "zone_redline_m2"]:
        np.testing.assert_allclose(got.loc[lent, column], truth.loc[lent, column] + 1000.0)
    # approvals were added in between: measured, not lent
    np.testing.assert_allclose(
        got.loc[lent, "zone_approvals_m2"], truth.loc[lent, "zone_approvals_m2"], atol=1e-9
    )
    new = ["a11w", "a11e", "b51w", "b51e"]
    np.testing.assert_allclose(got.loc[new, "area_m2"], truth.loc[new, "area_m2"], rtol=1e-12)


def test_approvals_are_lent_too_when_none_were_added_in_between(
    measured_package: AuditPackage,
) -> None:
    raw = package()
    before = _doctored(measured_package.landuse[1].patches)
    table = raw.landuse[2].patches
    got = patch_facts(table, raw, V3, previous=(V2, before))
    truth = measured_package.landuse[2].patches.columns
    np.testing.assert_allclose(got["zone_approvals_m2"], truth["zone_approvals_m2"] + 1000.0)


def test_identical_geometry_of_another_district_is_measured_afresh(
    measured_package: AuditPackage,
) -> None:
    raw = package()
    before = _doctored(measured_package.landuse[0].patches)
    table = raw.landuse[1].patches
    moved = table.columns["district_code"].to_numpy().copy()
    a00 = int(np.flatnonzero(table.columns["bsm"].to_numpy() == "2020-a00")[0])
    moved[a00] = B
    table = table.with_columns(pd.DataFrame({"district_code": moved}))
    got = patch_facts(table, raw, V2, previous=(V1, before))
    truth = measured_package.landuse[1].patches.columns
    assert got["area_m2"].iloc[a00] == pytest.approx(truth["area_m2"].iloc[a00], rel=1e-12)
    assert not got["inside"].iloc[a00]  # lies in A, labelled B
    names = table.columns["bsm"].str.split("-").str[1].to_numpy()
    others = np.flatnonzero(np.isin(names, ["a10", "a20", "a01", "a21", "ax", "b30", "b41"]))
    assert len(others) == 7
    np.testing.assert_allclose(
        got["area_m2"].to_numpy()[others], truth["area_m2"].to_numpy()[others] + 1000.0
    )


def test_measure_patches_leaves_measured_tables_alone(measured_package: AuditPackage) -> None:
    doctored = measured_package.landuse[0].with_patches(
        _doctored(measured_package.landuse[0].patches)
    )
    pkg = replace(measured_package, landuse=(doctored,))
    again = measure_patches(pkg)
    assert again.landuse[0].patches is doctored.patches
    twice = measure_patches(measured_package)
    for a, b in zip(twice.landuse, measured_package.landuse, strict=True):
        assert a.patches is b.patches


def test_measure_patches_reports_progress() -> None:
    seen: list[tuple[str, int, int]] = []
    measure_patches(package(), progress=lambda m, d, t: seen.append((m, d, t)))
    assert [(d, t) for _, d, t in seen] == [(0, 3), (1, 3), (2, 3)]
    assert all("量算" in m for m, _, _ in seen)


def test_measured_computes_the_facts_once_even_from_two_threads(
    measured_package: AuditPackage,
) -> None:
    pkg = package()
    assert not pkg.landuse_at(V2).patches.has_facts
    barrier = threading.Barrier(2)
    results: list[PatchTable] = []

    def ask() -> None:
        barrier.wait()
        results.append(measured(pkg, V2))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2 and results[0] is results[1]
    assert results[0].has_facts and pkg.landuse_at(V2).patches is results[0]
    assert measured(pkg, V2) is results[0]
    # without a previous vintage everything is measured, to the same values
    truth = measured_package.landuse_at(V2).patches.columns
    got = results[0].columns
    for column in FACTS:
        np.testing.assert_allclose(
            got[column].to_numpy(dtype=float), truth[column].to_numpy(dtype=float),
            rtol=1e-12, atol=1e-9, err_msg=column,
        )  # fmt: skip
    with pytest.raises(KeyError):
        measured(pkg, date(2019, 1, 1))


def test_vintage_measured_calls_the_measurement_once() -> None:
    vintage = package((2018,)).landuse[0]
    calls: list[int] = []
    barrier = threading.Barrier(3)

    def measure(table: PatchTable) -> PatchTable:
        calls.append(1)
        time.sleep(0.05)  # the other threads arrive meanwhile
        n = len(table)
        facts = table.with_columns(
            pd.DataFrame({"area_m2": np.ones(n), "inside": np.ones(n, dtype=bool)})
        ).with_columns(wkb_keys(table.wkb))
        return facts.with_boundary_pieces(facts)

    out: list[PatchTable] = []

    def ask() -> None:
        barrier.wait()
        out.append(vintage.measured(measure))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(calls) == 1
    assert len(out) == 3 and all(o is out[0] for o in out)
    assert vintage.patches is out[0]
    assert vintage._frame is not None  # the decoded frame is kept


# boundary pieces: the patches not inside, clipped to each district they meet


def _pieces(table: PatchTable) -> pd.DataFrame:
    """The boundary pieces' columns, indexed by (patch name, district), with the geometry."""
    pieces = table.boundary_pieces
    assert pieces is not None
    cols = pieces.columns.copy()
    cols["geometry"] = pieces.geometries()
    cols.index = pd.MultiIndex.from_arrays(
        [cols["bsm"].astype(str).str.split("-").str[1], cols["district_code"].astype(str)]
    )
    return cols


def test_boundary_pieces_are_the_boundary_patches_clipped_to_each_district(
    measured_package: AuditPackage,
) -> None:
    expected = {
        ("a20", A): rect(200, 0, 300, 100), ("a20", B): rect(299, 0, 300, 100),
        ("ax", A): rect(250, 100, 300, 200), ("ax", B): rect(299, 100, 350, 200),
    }  # fmt: skip
    for vintage in measured_package.landuse:
        table = vintage.patches
        got = _pieces(table)
        assert sorted(got.index) == sorted(expected)
        for key, geom in expected.items():
            assert shapely.equals(got.loc[key, "geometry"], geom), key
        assert got["inside"].all()
        # each piece names the row of its patch and carries its attributes
        rows = got["patch_row"].to_numpy()
        for c in ("bsm", "code", "kcxs"):
            assert got[c].tolist() == table.columns[c].to_numpy()[rows].tolist(), c
        geoms = got["geometry"].to_numpy()
        np.testing.assert_allclose(got["area_m2"], ellipsoidal_area_m2(geoms, EPSG), rtol=1e-12)
        np.testing.assert_allclose(got[BOX].to_numpy(), shapely.bounds(geoms))
        for kind in ZONE_KINDS:
            parts = zone_parts(measured_package.zones[kind], None, kind, vintage.vintage)
            np.testing.assert_allclose(
                got[zone_column(kind)], reference_zone_m2(geoms, parts),
                rtol=1e-9, atol=1e-6, err_msg=kind,
            )  # fmt: skip
    # the pbf zone across ax and the district boundary: in both pieces of ax
    first = _pieces(measured_package.landuse[0].patches)
    assert first.loc[("ax", A), "zone_pbf_m2"] > 0 and first.loc[("ax", B), "zone_pbf_m2"] > 0


def test_boundary_pieces_lent_equal_measured_afresh(measured_package: AuditPackage) -> None:
    raw = package()
    for n, when in ((1, V2), (2, V3)):
        lent = measured_package.landuse[n].patches.boundary_pieces
        fresh = measure_table(raw.landuse[n].patches, raw, when).boundary_pieces
        assert lent is not None and fresh is not None
        pd.testing.assert_frame_equal(lent.columns, fresh.columns, check_exact=False, rtol=1e-12)
        assert lent.wkb.equals(fresh.wkb)


def test_boundary_pieces_of_identical_patches_are_lent_not_clipped(
    measured_package: AuditPackage,
) -> None:
    raw = package()
    measured_2018 = measured_package.landuse[0].patches
    old = measured_2018.boundary_pieces
    assert old is not None
    measures = ["area_m2", *(zone_column(k) for k in ZONE_KINDS)]
    doctored = old.with_columns(pd.DataFrame({c: old.columns[c] + 1000.0 for c in measures}))
    before = measured_2018.with_boundary_pieces(doctored)
    # ax keeps its geometry but is re-coded in 2020
    table = raw.landuse[1].patches
    codes = table.columns["code"].astype(str).to_numpy().copy()
    codes[table.columns["bsm"].to_numpy() == "2020-ax"] = "1101"
    table = table.with_columns(pd.DataFrame({"code": codes}))
    got = _pieces(measure_table(table, raw, V2, previous=(V1, before)))
    truth = _pieces(measured_package.landuse[1].patches)
    np.testing.assert_allclose(got["area_m2"], truth["area_m2"] + 1000.0)  # lent
    np.testing.assert_allclose(got["zone_pbf_m2"], truth["zone_pbf_m2"] + 1000.0)
    # approvals were added between 2018 and 2020: measured afresh
    np.testing.assert_allclose(got["zone_approvals_m2"], truth["zone_approvals_m2"], atol=1e-9)
    # the attributes are this vintage's
    assert got.loc[("ax", A), "code"] == "1101" and got.loc[("ax", B), "code"] == "1101"
    assert got.loc[("a20", A), "bsm"] == "2020-a20"


def test_a_reshaped_boundary_patch_is_clipped_afresh(measured_package: AuditPackage) -> None:
    raw = package((2018, 2020))
    frame = raw.landuse[1].frame.copy()
    ax = frame["bsm"] == "2020-ax"
    frame.loc[ax, "geometry"] = rect(250, 100, 340, 200)  # narrower; b31 widened to match
    frame.loc[frame["bsm"] == "2020-b31", "geometry"] = rect(340, 100, 400, 200)
    table = PatchTable.from_frame(frame)
    got = _pieces(measure_table(table, raw, V2, previous=(V1, measured_package.landuse[0].patches)))
    assert shapely.equals(got.loc[("ax", B), "geometry"], rect(299, 100, 340, 200))
    assert got.loc[("ax", B), "area_m2"] == pytest.approx(
        ellipsoidal_area_m2([rect(299, 100, 340, 200)], EPSG)[0], rel=1e-12
    )
    assert sorted(got.index) == sorted([("a20", A), ("a20", B), ("ax", A), ("ax", B)])
