from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gisaudit.change import transitions as tr
from gisaudit.change.accounts import asset_account
from gisaudit.change.changeset import build_changeset
from gisaudit.change.transitions import matrix_table, ridge_split
from gisaudit.change.vintages import select_vintages
from gisaudit.geodesy import to_ha
from tests.change.squares import DISTRICT, cell, cells, frame_of, package

D0, D1, D2, D3 = date(2018, 12, 31), date(2020, 12, 31), date(2021, 12, 31), date(2023, 12, 31)


def _changes(pkg, start=D0, end=None):
    sel = select_vintages(pkg.vintages, start, end)
    return build_changeset(pkg, DISTRICT, sel)


def _pieces(k1, k2, c1="0101", c2="0101"):
    return pd.DataFrame({"from_code": [c1], "to_code": [c2], "kcxs_from": [k1], "kcxs_to": [k2]})


def _flows(split):
    return {(r.from_code, r.to_code): r.share for r in split.itertuples()}


def test_ridge_split_unchanged_patch_has_no_flow():
    assert _flows(ridge_split(_pieces(0.1, 0.1))) == pytest.approx(
        {("0101", "0101"): 0.9, ("1203", "1203"): 0.1}
    )


def test_ridge_split_coefficient_change_is_the_net_ridge_change():
    flows = _flows(ridge_split(_pieces(0.10, 0.15)))
    assert flows == pytest.approx(
        {("0101", "0101"): 0.85, ("0101", "1203"): 0.05, ("1203", "1203"): 0.10}
    )


def test_ridge_split_code_change_keeps_both_marginals():
    flows = _flows(ridge_split(_pieces(0.1, 0.0, "0101", "0601")))
    assert flows == pytest.approx({("0101", "0601"): 0.9, ("1203", "0601"): 0.1})
    flows = _flows(ridge_split(_pieces(0.0, 0.2, "0301", "0102")))
    assert flows == pytest.approx({("0301", "0102"): 0.8, ("0301", "1203"): 0.2})


def test_matrix_with_kcxs_on_tiny_package():
    grid0 = {(0, 0): ("0101", 0.1), (1, 0): ("0101", 0.1), (2, 0): "0301"}
    grid1 = {(0, 0): ("0101", 0.1), (1, 0): "0601", (2, 0): "0301"}
    ch = _changes(package({D0: grid0, D3: grid1}))
    m = {(r.from_group, r.to_group): r.area_ha for r in ch.transition_matrix().itertuples()}
    assert m == pytest.approx(
        {
            ("farmland", "farmland"): 0.9,
            ("farmland", "built"): 0.9,
            ("forest_land", "forest_land"): 1.0,
            ("other", "other"): 0.1,
            ("other", "built"): 0.1,
        },
        rel=1e-6,
    )
    assert to_ha(ch.theme_area_m2("farmland", "from")) == pytest.approx(1.8, rel=1e-6)
    assert to_ha(ch.theme_area_m2("farmland", "to")) == pytest.approx(0.9, rel=1e-6)
    assert to_ha(ch.transition_area_m2("farmland", "not farmland")) == pytest.approx(0.9, rel=1e-6)
    assert to_ha(ch.transition_area_m2("not construction", "construction")) == pytest.approx(
        1.0, rel=1e-6
    )
    square = matrix_table(ch.transition_matrix(), ch.table)
    assert square.shape == (9, 9)
    assert square.to_numpy().sum() == pytest.approx(3.0, rel=1e-6)


def test_zone_inside_and_outside_and_approval_dates():
    grid0 = {(c, 0): "0101" for c in range(4)}
    grid1 = {(0, 0): "0101", (1, 0): "0702", (2, 0): "0601", (3, 0): "0702"}
    approvals = frame_of(
        [cell(2, 0), cell(3, 0)],
        approval_date=[date(2020, 5, 1), date(2024, 6, 1)],  # the second is after the end
    )
    pbf = frame_of(
        [cells((0, 0), (1, 0)), shapely.box(39_500_150, 4_320_000, 39_500_250, 4_320_100)]
    )
    ch = _changes(package({D0: grid0, D3: grid1}, zones={"pbf": pbf, "approvals": approvals}))
    # farmland -> construction: 3 ha; inside approvals dated <= end: only (2,0)
    assert to_ha(ch.transition_area_m2("farmland", "construction")) == pytest.approx(3, rel=1e-6)
    assert to_ha(ch.transition_area_m2("farmland", "construction", "approvals", True)) == (
        pytest.approx(1, rel=1e-6)
    )
    assert to_ha(ch.transition_area_m2("farmland", "construction", "approvals", False)) == (
        pytest.approx(2, rel=1e-6)
    )
    # pbf = cells 0,1 plus half of cell 2 (the overlapping polygons count once)
    assert to_ha(ch.theme_area_m2("farmland", "from", "pbf")) == pytest.approx(2.5, rel=1e-6)
    assert to_ha(ch.theme_area_m2("farmland", "to", "pbf")) == pytest.approx(1.0, rel=1e-6)
    assert to_ha(ch.transition_area_m2("farmland", "not farmland", "pbf")) == pytest.approx(
        1.5, rel=1e-6
    )



