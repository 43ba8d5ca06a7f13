import pytest

from gisaudit.errors import ConfigError
from gisaudit.leads import legal_basis_text, load_knowledge_base, load_lead_rules


def test_every_default_rule_has_legal_basis_and_steps():
    kb = load_knowledge_base()
    for rule in load_lead_rules():
        entry = kb.entry(rule.knowledge_key)
        assert entry.legal_basis, rule.id
        assert len(entry.audit_steps) >= 4, rule.id
        text = legal_basis_text(rule.id)
        assert "《" in text and "》" in text, rule.id


def test_legal_basis_quotes_and_marks_summaries():
    text = legal_basis_text("farmland_to_construction")
    assert "《中华人民共和国土地管理法》第四十四条第一款：“建设占用土地" in text
    pbf = legal_basis_text("pbf_occupation")
    assert "第三十五条" in pbf and "基本农田保护条例" in pbf
    assert "森林法》第三十七条" in legal_basis_text("forest_to_construction")
    assert "湿地保护法》第十九条" in legal_basis_text("wetland_to_construction")
    reclaim = legal_basis_text("tidal_flat_reclamation")
    assert "国发〔2018〕24号" in reclaim and "海域使用管理法" in reclaim
    redline = legal_basis_text("redline_construction")
    assert "自然资发〔2022〕142号" in redline and "（摘要）" in redline
    assert "自然岸线保有率" in legal_basis_text("natural_coastline_loss")


def test_auditor_entries_merge_over_the_shipped_base(tmp_path):
    path = tmp_path / "kb.yaml"
    path.write_text(
        "entries:\n  farmland_to_construction:\n    audit_steps: [只有一步]\n"
        "  my_rule:\n    title: 自定义\n    legal_basis:\n      - law: 天津市某条例\n"
        "        article: 第一条\n        text: 条文。\n",
        encoding="utf-8",
    )
    kb = load_knowledge_base(path)
    assert kb.audit_steps("farmland_to_construction") == ["只有一步"]
    assert "第四十四条" in kb.legal_basis_text("farmland_to_construction")  # kept
    assert kb.legal_basis_text("my_rule") == "《天津市某条例》第一条：“条文。”"
    assert kb.legal_basis_text("unknown") == ""


def test_bad_knowledge_base_names_line_and_field(tmp_path):
    path = tmp_path / "kb.yaml"
    path.write_text("entries:\n  x:\n    legal_basis:\n      - law: 某法\n        artcle: 一\n"
                    "        text: 文\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match=r"kb\.yaml 第 5 行，字段 artcle"):
        load_knowledge_base(path)
