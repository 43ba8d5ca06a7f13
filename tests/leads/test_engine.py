"""The lead engine on tiny exact squares (EPSG:4527, metres from the origin near 117°E 39°N)."""

import re
from datetime import date

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from gisaudit.geodesy import M2_PER_MU
from gisaudit.leads import LEAD_COLUMNS, load_lead_rules

from .conftest import END, X0, Y0, area, changes, package, run, sq, zone

BEFORE_END, AFTER_END = date(2020, 6, 30), date(2024, 3, 1)


def rules_of(leads):
    return sorted(leads["rule"])


@pytest.mark.parametrize(
    ("frm", "to", "side", "zones", "expected"),
    [
        # farmland -> construction outside approvals (+ nongrain never: 0702 is not nongrain)
        ("0101", "0702", 30, {}, ["farmland_to_construction"]),
        ("0103", "1003", 19, {}, []),  # 361 m² < 400
        ("0101", "1006", 30, {}, []),  # 农村道路 is not construction
        # forest / water / wetland -> construction
        ("0301", "0601", 30, {}, ["forest_to_construction"]),
        ("0307", "1006", 30, {}, []),
        ("1101", "0702", 30, {}, ["water_to_construction"]),
        ("1104A", "0601", 30, {}, ["water_to_construction"]),  # suffix matched on base code
        ("1106", "0601", 30, {}, ["wetland_to_construction"]),
        # tidal flat -> not wetland: 围海 (ponds) and 填海 both; staying wetland is not
        ("1105", "1104A", 30, {}, ["tidal_flat_reclamation"]),
        ("1105", "0601", 30, {}, ["tidal_flat_reclamation", "wetland_to_construction"]),
        ("1105", "1106", 30, {}, []),
        # nongrain (min 2000 m²)
        ("0101", "0201", 50, {}, ["farmland_to_nongrain"]),
        ("0102", "1104", 50, {}, ["farmland_to_nongrain"]),
        ("0101", "0201", 40, {}, []),  # 1600 m²
        # reclassification within farmland, 复垦 and other non-rules
        ("0103", "0102", 50, {"pbf": [(0, 0, 100)]}, []),
        ("0702", "0101", 50, {"pbf": [(0, 0, 100)]}, []),
        ("0601", "0701", 50, {"redline": [(0, 0, 100)]}, []),
        # pbf (min 100 m²): any farmland loss inside pbf, nothing outside it
        ("0101", "0201", 12, {"pbf": [(0, 0, 100)]}, ["pbf_occupation"]),
        ("0101", "0201", 12, {"pbf": [(500, 500, 100)]}, []),
        (
            "0101",
            "0702",
            30,
            {"pbf": [(0, 0, 100)]},
            ["farmland_to_construction", "pbf_occupation"],
        ),
        # redline (min 100 m²)
        ("0404", "0601", 12, {"redline": [(0, 0, 100)]}, ["redline_construction"]),
        ("0404", "0601", 12, {"redline": [(500, 500, 100)]}, []),
        (
            "0301",
            "0601",
            30,
            {"redline": [(0, 0, 100)]},
            ["forest_to_construction", "redline_construction"],
        ),
    ],
)
def test_each_default_rule_fires_where_it_should(frm, to, side, zones, expected):
    pkg = package(zones={k: zone(*[sq(*b) for b in v]) for k, v in zones.items()})
    leads = run(changes((sq(0, 0, side), frm, to)), pkg)
    assert rules_of(leads) == sorted(expected)
    for _, lead in leads.iterrows():
        assert lead["area_m2"] == pytest.approx(area(sq(0, 0, side)), abs=0.01)
        assert lead["from_codes"] == {frm: pytest.approx(lead["area_m2"], abs=0.01)}
        assert lead["to_codes"] == {to: pytest.approx(lead["area_m2"], abs=0.01)}