def test_theme_and_transition_areas_are_the_flow_by_flow_sums():
    """The change set adds the flows up by code pair once; every theme and transition area
    must equal the plain flow-by-flow sum (``transitions.theme_area_m2`` / ``..._area_m2``)."""
    grid0 = {(c, r): code for (c, r), code in zip(
        [(c, r) for c in range(4) for r in range(2)],
        ["0101", ("0101", 0.1), "0301", "0702", "1101", ("0103", 0.05), "0201", "0404"],
        strict=True,
    )}
    grid1 = {(c, r): code for (c, r), code in zip(
        [(c, r) for c in range(4) for r in range(2)],
        ["0702", ("0101", 0.15), "0101", "0702", "0601", "0101", "0201", "1101"],
        strict=True,
    )}
    pbf = frame_of([cells((0, 0), (1, 0)), shapely.box(39_500_150, 4_320_000, 39_500_250,
                                                        4_320_200)])
    ch = _changes(package({D0: grid0, D3: grid1}, zones={"pbf": pbf}))
    themes = list(ch.table.themes)
    selectors = [*themes, *(f"not {t}" for t in themes)]
    for zone, inside in [(None, True), ("pbf", True), ("pbf", False)]:
        base = ch.base_m2(zone, inside)
        for side in ("from", "to"):
            for sel in selectors:
                want = tr.theme_area_m2(ch.split, base, sel, side, ch.table)
                assert ch.theme_area_m2(sel, side, zone, inside) == pytest.approx(
                    want, rel=1e-12, abs=1e-9
                )
        for a in selectors:
            for b in selectors[:6]:
                want = tr.transition_area_m2(ch.split, base, a, b, ch.table)
                assert ch.transition_area_m2(a, b, zone, inside) == pytest.approx(
                    want, rel=1e-12, abs=1e-9
                )
    assert ch.theme_area_m2("farmland", "from") > 0
    assert ch.transition_area_m2("farmland", "construction") > 0

def test_change_vintage_is_the_first_vintage_showing_the_change():
    g0 = {(0, 0): "0101", (1, 0): "0101", (2, 0): "0101", (3, 0): "0301"}
    g1 = {(0, 0): "0702", (1, 0): "0101", (2, 0): "0601", (3, 0): "0301"}  # 2020
    g2 = {(0, 0): "0702", (1, 0): "0201", (2, 0): "0601", (3, 0): "0301"}  # 2021
    g3 = {(0, 0): "0702", (1, 0): "0201", (2, 0): "0602", (3, 0): "0404"}  # 2023
    pkg = package({D0: g0, D1: g1, D2: g2, D3: g3})
    ch = _changes(pkg)
    changes = ch.changes()
    changes = changes.iloc[np.argsort(changes.geometry.centroid.x.to_numpy())]
    assert list(changes["to_code"]) == ["0702", "0201", "0602", "0404"]
    # 0101 -> 0601 (2020) -> 0602 (2023): one change to built land, dated 2020
    assert list(changes["change_vintage"]) == [D1, D2, D1, D3]
    unchanged = ch.pieces[ch.pieces["from_code"] == ch.pieces["to_code"]]
    assert unchanged["change_vintage"].isna().all()


def test_change_vintage_without_intermediates_is_the_end():
    ch = _changes(package({D0: {(0, 0): "0101"}, D3: {(0, 0): "0702"}}))
    assert list(ch.changes()["change_vintage"]) == [D3]


# -- properties ---------------------------------------------------------------------------------

CODES = ["0101", "0102", "0201", "0301", "0305", "0404", "0601", "0702", "1003", "1006",
         "1101", "1104", "1104A", "1105", "1106", "1202", "1203"]  # fmt: skip


@st.composite
def _grids(draw):
    n_c, n_r = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    value = st.tuples(st.sampled_from(CODES), st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.2]))

    def grid():
        out = {}
        for c in range(n_c):
            for r in range(n_r):
                code, k = draw(value)
                out[(c, r)] = (code, k if code.startswith("01") else 0.0)
        return out

    return grid(), grid()


@settings(max_examples=25, deadline=None)
@given(_grids())
def test_matrix_conserves_area_and_accounts_balance(grids):
    g0, g1 = grids
    ch = _changes(package({D0: g0, D3: g1}))
    matrix = ch.transition_matrix()
    assert (matrix["area_ha"] > 0).all()
    assert matrix["area_ha"].sum() == pytest.approx(to_ha(ch.district_area_m2), rel=1e-5)
    account = asset_account(ch)
    balance = account["opening_ha"] + account["additions_ha"] - account["reductions_ha"]
    np.testing.assert_allclose(balance, account["closing_ha"], rtol=1e-9, atol=1e-9)
    areas_end = ch.theme_areas_ha("to")
    for row in account.itertuples():
        assert row.closing_ha == pytest.approx(areas_end[row.theme], abs=1e-9)
