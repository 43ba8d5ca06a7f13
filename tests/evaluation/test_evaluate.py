import json
from datetime import date
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from gisaudit.errors import AnalysisError, InputError
from gisaudit.evaluation import (
    EvaluationCache,
    evaluate_tenure,
    scorecard_schema,
    validate_scorecard,
)
from gisaudit.indicators import load_indicator_system
from tests.change.squares import DISTRICT
from tests.indicators import scenario

SYSTEM = load_indicator_system()
SHARED_SCHEMA = Path("/work/shared/spec/scorecard.schema.json")
TENURES = [
    {"id": "T1", "district_code": DISTRICT, "official": "张三", "position": "区委书记",
     "start": date(2016, 3, 1), "end": date(2023, 12, 31)},
    {"id": "T2", "district_code": DISTRICT, "official": "李四", "position": "区长",
     "start": date(2019, 1, 10), "end": None},
]  # fmt: skip


@pytest.fixture(scope="module")
def pkg():
    return scenario.make(tenures=TENURES)


def _validate(card):
    jsonschema.Draft202012Validator(
        scorecard_schema(), format_checker=jsonschema.FormatChecker()
    ).validate(card)


def test_scorecard_is_valid_and_complete(pkg):
    result = evaluate_tenure(pkg, "T1", SYSTEM)
    card = result.scorecard
    _validate(card)
    json.dumps(card, ensure_ascii=False)  # JSON-ready
    assert card["indicator_system"] == {
        "id": "tianjin-2025", "version": "2025.1", "name": SYSTEM.name,
    }  # fmt: skip
    assert card["tenure"]["start"] == "2016-03-01" and card["tenure"]["end"] == "2023-12-31"
    assert card["vintages"]["start"] == "2018-12-31" and card["vintages"]["end"] == "2023-12-31"
    assert any("最早一期" in n for n in card["vintages"]["notes"])
    assert card["district"]["area_ha"] == pytest.approx(20.0, rel=1e-6)
    assert card["total_score"] == pytest.approx(scenario.TOTAL, rel=1e-6)
    assert card["grade"] == "差"
    assert card["vetoes"] == ["pbf_loss_area", "redline_new_construction"]
    assert card["areas"]["start"]["farmland"] == pytest.approx(5.0, rel=1e-6)
    assert card["areas"]["end"]["construction"] == pytest.approx(8.0, rel=1e-6)
    assert set(card["areas"]["start"]) == {
        "farmland", "forest", "forest_land", "water", "wetland", "tidal_flat", "construction",
        "nongrain",
    }  # fmt: skip
    assert sum(t["area_ha"] for t in card["transitions"]) == pytest.approx(20.0, rel=1e-5)
    assert card["coastline_km"]["start"] == pytest.approx(
        {"natural": 0.3, "artificial": 0.1, "estuary": 0.0}, rel=1e-6
    )
    leads = result.leads
    assert card["leads"]["count"] == len(leads) > 0
    assert card["leads"]["by_rule"] == leads["rule"].value_counts().to_dict()
    assert card["leads"]["area_ha"] == pytest.approx(leads["area_ha"].fillna(0).sum(), abs=1e-3)
    assert set(leads["tenure_id"]) == {"T1"}


def test_tenure_result_fields(pkg):
    r = evaluate_tenure(pkg, "T1", SYSTEM)
    assert (r.tenure_id, r.district_code) == ("T1", DISTRICT)
    assert (r.start_vintage, r.end_vintage) == (scenario.START, scenario.END)
    assert list(r.transitions.columns) == ["from_group", "to_group", "area_ha"]
    assert r.transitions["area_ha"].sum() == pytest.approx(20.0, rel=1e-5)
    assert list(r.account.columns) == [
        "theme", "name", "opening_ha", "additions_ha", "reductions_ha", "closing_ha",
    ]  # fmt: skip
    farmland = r.account.set_index("theme").loc["farmland"]
    assert (farmland.opening_ha, farmland.additions_ha, farmland.reductions_ha) == (
        pytest.approx(5, rel=1e-6), pytest.approx(1, rel=1e-6), pytest.approx(4, rel=1e-6),
    )  # fmt: skip
    n_changed = sum(1 for a, b in scenario.CHANGES.values() if a != b)
    assert len(r.changes) == n_changed
    assert set(r.changes.columns) >= {
        "from_code", "to_code", "from_group", "to_group", "area_m2", "change_vintage", "geometry",
    }  # fmt: skip
    assert (r.changes["change_vintage"] == scenario.END).all()
    assert len(r.landuse("start")) == len(r.landuse("end")) == 20
    assert list(r.district["district_code"]) == [DISTRICT]
    assert r.leads is not None and (r.leads["tenure_id"] == "T1").all()


def test_in_office_tenure_has_null_end_and_latest_vintage(pkg):
    card = evaluate_tenure(pkg, "T2", SYSTEM).scorecard
    _validate(card)
    assert card["tenure"]["end"] is None
    assert card["vintages"]["end"] == "2023-12-31"


def test_tenures_sharing_vintages_share_one_overlay(pkg):
    cache = EvaluationCache()
    a = evaluate_tenure(pkg, "T1", SYSTEM, cache=cache)
    b = evaluate_tenure(pkg, "T2", SYSTEM, cache=cache)
    assert len(cache.changesets) == 1
    assert a.extras["changeset"] is b.extras["changeset"]
    assert len(cache.coastlines) == 2  # start and end coastline of the district


def test_unknown_tenure_is_an_input_error(pkg):
    with pytest.raises(InputError, match="T9"):
        evaluate_tenure(pkg, "T9", SYSTEM)


def test_invalid_scorecard_is_caught():
    with pytest.raises(AnalysisError):
        validate_scorecard({"schema": "nope"})


@pytest.mark.skipif(not SHARED_SCHEMA.exists(), reason="shared spec folder not present")
def test_shipped_schema_is_the_spec_schema():
    assert scorecard_schema() == json.loads(SHARED_SCHEMA.read_text(encoding="utf-8"))


def test_timestamps_in_the_tenure_table_are_accepted():
    tenures = [{**TENURES[0], "start": pd.Timestamp("2019-01-01"), "end": pd.NaT}]
    pkg = scenario.make(tenures=tenures)
    card = evaluate_tenure(pkg, "T1", SYSTEM).scorecard
    _validate(card)
    assert card["tenure"]["start"] == "2019-01-01" and card["tenure"]["end"] is None


def test_district_without_patches_is_an_input_error():
    import shapely

    from tests.change.squares import X0, Y0, package

    pkg = package(
        {scenario.START: {(0, 0): "0101"}, scenario.END: {(0, 0): "0702"}},
        district=shapely.box(X0 + 5000, Y0, X0 + 5100, Y0 + 100),
    )
    with pytest.raises(InputError, match="没有地类图斑"):
        evaluate_tenure(pkg, "T1", SYSTEM)
