"""Overlay of a district's patch tables: identical patches matched undecoded, the rest overlaid."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import shapely

from gisaudit.change.changeset import ChangeSet, build_changeset
from gisaudit.change.district import DistrictPatches, district_patches
from gisaudit.change.overlay import (
    clip_to_district,
    overlay_district_patches,
    overlay_tessellations,
)
from gisaudit.change.vintages import VintageSelection
from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.facts import measure_patches
from gisaudit.layers.model import AuditPackage, LandUseVintage
from gisaudit.layers.zone_areas import area_inside_m2
from tests.layers.two_districts import (
    DISTRICTS,
    EPSG,
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

PAIRS = [(0, 1), (0, 2), (1, 2)]


@pytest.fixture(scope="module")
def measured_package() -> AuditPackage:
    return measure_patches(package())


def _sides(pkg: AuditPackage, code: str, s: int, e: int) -> tuple[DistrictPatches, ...]:
    return tuple(district_patches(pkg.landuse[n].patches, code) for n in (s, e))


def _by_transition(pieces: pd.DataFrame) -> pd.Series:
    return pieces.groupby(["from_code", "to_code"])["area_m2"].sum()


@pytest.mark.parametrize("code", [A, B])
@pytest.mark.parametrize(("s", "e"), PAIRS)
def test_same_areas_as_overlaying_the_clipped_vintages(
    measured_package: AuditPackage, code: str, s: int, e: int
) -> None:
    start, end = _sides(measured_package, code, s, e)
    got = overlay_district_patches(start, end, EPSG, ZONE_KINDS)
    expected = overlay_tessellations(
        clip_to_district(measured_package.landuse[s].frame, DISTRICTS[code]),
        clip_to_district(measured_package.landuse[e].frame, DISTRICTS[code]),
        EPSG,
    )
    assert got["area_m2"].sum() == pytest.approx(expected["area_m2"].sum(), rel=1e-9)
    assert got["area_m2"].sum() == pytest.approx(
        ellipsoidal_area_m2([DISTRICTS[code]], EPSG)[0], rel=1e-9
    )
    a, b = _by_transition(got), _by_transition(expected)
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9)
    for column in ["from_bsm", "to_bsm", "from_code", "to_code", "kcxs_from", "kcxs_to"]:
        assert column in got
    assert got.crs == expected.crs


def _piece(pieces: pd.DataFrame, from_bsm: str, to_bsm: str) -> pd.DataFrame:
    return pieces[(pieces["from_bsm"] == from_bsm) & (pieces["to_bsm"] == to_bsm)]


def test_unchanged_identical_patches_are_undecoded_with_measured_facts(
    measured_package: AuditPackage,
) -> None:
    start, end = _sides(measured_package, A, 0, 1)
    pieces = overlay_district_patches(start, end, EPSG, ZONE_KINDS)
    sw = start.whole.set_index("bsm")
    ew = end.whole.set_index("bsm")
    for name in ["a00", "a01", "a21"]:
        row = _piece(pieces, f"2018-{name}", f"2020-{name}")
        assert len(row) == 1, name
        assert row.geometry.iloc[0] is None
        assert row["area_m2"].iloc[0] == sw.loc[f"2018-{name}", "area_m2"]
        for kind in ["pbf", "redline"]:
            column = f"zone_{kind}_m2"
            assert row[column].iloc[0] == sw.loc[f"2018-{name}", column]
        # approvals as measured for the end vintage
        assert row["zone_approvals_m2"].iloc[0] == ew.loc[f"2020-{name}", "zone_approvals_m2"]
    a00 = _piece(pieces, "2018-a00", "2020-a00")
    assert sw.loc["2018-a00", "zone_approvals_m2"] == 0.0  # approved 2020-05-01
    assert a00["zone_approvals_m2"].iloc[0] == pytest.approx(400.0, rel=1e-6)
    assert a00["zone_pbf_m2"].iloc[0] == pytest.approx(5000.0, rel=1e-6)


def test_recoded_identical_patch_keeps_its_geometry(measured_package: AuditPackage) -> None:
    start, end = _sides(measured_package, A, 0, 1)
    pieces = overlay_district_patches(start, end, EPSG, ZONE_KINDS)
    a10 = _piece(pieces, "2018-a10", "2020-a10")
    assert len(a10) == 1
    assert (a10["from_code"].iloc[0], a10["to_code"].iloc[0]) == ("0101", "0702")
    assert shapely.equals_exact(a10.geometry.iloc[0], rect(100, 0, 200, 100), 0)
    assert a10["zone_pbf_m2"].iloc[0] == pytest.approx(5000.0, rel=1e-6)
    assert a10["kcxs_from"].iloc[0] == 0.1 and a10["kcxs_to"].iloc[0] == 0.0
    changed = pieces[pieces["from_code"] != pieces["to_code"]]
    assert changed.geometry.notna().all()  # dating needs a point on every changed piece


def test_reshaped_patches_are_overlaid_and_unchanged_boundary_pieces_matched(
    measured_package: AuditPackage,
) -> None:
    start, end = _sides(measured_package, A, 0, 1)
    pieces = overlay_district_patches(start, end, EPSG, ZONE_KINDS)
    a11 = pieces[pieces["from_bsm"] == "2018-a11"].sort_values("to_bsm")
    assert a11["to_bsm"].tolist() == ["2020-a11e", "2020-a11w"]
    assert a11["area_m2"].to_numpy() == pytest.approx([5000.0, 5000.0], rel=1e-6)
    assert a11.geometry.notna().all()
    # unchanged boundary patches: their pieces (cut when the package was measured) match
    # like whole patches, undecoded, with the pieces' measured areas and zone areas
    boundary = pieces[pieces["from_bsm"].isin(["2018-a20", "2018-ax"])].set_index("from_bsm")
    assert len(boundary) == 2 and boundary.geometry.isna().all()
    assert boundary.loc["2018-ax", "area_m2"] == pytest.approx(
        ellipsoidal_area_m2([rect(250, 100, 300, 200)], EPSG)[0], rel=1e-9
    )
    for kind in ZONE_KINDS:
        assert boundary[f"zone_{kind}_m2"].notna().all()
    # a reshaped whole patch: where a source patch lies wholly outside / inside a zone, the
    # piece's zone area is 0 / its own area; elsewhere NaN (measured by the change set)
    for kind in ZONE_KINDS:
        told = a11[f"zone_{kind}_m2"].dropna()
        whole = a11.loc[told.index, "area_m2"]
        assert ((told == 0) | (told == whole)).all()
    assert a11["zone_pbf_m2"].notna().any()
    matched = pieces[pieces["from_bsm"].isin(["2018-a00", "2018-a01", "2018-a21", "2018-a10"])]
    for kind in ZONE_KINDS:
        assert matched[f"zone_{kind}_m2"].notna().all()
    assert len(pieces) == 4 + 2 + 2  # 4 matched, a11 in two, a20 and ax


def _decoded(cs: ChangeSet) -> np.ndarray:
    """Every piece's geometry, the undecoded ones taken from their start patch."""
    geoms = cs.pieces.geometry.to_numpy().copy()
    missing = np.flatnonzero(pd.isna(geoms))
    whole = cs.start_district.whole["bsm"].to_numpy()
    rows = pd.Index(whole).get_indexer(cs.pieces["from_bsm"].to_numpy()[missing])
    assert (rows >= 0).all()
    geoms[missing] = cs.start_district.whole_geometries(rows)
    return geoms


