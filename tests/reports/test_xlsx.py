import openpyxl
import pytest

from gisaudit.reports.xlsx import write_scorecard_xlsx
from tests.reports.builders import make_result


@pytest.fixture(scope="module")
def workbook(report_dir):
    return openpyxl.load_workbook(report_dir / "scorecard.xlsx")


def _find(ws, text):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(f"{text!r} not found in sheet {ws.title}")


def test_sheet_names(workbook):
    assert workbook.sheetnames == ["评分表", "转移矩阵", "资产账户", "疑点", "说明"]


def test_scorecard_title_and_header(workbook):
    ws = workbook["评分表"]
    assert "津南区" in ws["A1"].value and ws["A1"].font.bold
    facts = " ".join(str(ws.cell(r, 1).value) for r in range(2, 5))
    for text in (
        "张三",
        "区委书记",
        "2018-03-01",
        "2023-06-30",
        "2017-12-31",
        "2022-12-31",
        "tianjin-2025",
        "1.0",
    ):
        assert text in facts
    header = [ws.cell(5, c).value for c in range(1, 13)]
    assert header == [
        "指标",
        "专题",
        "单位",
        "期初",
        "期末",
        "指标值",
        "目标",
        "得分",
        "权重",
        "是否适用",
        "一票否决",
        "说明",
    ]
    assert all(ws.cell(5, c).font.bold for c in range(1, 13))
    assert ws.cell(5, 1).border.bottom.style == "thin"


def test_scorecard_values_and_formats(workbook, tenure_result):
    ws = workbook["评分表"]
    row = _find(ws, "耕地非农化（未见批准）面积").row
    score = ws.cell(row, 8)
    assert score.value == pytest.approx(87.5)
    assert score.number_format == "0.00"
    weight = ws.cell(row, 9).value
    expected = next(
        i["weight"]
        for i in tenure_result.scorecard["indicators"]
        if i["id"] == "farmland_to_construction_unapproved"
    )
    assert weight == pytest.approx(expected)
    na = _find(ws, "自然岸线保有率").row
    assert ws.cell(na, 10).value == "否"
    assert ws.cell(na, 8).value == "—"
    assert ws.cell(na, 9).value == 0
    veto = _find(ws, "永久基本农田减少面积").row
    assert ws.cell(veto, 11).value == "是"
    names = {ws.cell(r, 1).value for r in range(6, 20)}
    assert {i["name"] for i in tenure_result.scorecard["indicators"]} <= names


def test_scorecard_total_grade_and_vetoes(workbook, tenure_result):
    ws = workbook["评分表"]
    total = _find(ws, "总分")
    assert ws.cell(total.row, 2).value == pytest.approx(tenure_result.scorecard["total_score"])
    assert ws.cell(total.row, 2).number_format == "0.00"
    grade = _find(ws, "等级")
    assert ws.cell(grade.row, 2).value == "差"
    vetoes = _find(ws, "一票否决项")
    assert ws.cell(vetoes.row, 2).value == "永久基本农田减少面积"


def test_print_setup(workbook):
    for ws in workbook.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    ws = workbook["评分表"]
    assert ws.freeze_panes == "B6"
    assert ws.print_title_rows == "$5:$5"
    assert ws.column_dimensions["L"].width > ws.column_dimensions["C"].width


def test_transition_matrix_sheet(workbook, tenure_result):
    ws = workbook["转移矩阵"]
    header = [ws.cell(4, c).value for c in range(1, 12)]
    assert header[0] == "期初＼期末"
    assert header[1:] == [
        "湿地",
        "耕地",
        "种植园用地",
        "林地",
        "草地",
        "城镇村及工矿用地",
        "交通运输用地",
        "水域及水利设施用地",
        "其他土地",
        "合计",
    ]
    assert ws.cell(5, 1).value == "湿地" and ws.cell(6, 1).value == "耕地"
    assert ws.cell(14, 1).value == "合计"
    built_col = header.index("城镇村及工矿用地") + 1
    cell_ha = tenure_result.scorecard["district"]["area_ha"] / 12
    assert ws.cell(6, built_col).value == pytest.approx(cell_ha)
    assert ws.cell(6, built_col).number_format == "#,##0.00"
    assert ws.cell(14, 11).value == pytest.approx(tenure_result.scorecard["district"]["area_ha"])
    assert ws.cell(6, 11).value == pytest.approx(4 * cell_ha)  # farmland at start
    assert ws.cell(14, 3).value == pytest.approx(2 * cell_ha)  # farmland at end
    assert ws.cell(14, 11).font.bold
    assert ws.freeze_panes == "B5"


def test_account_sheet(workbook, tenure_result):
    ws = workbook["资产账户"]
    header = [ws.cell(4, c).value for c in range(1, 11)]
    assert header[:5] == [
        "专题",
        "期初存量（公顷）",
        "增加（公顷）",
        "减少（公顷）",
        "期末存量（公顷）",
    ]
    assert "期末存量（亩）" in header
    farm = _find(ws, "耕地").row
    opening = ws.cell(farm, 2).value
    assert opening == pytest.approx(
        tenure_result.account.set_index("theme").loc["farmland", "opening_ha"]
    )
    assert ws.cell(farm, header.index("期初存量（亩）") + 1).value == pytest.approx(opening * 15)


def test_leads_sheet(workbook):
    ws = workbook["疑点"]
    assert ws.cell(4, 1).value == "疑点类型"
    first = _find(ws, "永久基本农田被占用").row
    assert ws.cell(first, 3).value == "重大"
    total = _find(ws, "合计").row
    assert ws.cell(total, 4).value == 3


def test_notes_sheet_states_units_and_vintages(workbook):
    text = " ".join(str(c.value) for row in workbook["说明"].iter_rows() for c in row if c.value)
    for words in ("CGCS2000", "椭球面积", "公顷", "亩", "2017-12-31", "2022-12-31", "EPSG:4527"):
        assert words in text


def test_leads_sheet_note_without_leads(tmp_path):
    result = make_result(leads=False)
    result.scorecard["leads"] = {"count": 0, "by_rule": {}}
    path = write_scorecard_xlsx(result, tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(path)["疑点"]
    assert "未生成疑点" in ws.cell(4, 1).value
