"""On the sample package: every tenure evaluates, every scorecard validates, and the engine's
transition matrix and indicators agree with an independent computation written here
(geopandas.overlay + pyproj.Geod per polygon, ridge deduction applied by hand)."""

from collections import defaultdict

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer

from gisaudit.evaluation import DEFAULT_WRITERS, evaluate_package, validate_scorecard
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.package import load_package
from gisaudit.sample.build import build_sample_package

pytestmark = pytest.mark.slow

GEOD = Geod(ellps="GRS80")
TABLE = default_class_table()
TOL = 1e-5  # 0.001 %


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    work = tmp_path_factory.mktemp("sample")
    root = build_sample_package(work / "pkg", patches=400, pixel_m=200)
    pkg = load_package(root)
    results = evaluate_package(pkg, work / "out", writers=DEFAULT_WRITERS)
    return pkg, results


def _geod_areas(geoms, crs) -> np.ndarray:
    to_ll = Transformer.from_crs(crs, "EPSG:4490", always_xy=True)
    out = []
    for g in geoms:
        total = 0.0
        for part in shapely.get_parts(g):
            if part.geom_type != "Polygon":
                continue
            ll = shapely.transform(part, lambda xy: np.column_stack(to_ll.transform(*xy.T)))
            total += abs(GEOD.geometry_area_perimeter(ll)[0])
        out.append(total)
    return np.array(out)


def _patches(pkg, vintage, code):
    frame = pkg.landuse_at(vintage).frame
    return frame[frame["district_code"] == code][["code", "kcxs", "geometry"]]


def _independent_matrix(pkg, code, start, end) -> dict[tuple[str, str], float]:
    """Group transition matrix (ha) by geopandas.overlay + Geod, with the ridge split."""
    a = _patches(pkg, start, code).rename(columns={"code": "c1", "kcxs": "k1"})
    b = _patches(pkg, end, code).rename(columns={"code": "c2", "kcxs": "k2"})
    pieces = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
    pieces["m2"] = _geod_areas(pieces.geometry, pkg.crs)
    cells: dict[tuple[str, str], float] = defaultdict(float)
    for r in pieces.itertuples():
        g1, g2, k1, k2 = TABLE.group(r.c1), TABLE.group(r.c2), r.k1, r.k2
        ridge = TABLE.group("1203")
        for (f, t), share in (  # a list: cells may coincide (e.g. 1202 is in the ridge's group)
            ((g1, g2), min(1 - k1, 1 - k2)),
            ((g1, ridge), max(0.0, k2 - k1)),
            ((ridge, g2), max(0.0, k1 - k2)),
            ((ridge, ridge), min(k1, k2)),
        ):
            cells[(f, t)] += r.m2 * share / 10_000
    return cells


def _theme_ha(pkg, vintage, code, theme) -> float:
    """Theme area (ha) straight from one vintage's patches: (1 − KCXS) of farmland patches."""
    p = _patches(pkg, vintage, code)
    m2 = _geod_areas(p.geometry, pkg.crs)
    own = (1 - p["kcxs"].to_numpy()) * m2
    in_theme = TABLE.theme_mask(p["code"], theme)
    ridge = p["kcxs"].to_numpy() * m2 if TABLE.in_theme("1203", theme) else 0 * m2
    return float((own * in_theme).sum() + ridge.sum()) / 10_000


def test_every_tenure_evaluates_and_validates(evaluated):
    pkg, results = evaluated
    assert len(results) == len(pkg.tenures) == 20
    for r in results:
        validate_scorecard(r.scorecard)
        total = sum(t["area_ha"] for t in r.scorecard["transitions"])
        assert total == pytest.approx(r.scorecard["district"]["area_ha"], rel=TOL)


def test_matrix_and_indicators_agree_with_independent_overlay(evaluated):
    pkg, results = evaluated
    seen = set()
    for r in results:
        key = (r.district_code, r.start_vintage, r.end_vintage)
        if key in seen or r.district_code not in ("120115", "120116", "120119"):
            continue
        seen.add(key)
        mine = {(t["from"], t["to"]): t["area_ha"] for t in r.scorecard["transitions"]}
        ref = _independent_matrix(pkg, *key)
        district_ha = r.scorecard["district"]["area_ha"]
        for cell in set(mine) | {k for k, v in ref.items() if v > 1e-9}:
            got, want = mine.get(cell, 0.0), ref.get(cell, 0.0)
            # each cell within 0.001 % (of itself; of the district for near-empty cells)
            assert abs(got - want) <= TOL * max(want, 1e-3 * district_ha), (key, cell, got, want)
        ind = {i["id"]: i for i in r.scorecard["indicators"]}
        start_f = _theme_ha(pkg, r.start_vintage, r.district_code, "farmland")
        end_f = _theme_ha(pkg, r.end_vintage, r.district_code, "farmland")
        assert ind["farmland_retention"]["start"] == pytest.approx(start_f, rel=TOL)
        assert ind["farmland_retention"]["value"] == pytest.approx(100 * end_f / start_f, rel=TOL)
        for theme, ind_id in (
            ("water", "water_retention"),
            ("wetland", "wetland_retention"),
            ("forest_land", "forest_land_retention"),
        ):
            s = _theme_ha(pkg, r.start_vintage, r.district_code, theme)
            e = _theme_ha(pkg, r.end_vintage, r.district_code, theme)
            if s > 0:
                assert ind[ind_id]["value"] == pytest.approx(100 * e / s, rel=TOL), ind_id
        s = _theme_ha(pkg, r.start_vintage, r.district_code, "construction")
        e = _theme_ha(pkg, r.end_vintage, r.district_code, "construction")
        assert ind["construction_growth"]["value"] == pytest.approx(100 * (e - s) / s, rel=1e-4)
        fs = _theme_ha(pkg, r.start_vintage, r.district_code, "forest")
        fe = _theme_ha(pkg, r.end_vintage, r.district_code, "forest")
        assert ind["forest_coverage_change"]["value"] == pytest.approx(
            100 * (fe - fs) / district_ha, abs=1e-6
        )
        # farmland → nongrain from the independent overlay (farmland share of each piece)
        a = _patches(pkg, r.start_vintage, r.district_code)
        b = _patches(pkg, r.end_vintage, r.district_code)
        pieces = gpd.overlay(
            a.rename(columns={"code": "c1", "kcxs": "k1"}),
            b.rename(columns={"code": "c2", "kcxs": "k2"}),
            how="intersection",
            keep_geom_type=True,
        )
        hit = TABLE.theme_mask(pieces["c1"], "farmland") & TABLE.theme_mask(
            pieces["c2"], "nongrain"
        )
        sub = pieces[hit]
        share = np.minimum(1 - sub["k1"].to_numpy(), 1 - sub["k2"].to_numpy())
        want = float((_geod_areas(sub.geometry, pkg.crs) * share).sum()) / 10_000
        assert ind["farmland_to_nongrain"]["value"] == pytest.approx(want, rel=TOL, abs=1e-6)
    assert len(seen) >= 3


def test_summary_lists_every_tenure(evaluated, tmp_path):
    pkg, results = evaluated
    assert sorted(r.tenure_id for r in results) == sorted(pkg.tenures["id"].astype(str))
    grades = pd.Series([r.scorecard["grade"] for r in results])
    assert grades.isin(["好", "较好", "一般", "较差", "差"]).all()