@pytest.mark.parametrize(
    ("approved", "expected_m2"),
    [
        (None, 900.0),  # no approval at all
        (BEFORE_END, None),  # approved before the end vintage: no lead
        (END, None),  # approved on the end date counts
        (AFTER_END, 900.0),  # approved after the end vintage: still 未见批准
    ],
)
def test_approvals_count_only_up_to_the_end_vintage(approved, expected_m2):
    dates = [approved] if approved else [AFTER_END]
    geoms = [sq(-10, -10, 60)] if approved else [sq(500, 500, 10)]
    pkg = package(zones={"approvals": zone(*geoms, dates=dates)})
    leads = run(changes((sq(0, 0, 30), "0101", "0702")), pkg)
    if expected_m2 is None:
        assert len(leads) == 0
    else:
        assert list(leads["area_m2"]) == [pytest.approx(expected_m2, rel=1e-5)]


def test_partial_approval_is_cut_away_and_min_area_applies_to_the_rest():
    pkg = package(zones={"approvals": zone(sq(0, 0, 10, 30), sq(100, 0, 20, 30),
                                           dates=[BEFORE_END, BEFORE_END])})  # fmt: skip
    chg = changes((sq(0, 0, 30), "0101", "0702"), (sq(100, 0, 30), "0101", "0702"))
    leads = run(chg, pkg)
    assert len(leads) == 1  # 600 m² left of the first, 300 m² (< 400) of the second
    assert leads["area_m2"].iloc[0] == pytest.approx(area(sq(10, 0, 20, 30)), abs=0.01)
    assert leads.geometry.iloc[0].equals(sq(10, 0, 20, 30))


def test_missing_zones_inside_gives_nothing_outside_excludes_nothing():
    chg = changes((sq(0, 0, 30), "0101", "0201"), (sq(100, 0, 30), "0101", "0702"),
                  (sq(200, 0, 30), "0404", "0601"))  # fmt: skip
    leads = run(chg, package(zones={}))
    assert rules_of(leads) == ["farmland_to_construction"]
    notes = " ".join(leads.attrs["notes"])
    assert "缺少永久基本农田" in notes and "缺少生态保护红线" in notes
    assert "缺少建设用地批准范围" in notes and "未扣除" in notes


def test_touching_pieces_merge_into_one_lead_with_summed_codes():
    chg = changes(
        (sq(0, 0, 20), "0101", "0702", date(2021, 12, 31)),
        (sq(20, 0, 20), "0103", "0702", date(2019, 12, 31)),
        (sq(40, 0, 20), "0101", "0601", END),
        (sq(60, 20, 20), "0102", "1003", END),  # touches the third at a corner only
        (sq(80.005, 20, 20), "0102", "1003", END),  # 5 mm gap: within tolerance
    )
    leads = run(chg)
    assert len(leads) == 1
    lead = leads.iloc[0]
    one = area(sq(0, 0, 20))
    assert lead["area_m2"] == pytest.approx(5 * one, abs=0.05)
    assert lead["from_codes"] == pytest.approx(
        {"0101": 2 * one, "0102": 2 * one, "0103": one}, abs=0.02
    )
    assert lead["to_codes"] == pytest.approx(
        {"0601": one, "0702": 2 * one, "1003": 2 * one}, abs=0.02
    )
    assert lead["change_vintage"] == "2019-12-31"  # the earliest piece
    assert lead["area_mu"] == pytest.approx(lead["area_m2"] / M2_PER_MU, abs=0.01)
    assert lead["area_ha"] == pytest.approx(lead["area_m2"] / 10000, abs=1e-4)


def test_minimum_area_applies_after_merging():
    touching = changes((sq(0, 0, 15), "0101", "0702"), (sq(15, 0, 15), "0101", "0702"))
    apart = changes((sq(0, 0, 15), "0101", "0702"), (sq(20, 0, 15), "0101", "0702"))
    assert len(run(touching)) == 1  # 2 × 225 = 450 m² ≥ 400
    assert len(run(apart)) == 0  # two leads of 225 m² each: both under the minimum


