import pytest

from gisaudit.indicators import evaluate_indicators, parse_indicator_system
from gisaudit.indicators.config import Scoring, Veto
from gisaudit.indicators.scoring import cap_grade, linear, score_value, veto_fires
from tests.indicators import scenario
from tests.indicators.test_indicator_values import _context


@pytest.mark.parametrize(
    ("value", "full", "zero", "expected"),
    [
        (100, 100, 95, 100), (101, 100, 95, 100), (97.5, 100, 95, 50), (95, 100, 95, 0),
        (90, 100, 95, 0), (0, 0, 10, 100), (2.5, 0, 10, 75), (12, 0, 10, 0), (-0.5, 0, -1, 50),
        (5, 5, 5, 100), (4.9, 5, 5, 0),
    ],
)  # fmt: skip
def test_linear_between_thresholds_clamped(value, full, zero, expected):
    assert linear(value, full, zero) == pytest.approx(expected)


def test_lower_better_with_equal_thresholds_is_a_step():
    s = Scoring(kind="lower_better", full=1, zero=1)
    assert score_value(s, 1)[0] == 100 and score_value(s, 1.01)[0] == 0


def test_target_kind_scores_the_ratio_to_the_target():
    s = Scoring(kind="target", full=100, zero=95)
    assert score_value(s, 5.5, target=5.5)[0] == pytest.approx(100)
    assert score_value(s, 0.975 * 5.5, target=5.5)[0] == pytest.approx(50)
    score, note = score_value(s, 5.0, target=None)
    assert score is None and "目标值" in note


def test_target_kind_falls_back_to_start_relative_thresholds():
    s = Scoring(
        kind="target",
        otherwise=Scoring(kind="higher_better", relative_to="start", full=0, zero=-5),
    )
    assert score_value(s, 8.0, start=10.0)[0] == pytest.approx(60)
    assert score_value(s, 11.0, start=10.0)[0] == pytest.approx(100)
    assert score_value(s, 11.0, start=None)[0] is None


def test_veto_above_and_below():
    assert veto_fires(Veto(above=1), 1.0001)
    assert not veto_fires(Veto(above=1), 1.0)
    assert veto_fires(Veto(below=95), 94)
    assert not veto_fires(None, 100)
    assert not veto_fires(Veto(above=1), None)


def test_cap_grade():
    assert [cap_grade(g, "较差") for g in ["好", "较好", "一般", "较差", "差"]] == [
        "较差", "较差", "较差", "较差", "差",
    ]  # fmt: skip


SMALL = """
id: small
name: 小体系
version: 1
grades:
  - {min: 90, grade: 好}
  - {min: 60, grade: 较差}
  - {min: 0, grade: 差}
indicators:
  - id: water_retention
    name: 水域面积保有率
    theme: water
    unit: "%"
    formula: {kind: retention, theme: water}
    scoring: {kind: higher_better, full: 100, zero: 95}
    weight: 10
  - id: pbf_loss_area
    name: 永久基本农田减少面积
    theme: farmland
    unit: ha
    formula: {kind: transition_area, from: farmland, to: not farmland, inside: pbf}
    scoring: {kind: lower_better, full: 0, zero: 10}
    weight: 0
    veto: {above: 1}
"""


def test_veto_caps_an_otherwise_good_grade():
    system = parse_indicator_system(SMALL)
    assert system.version == "1"
    s = evaluate_indicators(system, _context(scenario.make()))
    assert s.total_score == pytest.approx(100.0)
    assert s.vetoes == ["pbf_loss_area"]
    assert s.grade == "较差"
    assert [e["weight"] for e in s.indicators] == [100.0, 0.0]


def test_no_veto_keeps_the_band_grade():
    system = parse_indicator_system(SMALL.replace("veto: {above: 1}", "veto: {above: 5}"))
    s = evaluate_indicators(system, _context(scenario.make()))
    assert (s.grade, s.vetoes) == ("好", [])


def test_nothing_applicable_gives_zero_and_a_note():
    system = parse_indicator_system(SMALL.replace("weight: 10", "weight: 0"))
    s = evaluate_indicators(system, _context(scenario.make(zones={})))
    assert s.total_score == 0 and s.notes and s.grade == "差"
