import pytest

from gisaudit.change.changeset import build_changeset
from gisaudit.change.coastline import coastline_lengths_km
from gisaudit.change.vintages import select_vintages
from gisaudit.indicators import IndicatorContext, evaluate_indicators, load_indicator_system
from tests.change.squares import DISTRICT, X0, Y0
from tests.indicators import scenario

SYSTEM = load_indicator_system()
REL = 1e-6


def _context(pkg, with_coast=True, targets=None):
    sel = select_vintages(pkg.vintages, scenario.START, None)
    ch = build_changeset(pkg, DISTRICT, sel)
    cs = ce = None
    if with_coast and pkg.coastline:
        cs, ce = (
            coastline_lengths_km(pkg.coastline_at(v).frame, ch.district, ch.crs)
            for v in (sel.start, sel.end)
        )
    if targets is None:
        targets = {str(r.indicator): float(r.value) for r in pkg.targets.itertuples()}
    return IndicatorContext(ch, cs, ce, targets)


@pytest.fixture(scope="module")
def summary():
    return evaluate_indicators(SYSTEM, _context(scenario.make()))


def _by_id(summary):
    return {e["id"]: e for e in summary.indicators}


@pytest.mark.parametrize("indicator_id", list(scenario.EXPECTED))
def test_every_indicator_has_its_hand_computed_value(summary, indicator_id):
    value, start, end, score = scenario.EXPECTED[indicator_id]
    entry = _by_id(summary)[indicator_id]
    assert entry["applicable"] is True
    assert entry["value"] == pytest.approx(value, rel=REL, abs=1e-9)
    assert entry["start"] == (pytest.approx(start, rel=REL) if start is not None else None)
    assert entry["end"] == (pytest.approx(end, rel=REL) if end is not None else None)
    assert entry["score"] == pytest.approx(score, rel=REL, abs=1e-6)


def test_total_grade_and_vetoes(summary):
    assert summary.total_score == pytest.approx(scenario.TOTAL, rel=1e-6)
    assert summary.grade == "差"
    assert summary.vetoes == ["pbf_loss_area", "redline_new_construction"]
    weights = [e["weight"] for e in summary.indicators]
    assert weights == [12, 10, 10, 10, 8, 5, 5, 8, 5, 7, 7, 5, 3, 5]


def test_targets_are_reported(summary):
    by_id = _by_id(summary)
    assert by_id["farmland_target_attainment"]["target"] == 4.0
    assert by_id["natural_coastline_rate"]["target"] == 5.5
    assert by_id["farmland_retention"]["target"] is None


def test_missing_zones_coast_and_targets_are_not_applicable_and_weights_rescale():
    pkg = scenario.make(zones={}, coastline={}, targets=[])
    s = evaluate_indicators(SYSTEM, _context(pkg))
    by_id = _by_id(s)
    na = {
        "farmland_target_attainment", "pbf_protection", "pbf_loss_area",
        "farmland_to_construction_unapproved", "natural_coastline_rate",
        "redline_new_construction",
    }  # fmt: skip
    for iid, e in by_id.items():
        if iid in na:
            assert (e["applicable"], e["value"], e["score"], e["weight"], e["veto"]) == (
                False, None, None, 0.0, False,
            ), iid  # fmt: skip
            assert e["note"].endswith("不适用")
        else:
            assert e["applicable"] is True
    remaining = 12 + 5 + 5 + 8 + 5 + 7 + 7 + 3  # 52
    assert by_id["farmland_retention"]["weight"] == pytest.approx(100 * 12 / remaining)
    assert sum(e["weight"] for e in s.indicators) == pytest.approx(100.0)
    expected_total = (5 * 98 + 7 * 100 + 3 * 90) / remaining
    assert s.total_score == pytest.approx(expected_total, rel=1e-6)
    assert s.vetoes == []
    assert "目标值" in by_id["farmland_target_attainment"]["note"]
    assert "永久基本农田" in by_id["pbf_protection"]["note"]


def test_coastline_without_target_scores_against_its_start_value():
    pkg = scenario.make(targets=[])
    e = _by_id(evaluate_indicators(SYSTEM, _context(pkg)))["natural_coastline_rate"]
    # full = start (75 %), zero = start - 5 (70 %): 50 % scores 0
    assert (e["value"], e["start"], e["score"]) == (
        pytest.approx(50), pytest.approx(75), pytest.approx(0),
    )  # fmt: skip
    assert e["target"] is None


def test_coastline_small_loss_scores_linearly_without_target():
    import shapely

    from tests.change.squares import coast

    def line(x1, x2, kind):
        return shapely.LineString([(X0 + x1, Y0), (X0 + x2, Y0)]), kind

    coasts = {
        scenario.START: coast([line(0, 300, "natural"), line(300, 400, "artificial")]),
        scenario.END: coast([line(0, 290, "natural"), line(290, 400, "artificial")]),
    }
    e = _by_id(evaluate_indicators(SYSTEM, _context(scenario.make(coastline=coasts, targets=[]))))[
        "natural_coastline_rate"
    ]
    # 72.5 % against full 75, zero 70: score 50
    assert e["value"] == pytest.approx(72.5, rel=1e-6)
    assert e["score"] == pytest.approx(50.0, rel=1e-5)


def test_a_district_without_tidal_flats_is_not_scored_on_reclamation():
    changes = {**scenario.CHANGES, (1, 2): ("1106", "1104A"), (2, 2): ("1106", "1106")}
    s = evaluate_indicators(SYSTEM, _context(scenario.make(changes)))
    e = _by_id(s)["reclamation_area"]
    assert e["applicable"] is False and "沿海滩涂" in e["note"]


def test_zone_present_but_without_farmland_is_not_applicable():
    from tests.change.squares import cell, frame_of

    zones = {**scenario.zones(), "pbf": frame_of([cell(4, 3)])}  # 1202 at start
    s = evaluate_indicators(SYSTEM, _context(scenario.make(zones=zones)))
    by_id = _by_id(s)
    assert by_id["pbf_protection"]["applicable"] is False
    assert by_id["pbf_loss_area"]["applicable"] is False
    assert "永久基本农田内" in by_id["pbf_loss_area"]["note"]


def test_values_count_every_change_however_small():
    # a 1 m² corner of a farmland cell turns to built: counted, not dropped
    import geopandas as gpd
    import shapely

    from tests.change.squares import EPSG, cell, package

    corner = shapely.box(X0, Y0, X0 + 1, Y0 + 1)
    start = gpd.GeoDataFrame(
        {"bsm": ["a"], "code": ["0101"], "kcxs": [0.0]}, geometry=[cell(0, 0)], crs=EPSG
    )
    end = gpd.GeoDataFrame(
        {"bsm": ["b", "c"], "code": ["0101", "0702"], "kcxs": [0.0, 0.0]},
        geometry=[cell(0, 0).difference(corner), corner],
        crs=EPSG,
    )
    pkg = package({scenario.START: start, scenario.END: end})
    by_id = _by_id(evaluate_indicators(SYSTEM, _context(pkg)))
    assert by_id["farmland_to_construction_unapproved"]["applicable"] is False  # no approvals
    assert by_id["farmland_retention"]["value"] == pytest.approx(99.99, rel=1e-6)