@pytest.mark.parametrize("code", [A, B])
@pytest.mark.parametrize(("s", "e"), PAIRS)
def test_changeset_zone_areas_equal_measuring_every_decoded_piece(
    measured_package: AuditPackage, code: str, s: int, e: int
) -> None:
    dates = [V1, V2, V3]
    selection = VintageSelection(
        dates[s], dates[e], tuple(d for d in dates if dates[s] < d < dates[e])
    )
    cs = build_changeset(measured_package, code, selection)
    assert cs.pieces.geometry.isna().any()  # some pieces really were matched undecoded
    geoms = _decoded(cs)
    area = ellipsoidal_area_m2(geoms, EPSG)
    np.testing.assert_allclose(cs.pieces["area_m2"].to_numpy(), area, rtol=1e-9)
    for kind in ZONE_KINDS:
        got = cs.zone_area_m2(kind)
        direct = area_inside_m2(geoms, area, cs.zones[kind].all(), EPSG)
        np.testing.assert_allclose(got, direct, rtol=1e-9, atol=1e-6, err_msg=kind)
        slow = reference_zone_m2(geoms, cs.zones[kind].all())
        np.testing.assert_allclose(got, slow, rtol=1e-9, atol=1e-6, err_msg=kind)
        assert cs.base_m2(kind, inside=False) == pytest.approx(
            np.maximum(area - got, 0.0), rel=1e-9, abs=1e-6
        )


def test_changeset_counts_approvals_of_the_end_vintage_only(
    measured_package: AuditPackage,
) -> None:
    early = build_changeset(measured_package, A, VintageSelection(V1, V1))
    late = build_changeset(measured_package, A, VintageSelection(V1, V2))
    assert early.zone_area_m2("approvals").sum() == pytest.approx(2500.0, rel=1e-6)
    assert late.zone_area_m2("approvals").sum() == pytest.approx(2500.0 + 400.0, rel=1e-6)
    assert late.zone_area_m2("pbf").sum() == pytest.approx(5000 + 5000 + 40 * 60, rel=1e-6)


def test_changeset_dates_a_recoded_identical_patch(measured_package: AuditPackage) -> None:
    cs = build_changeset(measured_package, A, VintageSelection(V1, V3, (V2,)))
    changes = cs.changes()
    by_from = changes.groupby("from_code")["area_m2"].sum()
    assert set(changes["to_code"]) == {"0702", "1101"}
    a10 = changes[(changes["from_code"] == "0101") & (changes["to_code"] == "0702")]
    assert set(a10["change_vintage"]) == {V2}  # a10 and half of a11, both by 2020
    a00 = changes[changes["to_code"] == "1101"]
    assert set(a00["change_vintage"]) == {V3}
    assert by_from["0101"] == pytest.approx(100 * 100 + 50 * 100 + 100 * 100, rel=1e-6)
    assert changes.geometry.notna().all()


def test_transition_matrix_keeps_a_whole_patch_with_blank_kcxs() -> None:
    # a hand-built frame may leave KCXS blank (NaN): the whole-patch path must read it as 0,
    # as clip_to_district does, or the patch's area drops out of the transition matrix
    frames = {}
    for year, when in ((2018, V1), (2020, V2)):
        frame = package((year,)).landuse[0].frame.copy()
        frame.loc[frame["bsm"] == f"{year}-a00", "kcxs"] = np.nan
        frames[when] = LandUseVintage(when, frame, f"landuse/{year}.gpkg")
    pkg = replace(package(()), landuse=(frames[V1], frames[V2]))
    cs = build_changeset(pkg, A, VintageSelection(V1, V2))
    total_m2 = cs.transition_matrix()["area_ha"].sum() * 10_000
    assert total_m2 == pytest.approx(cs.covered_m2, rel=1e-9)
