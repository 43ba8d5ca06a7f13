import re
from importlib import resources

import pytest
import yaml

from gisaudit.errors import ConfigError
from gisaudit.indicators.config import load_indicator_system, parse_indicator_system

DEFAULT_TEXT = resources.files("gisaudit.rules").joinpath("tianjin-2025.yaml").read_text("utf-8")
SPEC_WEIGHTS = {
    "farmland_retention": 12, "farmland_target_attainment": 10, "pbf_protection": 10,
    "pbf_loss_area": 10, "farmland_to_construction_unapproved": 8, "farmland_to_nongrain": 5,
    "construction_growth": 5, "forest_coverage_change": 8, "forest_land_retention": 5,
    "water_retention": 7, "wetland_retention": 7, "natural_coastline_rate": 5,
    "reclamation_area": 3, "redline_new_construction": 5,
}  # fmt: skip


def test_default_system_matches_the_spec_table():
    system = load_indicator_system()
    assert (system.id, system.version) == ("tianjin-2025", "2025.1")
    assert {i.id: i.weight for i in system.indicators} == SPEC_WEIGHTS
    vetoes = {i.id: i.veto.above for i in system.indicators if i.veto}
    assert vetoes == {"pbf_loss_area": 1, "reclamation_area": 1, "redline_new_construction": 1}
    assert [b.grade for b in system.grades] == ["好", "较好", "一般", "较差", "差"]
    assert system.veto_cap == "较差"
    assert system.grade_for(90) == "好" and system.grade_for(89.99) == "较好"
    assert system.grade_for(60) == "较差" and system.grade_for(59.9) == "差"


def test_a_copy_of_the_default_loads_from_a_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(DEFAULT_TEXT.replace("weight: 12", "weight: 20"), encoding="utf-8")
    system = load_indicator_system(path)
    assert system.indicators[0].weight == 20
    assert system.source == str(path)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_indicator_system(text, "mine.yaml")
    return str(info.value)


def test_unknown_theme_names_line_and_field():
    text = DEFAULT_TEXT.replace(
        "formula: {kind: retention, theme: water}", "formula: {kind: retention, theme: waterr}"
    )
    msg = _error(text)
    line = _line_of(text, "theme: waterr")
    assert f"第 {line} 行" in msg
    assert "indicators[9].formula.theme" in msg and "未知专题 'waterr'" in msg
    assert "water_retention" in msg and "mine.yaml" in msg


def test_unknown_theme_in_a_not_selector():
    text = DEFAULT_TEXT.replace("to: not wetland", "to: not wetlands")
    msg = _error(text)
    assert f"第 {_line_of(text, 'not wetlands')} 行" in msg and "wetlands" in msg


def test_non_numeric_weight():
    text = DEFAULT_TEXT.replace("weight: 7\n", "weight: seven\n", 1)
    msg = _error(text)
    assert f"第 {_line_of(text, 'weight: seven')} 行" in msg
    assert "indicators[9].weight" in msg and "应为数字" in msg and "seven" in msg


def test_quoted_weight_is_not_a_number():
    text = DEFAULT_TEXT.replace("weight: 12", 'weight: "12"')
    assert "应为数字" in _error(text)


def test_unknown_scoring_kind():
    text = DEFAULT_TEXT.replace(
        "scoring: {kind: lower_better, full: 2, zero: 10}",
        "scoring: {kind: smaller_better, full: 2, zero: 10}",
    )
    msg = _error(text)
    assert f"第 {_line_of(text, 'smaller_better')} 行" in msg
    assert "indicators[6].scoring.kind" in msg and "smaller_better" in msg and "lower_better" in msg


def test_unknown_formula_kind():
    text = DEFAULT_TEXT.replace("kind: growth_rate", "kind: growth")
    msg = _error(text)
    assert f"第 {_line_of(text, 'kind: growth,')} 行" in msg and "formula.kind" in msg


def test_missing_field_names_the_field_and_the_indicator_line():
    text = DEFAULT_TEXT.replace("    unit: ha\n", "", 1)  # pbf_loss_area loses its unit
    msg = _error(text)
    assert "indicators[3].unit" in msg and "缺少必填字段" in msg
    assert f"第 {_line_of(text, 'id: pbf_loss_area')} 行" in msg


def test_missing_formula_field_for_its_kind():
    text = DEFAULT_TEXT.replace(
        "formula: {kind: growth_rate, theme: construction}", "formula: {kind: growth_rate}"
    )
    msg = _error(text)
    assert f"第 {_line_of(text, 'kind: growth_rate}')} 行" in msg and "theme" in msg


def test_yaml_syntax_error_names_the_line():
    lines = DEFAULT_TEXT.splitlines()
    n = _line_of(DEFAULT_TEXT, "id: water_retention")
    lines[n] = lines[n].replace("name: 水域面积保有率", "name: [水域面积保有率")
    msg = _error("\n".join(lines))
    assert "YAML 语法错误" in msg
    assert re.search(r"第 \d+ 行", msg)
    assert int(re.search(r"第 (\d+) 行", msg).group(1)) in range(n, n + 4)


def test_several_errors_are_all_reported():
    text = DEFAULT_TEXT.replace("weight: 12", "weight: x").replace(
        "kind: growth_rate", "kind: growth"
    )
    msg = _error(text)
    assert "2 处错误" in msg


def test_unknown_field_and_duplicate_ids():
    text = DEFAULT_TEXT.replace("    weight: 12\n", "    weight: 12\n    wieght: 3\n")
    assert "未知字段" in _error(text)
    data = yaml.safe_load(DEFAULT_TEXT)
    data["indicators"][1]["id"] = data["indicators"][0]["id"]
    assert "重复" in _error(yaml.safe_dump(data, allow_unicode=True))


def test_missing_file_and_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="找不到"):
        load_indicator_system(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match="映射"):
        parse_indicator_system("- a\n- b\n")
