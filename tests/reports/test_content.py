import jsonschema
import numpy as np
import pandas as pd
import pytest

from gisaudit.reports import content
from tests.reports.builders import make_result


def test_fixture_scorecard_is_valid_against_the_schema(tenure_result, schema):
    jsonschema.validate(tenure_result.scorecard, schema)
    assert len(tenure_result.scorecard["indicators"]) == 14
    weights = [i["weight"] for i in tenure_result.scorecard["indicators"]]
    assert sum(weights) == pytest.approx(100.0)


def test_indicator_table_has_chinese_columns_and_gaps_for_not_applicable(tenure_result):
    table = content.indicator_table(tenure_result.scorecard)
    assert list(table.columns) == content.INDICATOR_COLUMNS
    row = table.set_index("指标").loc["耕地保有量目标完成率"]
    assert row["是否适用"] == "否"
    assert np.isnan(row["指标值"]) and np.isnan(row["得分"])
    assert row["权重"] == 0
    veto = table.set_index("指标").loc["永久基本农田减少面积"]
    assert veto["一票否决"] == "是"
    assert table.set_index("指标").loc["耕地保有率", "专题"] == "耕地"
    assert table.set_index("指标").loc["永久基本农田保护率", "专题"] == "永久基本农田"


def test_transition_matrix_totals_are_start_and_end_areas(tenure_result):
    matrix = content.transition_matrix(tenure_result.transitions)
    district_ha = tenure_result.scorecard["district"]["area_ha"]
    assert matrix.loc[content.TOTAL, content.TOTAL] == pytest.approx(district_ha, rel=1e-12)
    areas = tenure_result.scorecard["areas"]
    assert matrix.loc["farmland", content.TOTAL] == pytest.approx(areas["start"]["farmland"])
    assert matrix.loc[content.TOTAL, "farmland"] == pytest.approx(areas["end"]["farmland"])
    assert matrix.loc["other", "other"] == 0.0  # every group listed, even empty ones
    assert len(matrix) == 10  # 9 groups + 合计


def test_account_table_adds_mu_and_net_change(tenure_result):
    table = content.account_table(tenure_result.account).set_index("专题")
    farm = table.loc["耕地"]
    assert farm["期初存量（亩）"] == pytest.approx(farm["期初存量（公顷）"] * 15)
    assert farm["净变化（公顷）"] == pytest.approx(
        farm["期末存量（公顷）"] - farm["期初存量（公顷）"]
    )
    assert farm["净变化（公顷）"] < 0


def test_leads_summary_from_leads_frame(tenure_result):
    table = content.leads_summary(tenure_result)
    assert list(table.columns) == content.LEADS_COLUMNS
    row = table.set_index("规则").loc["pbf_occupation"]
    assert row["疑点类型"] == "永久基本农田被占用"
    assert row["严重程度"] == "重大"
    assert row["数量"] == 1


def test_leads_summary_falls_back_to_scorecard_counts():
    result = make_result(leads=False)
    table = content.leads_summary(result)
    assert set(table["规则"]) == {
        "pbf_occupation",
        "farmland_to_construction",
        "farmland_to_nongrain",
    }
    assert table["数量"].sum() == 3


def test_leads_summary_empty_without_leads():
    result = make_result(leads=False)
    result.scorecard["leads"] = {"count": 0, "by_rule": {}}
    assert content.leads_summary(result).empty


def test_header_in_office_and_vetoes(tenure_result):
    header = content.build_header(tenure_result)
    assert header.vetoes == ["永久基本农田减少面积"]
    assert header.tenure_text == "2018-03-01 至 2023-06-30"
    result = make_result()
    result.scorecard["tenure"]["end"] = None
    assert content.build_header(result).tenure_end == "至今（在任）"


def test_transition_matrix_keeps_unknown_groups_last():
    frame = pd.DataFrame(
        {"from_group": ["farmland", "x"], "to_group": ["x", "x"], "area_ha": [1.0, 2.0]}
    )
    matrix = content.transition_matrix(frame)
    assert list(matrix.index)[-2:] == ["x", content.TOTAL]
    assert matrix.loc[content.TOTAL, "x"] == 3.0
