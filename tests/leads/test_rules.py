from pathlib import Path

import pytest

from gisaudit.errors import ConfigError
from gisaudit.leads import load_lead_rules
from gisaudit.leads.rules import LeadRule

DEFAULT_IDS = [
    "farmland_to_construction", "pbf_occupation", "forest_to_construction",
    "water_to_construction", "wetland_to_construction", "tidal_flat_reclamation",
    "redline_construction", "farmland_to_nongrain", "natural_coastline_loss",
]  # fmt: skip


def test_default_rules_match_the_spec_table():
    rules = {r.id: r for r in load_lead_rules()}
    assert list(rules) == DEFAULT_IDS
    r = rules["farmland_to_construction"]
    assert (r.name, r.from_, r.to, r.inside, r.outside, r.min_area_m2, r.severity) == (
        "耕地转为建设用地且未见批准",
        "farmland",
        "construction",
        None,
        "approvals",
        400,
        "high",
    )
    r = rules["pbf_occupation"]
    assert (r.to, r.inside, r.min_area_m2, r.severity) == ("not farmland", "pbf", 100, "critical")
    r = rules["redline_construction"]
    assert (r.from_, r.inside, r.min_area_m2) == ("not construction", "redline", 100)
    assert rules["tidal_flat_reclamation"].to == "not wetland"
    assert rules["farmland_to_nongrain"].min_area_m2 == 2000
    assert rules["farmland_to_nongrain"].severity == "medium"
    coast = rules["natural_coastline_loss"]
    assert (coast.kind, coast.distance_m, coast.min_length_m) == ("coastline_loss", 30, 50)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my_rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """rules:
  - id: my_rule
    name: 测试规则
    from: farmland
    to: construction
    min_area_m2: 100
    severity: {severity}
    inside: {inside}
"""


@pytest.mark.parametrize(
    ("severity", "inside", "from_", "line", "field", "word"),
    [
        ("urgent", "pbf", "farmland", 7, "severity", "urgent"),
        ("high", "parks", "farmland", 8, "inside", "parks"),
        ("high", "pbf", "farmlands", 4, "from", "farmlands"),
    ],
)
def test_bad_rule_names_file_line_and_field(tmp_path, severity, inside, from_, line, field, word):
    text = GOOD.format(severity=severity, inside=inside).replace("from: farmland", f"from: {from_}")
    with pytest.raises(ConfigError) as err:
        load_lead_rules(_write(tmp_path, text))
    msg = str(err.value)
    assert "my_rules.yaml" in msg
    assert f"第 {line} 行" in msg
    assert f"字段 {field}" in msg
    assert word in msg


def test_missing_minimum_and_syntax_error(tmp_path):
    text = (
        "rules:\n  - id: x\n    name: 甲\n    from: farmland\n    to: construction\n"
        "    severity: low\n"
    )
    with pytest.raises(ConfigError, match=r"第 2 行.*min_area_m2"):
        load_lead_rules(_write(tmp_path, text))
    with pytest.raises(ConfigError, match=r"第 3 行.*YAML"):
        load_lead_rules(_write(tmp_path, "rules:\n  - id: x\n  name: [unclosed\n"))
    with pytest.raises(ConfigError, match=r"字段 colour.*未知字段"):
        load_lead_rules(
            _write(tmp_path, GOOD.format(severity="low", inside="pbf") + "    colour: red\n")
        )


def test_auditor_file_adds_replaces_and_disables(tmp_path):
    text = GOOD.format(severity="low", inside="pbf") + (
        "  - id: farmland_to_nongrain\n    name: 耕地非粮化（严格）\n    from: farmland\n"
        "    to: nongrain\n    min_area_m2: 500\n    severity: high\n"
        "  - id: wetland_to_construction\n    name: 停用\n    from: wetland\n    to: construction\n"
        "    min_area_m2: 1\n    severity: low\n    enabled: false\n"
    )
    rules = {r.id: r for r in load_lead_rules(_write(tmp_path, text))}
    assert "my_rule" in rules and "wetland_to_construction" not in rules
    assert rules["farmland_to_nongrain"].min_area_m2 == 500
    assert "pbf_occupation" in rules
    only = load_lead_rules(_write(tmp_path, text), include_defaults=False)
    assert [r.id for r in only] == ["my_rule", "farmland_to_nongrain"]


def test_rule_model_validates_in_code():
    with pytest.raises(ValueError, match="未知专题"):
        LeadRule(id="a", name="甲", **{"from": "not cropland"}, to="construction",
                 min_area_m2=1, severity="low")  # fmt: skip
    with pytest.raises(ValueError, match="不能是同一区域"):
        LeadRule(id="a", name="甲", **{"from": "farmland"}, to="construction",
                 min_area_m2=1, severity="low", inside="pbf", outside="pbf")  # fmt: skip


def test_a_bare_list_of_rules_is_accepted_and_located(tmp_path):
    text = "- id: a\n  name: 甲\n  from: farmland\n  to: construction\n  min_area_m2: 5\n"
    text += "  severity: high\n- id: b\n  name: 乙\n  from: farmland\n  to: water\n"
    text += "  min_area_m2: 5\n  severity: severe\n"
    with pytest.raises(ConfigError, match=r"第 12 行，字段 severity"):
        load_lead_rules(_write(tmp_path, text))
    ok = load_lead_rules(_write(tmp_path, text.replace("severe", "low")), include_defaults=False)
    assert [r.id for r in ok] == ["a", "b"]