def test_columns_values_and_order():
    pkg = package(zones={"pbf": zone(sq(0, 0, 100))})
    chg = changes((sq(0, 0, 30), "0101", "0702"), (sq(300, 0, 50), "0101", "0201"),
                  (sq(600, 0, 40), "0101", "0601"))  # fmt: skip
    leads = run(chg, pkg)
    assert list(leads.columns) == [*LEAD_COLUMNS, "geometry"]
    assert leads.crs.to_epsg() == 4527
    # critical first, then the rule order of the rule file, then larger first
    assert list(leads["rule"]) == ["pbf_occupation", "farmland_to_construction",
                                   "farmland_to_construction", "farmland_to_nongrain"]  # fmt: skip
    assert list(leads["area_m2"].round())[1:3] == [1600, 900]
    assert set(leads["state"]) == {"待核实"}
    assert set(leads["tenure_id"]) == {"T1"} and set(leads["district_code"]) == {"120116"}
    assert leads["length_m"].isna().all()
    lead = leads.iloc[0]
    assert lead["severity"] == "critical" and lead["name"] == "永久基本农田被占用"
    assert "第三十五条" in lead["legal_basis"]
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0 + 15, Y0 + 15)
    assert (lead["lon"], lead["lat"]) == (
        pytest.approx(lon, abs=1e-7),
        pytest.approx(lat, abs=1e-7),
    )
    assert 117.0 < lead["lon"] < 117.001 and 39.0 < lead["lat"] < 39.02
    assert lead["change_vintage"] == END.isoformat()


def test_stable_ids():
    chg = changes((sq(0, 0, 30), "0101", "0702"), (sq(300, 0, 50), "0101", "0201"))
    first = run(chg)
    again = run(chg.copy())
    assert list(first["id"]) == list(again["id"])
    pattern = re.compile(r"^L-120116-[a-z_]+-[0-9a-f]{10}$")
    assert all(pattern.match(i) for i in first["id"])
    assert first["id"].iloc[0].startswith("L-120116-farmland_to_construction-")
    # float noise (1e-7 m) and a different piece order do not change the id
    noisy = chg.iloc[::-1].copy()
    noisy["geometry"] = shapely.transform(noisy.geometry.to_numpy(), lambda xy: xy + 1e-7)
    assert sorted(run(noisy)["id"]) == sorted(first["id"])
    # another tenure, or a lead that really moved, gets another id
    from gisaudit.leads import find_leads

    other = find_leads(chg, package(), tenure_id="T2", district_code="120116",
                       start=date(2018, 12, 31), end=END)  # fmt: skip
    assert set(other["id"]).isdisjoint(first["id"])
    moved = changes((sq(5, 0, 30), "0101", "0702"))
    assert run(moved)["id"].iloc[0] != first["id"].iloc[0]


def test_custom_rule_runs_through_the_same_engine(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - id: grass_to_anything\n    name: 草地减少\n    from: not farmland\n"
        "    to: not construction\n    outside: pbf\n    min_area_m2: 10\n    severity: low\n",
        encoding="utf-8",
    )
    rules = load_lead_rules(path, include_defaults=False)
    pkg = package(zones={"pbf": zone(sq(0, 0, 10, 30))})
    leads = run(changes((sq(0, 0, 30), "0404", "0201")), pkg, rules=rules)
    assert list(leads["rule"]) == ["grass_to_anything"]
    assert leads["area_m2"].iloc[0] == pytest.approx(area(sq(10, 0, 20, 30)), abs=0.01)
    assert leads["legal_basis"].iloc[0] == ""


def test_no_changes_gives_an_empty_table_with_the_columns():
    leads = run(changes())
    assert len(leads) == 0
    assert list(leads.columns) == [*LEAD_COLUMNS, "geometry"]
    assert np.isnan(leads["area_m2"].sum()) or leads["area_m2"].sum() == 0
