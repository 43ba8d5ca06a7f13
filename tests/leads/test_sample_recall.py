"""End to end on the sample package: the leads find every planted violation and no decoy."""

from datetime import date

import pyogrio
import pytest
import shapely

from gisaudit.evaluation.evaluate import EvaluationCache, evaluate_tenure
from gisaudit.indicators import load_indicator_system
from gisaudit.layers.package import load_package
from gisaudit.leads import find_leads, write_leads
from gisaudit.leads.frame import as_date
from gisaudit.sample.build import build_sample_package

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = build_sample_package(tmp_path_factory.mktemp("s") / "pkg", patches=400,
                                pixel_m=50)  # fmt: skip
    pkg = load_package(root)
    assert set(pkg.zones) == {"pbf", "redline", "approvals"}
    system, cache = load_indicator_system(), EvaluationCache()
    out = []
    for tid in pkg.tenures["id"].astype(str):
        result = evaluate_tenure(pkg, tid, system, cache=cache)
        leads = find_leads(result.changes, pkg, tenure_id=tid, district_code=result.district_code,
                           start=result.start_vintage, end=result.end_vintage)  # fmt: skip
        out.append((result, leads))
    planted = pyogrio.read_dataframe(root / "truth" / "planted.gpkg", layer="planted")
    coast = pyogrio.read_dataframe(root / "truth" / "planted.gpkg", layer="planted_coast")
    return pkg, out, planted, coast


def _in_tenure(vintage, result) -> bool:
    return result.start_vintage < as_date(vintage) <= result.end_vintage


def test_every_planted_violation_is_one_lead_covering_it(evaluated):
    _pkg, out, planted, _ = evaluated
    checked = 0
    rules_checked = set()
    for result, leads in out:
        regions = planted[(planted["district_code"] == result.district_code)
                          & (planted["kind"] == "violation")]  # fmt: skip
        for region in regions.itertuples():
            if not _in_tenure(region.change_vintage, result):
                continue
            for rule in filter(None, str(region.expected_rules).split(",")):
                mine = leads[leads["rule"] == rule].geometry.to_numpy()
                overlapping = [
                    g for g in mine if shapely.intersection(g, region.geometry).area > 1.0
                ]
                covered = (
                    shapely.union_all(overlapping).intersection(region.geometry).area
                    if overlapping
                    else 0
                )
                assert covered >= 0.95 * region.geometry.area, (result.tenure_id, region.id, rule)
                assert len(overlapping) == 1, (result.tenure_id, region.id, rule, len(overlapping))
                checked += 1
                rules_checked.add(rule)
    assert checked > 0
    # the zone-bound rules run end to end too (the sample's zones are all present)
    assert {"pbf_occupation", "farmland_to_construction"} <= rules_checked, rules_checked


def test_no_lead_of_a_forbidden_rule_on_a_decoy(evaluated):
    _, out, planted, _ = evaluated
    for result, leads in out:
        decoys = planted[
            (planted["district_code"] == result.district_code) & (planted["kind"] == "decoy")
        ]
        for decoy in decoys.itertuples():
            if not _in_tenure(decoy.change_vintage, result):
                continue
            for rule in filter(None, str(decoy.forbidden_rules).split(",")):
                limit = 0.01 * decoy.geometry.area
                for g in leads[leads["rule"] == rule].geometry:
                    overlap = shapely.intersection(g, decoy.geometry).area
                    assert overlap < limit, (result.tenure_id, decoy.id, rule)


def test_planted_coastline_losses_are_found(evaluated):
    _, out, _, coast = evaluated
    checked = 0
    for result, leads in out:
        mine = leads[leads["rule"] == "natural_coastline_loss"].geometry.to_numpy()
        for line in coast[coast["district_code"] == result.district_code].itertuples():
            if not _in_tenure(line.change_vintage, result):
                continue
            found = shapely.union_all(mine).buffer(1.0) if len(mine) else shapely.Polygon()
            assert line.geometry.intersection(found).length >= 0.95 * line.geometry.length, line.id
            checked += 1
    assert checked > 0


def test_outputs_for_a_sample_tenure(evaluated, tmp_path):
    pkg, out, _, _ = evaluated
    result, leads = max(out, key=lambda rl: len(rl[1]))
    paths = write_leads(leads, tmp_path, package=pkg, pdf=False)
    assert len(list(paths["sheets"].glob("*_before.png"))) == len(leads) > 0
    assert leads.attrs["end_vintage"] == result.end_vintage.isoformat()
    assert result.end_vintage <= date(2023, 12, 31)
