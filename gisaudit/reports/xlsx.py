"""The printable Chinese scorecard workbook ``scorecard.xlsx`` (openpyxl)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gisaudit.reports import content
from gisaudit.reports.content import TOTAL, ReportHeader
from gisaudit.reports.styles import default_style

if TYPE_CHECKING:
    from gisaudit.evaluation.result import TenureResult

NUMBER_FORMAT = "0.00"
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=15)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def write_scorecard_xlsx(result: TenureResult, path: Path) -> Path:
    """Write the scorecard workbook (评分表, 转移矩阵, 资产账户, 疑点, 说明) to ``path``."""
    header = content.build_header(result)
    wb = Workbook()
    _scorecard_sheet(wb.active, result, header)
    _matrix_sheet(wb.create_sheet("转移矩阵"), result, header)
    _account_sheet(wb.create_sheet("资产账户"), result, header)
    _leads_sheet(wb.create_sheet("疑点"), result, header)
    _notes_sheet(wb.create_sheet("说明"), result, header)
    wb.save(path)
    return path


# -- sheets ----------------------------------------------------------------------------------
def _scorecard_sheet(ws: Worksheet, result: TenureResult, header: ReportHeader) -> None:
    ws.title = "评分表"
    table = content.indicator_table(result.scorecard)
    ncol = len(table.columns)
    _title_block(
        ws,
        ncol,
        f"{header.district_name}领导干部自然资源资产离任审计评分表",
        [
            f"被审计领导干部：{header.official}（{header.position}）　任期：{header.tenure_text}"
            f"　任期编号：{header.tenure_id}",
            f"区划：{header.district_name}（{header.district_code}），辖区面积 "
            f"{header.district_area_ha:,.2f} 公顷　数据期次：期初 {header.vintage_start}，"
            f"期末 {header.vintage_end}　指标体系：{header.system_text}",
            "；".join(header.vintage_notes),
        ],
    )
    head_row = 5
    end_row = _write_table(ws, head_row, table, numeric=content.NUMERIC_INDICATOR_COLUMNS)
    for r in range(head_row + 1, end_row + 1):
        ws.cell(r, 1).font = _BOLD
        if ws.cell(r, table.columns.get_loc("一票否决") + 1).value == "是":
            ws.cell(r, table.columns.get_loc("一票否决") + 1).font = Font(bold=True, color="C00000")
        if ws.cell(r, table.columns.get_loc("是否适用") + 1).value == "否":
            for c in range(1, ncol + 1):
                if c != 1:
                    ws.cell(r, c).font = Font(color="7F7F7F")
    r = end_row + 2
    grade_colour = default_style().grade_colours.get(header.grade, "#000000").lstrip("#")
    summary: list[tuple[str, Any, Font | None]] = [
        ("总分", header.total_score, Font(bold=True, size=13)),
        ("等级", header.grade, Font(bold=True, size=13, color=grade_colour)),
        (
            "一票否决项",
            header.vetoes_text,
            Font(bold=True, color="C00000") if header.vetoes else None,
        ),
        ("疑点数量", header.leads_count, None),
    ]
    for label, value, font in summary:
        ws.cell(r, 1, label).font = _BOLD
        ws.cell(r, 1).fill = _HEAD_FILL
        cell = ws.cell(r, 2, value)
        if label == "总分":
            cell.number_format = NUMBER_FORMAT
        if font is not None:
            cell.font = font
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=4)
        for c in range(1, 5):
            ws.cell(r, c).border = _BORDER
        r += 1
    ws.cell(r + 1, 1, content.START_END_NOTE).alignment = Alignment(wrap_text=False)
    _widths(ws, [24, 11, 8, 12, 12, 11, 11, 9, 8, 9, 9, 44])
    _page_setup(ws, header, f"{head_row}:{head_row}", freeze=f"B{head_row + 1}")


def _matrix_sheet(ws: Worksheet, result: TenureResult, header: ReportHeader) -> None:
    matrix = content.transition_matrix(result.transitions)
    labels = [content.group_label(g) for g in matrix.columns]
    ncol = len(labels) + 1
    _title_block(
        ws,
        ncol,
        f"{header.district_name}地类转移矩阵（公顷）",
        [
            f"行：期初 {header.vintage_start} 地类；列：期末 {header.vintage_end} 地类；"
            "对角线为未变化面积。面积为 CGCS2000 椭球面积，单位公顷。",
        ],
    )
    head_row = 4
    ws.cell(head_row, 1, "期初＼期末")
    for j, label in enumerate(labels, start=2):
        ws.cell(head_row, j, label)
    for c in range(1, ncol + 1):
        _head_cell(ws.cell(head_row, c))
    for i, (group, row) in enumerate(matrix.iterrows(), start=head_row + 1):
        name_cell = ws.cell(i, 1, content.group_label(str(group)))
        _head_cell(name_cell)
        for j, value in enumerate(row.to_numpy(), start=2):
            cell = ws.cell(i, j, float(value))
            cell.number_format = "#,##0.00"
            cell.border = _BORDER
            if group == TOTAL or matrix.columns[j - 2] == TOTAL:
                cell.font = _BOLD
                cell.fill = _TOTAL_FILL
            elif matrix.columns[j - 2] == group:
                cell.fill = PatternFill(
                    "solid", fgColor=default_style().matrix_diagonal.lstrip("#")
                )
    ws.row_dimensions[head_row].height = 32
    _widths(ws, [16] + [13] * (ncol - 1))
    _page_setup(ws, header, f"{head_row}:{head_row}", freeze=f"B{head_row + 1}")


def _account_sheet(ws: Worksheet, result: TenureResult, header: ReportHeader) -> None:
    table = content.account_table(result.account)
    _title_block(
        ws,
        len(table.columns),
        f"{header.district_name}自然资源资产实物量账户",
        [f"期初 {header.vintage_start}，期末 {header.vintage_end}；1 公顷 = 15 亩。"],
    )
    head_row = 4
    _write_table(ws, head_row, table, numeric=list(table.columns[1:]), number_format="#,##0.00")
    _widths(ws, [16] + [14] * (len(table.columns) - 1))
    _page_setup(ws, header, f"{head_row}:{head_row}", freeze=f"B{head_row + 1}")


def _leads_sheet(ws: Worksheet, result: TenureResult, header: ReportHeader) -> None:
    table = content.leads_summary(result)
    _title_block(ws, len(table.columns), f"{header.district_name}疑点汇总（按规则）", [])
    head_row = 4
    if table.empty:
        ws.cell(head_row, 1, "本任期未生成疑点（按现行疑点规则未发现需核查的变化）。")
    else:
        numeric = ["面积（公顷）", "面积（亩）", "长度（米）"]
        end = _write_table(ws, head_row, table, numeric=numeric, number_format="#,##0.00")
        ws.cell(end + 1, 1, TOTAL).font = _BOLD
        ws.cell(end + 1, 4, int(table["数量"].sum())).font = _BOLD
        for k, col in enumerate(numeric, start=5):
            total = table[col].sum(min_count=1)
            if pd.notna(total):
                ws.cell(end + 1, k, float(total)).number_format = "#,##0.00"
        for c in range(1, len(table.columns) + 1):
            ws.cell(end + 1, c).border = _BORDER
            ws.cell(end + 1, c).fill = _TOTAL_FILL
        ws.cell(end + 3, 1, "疑点为需实地核查的线索，并非审计结论。")
    _widths(ws, [30, 26, 10, 8, 14, 14, 12])
    _page_setup(ws, header, f"{head_row}:{head_row}", freeze=f"A{head_row + 1}")


def _notes_sheet(ws: Worksheet, result: TenureResult, header: ReportHeader) -> None:
    ws.cell(1, 1, "说明").font = _TITLE
    r = 3
    for i, note in enumerate(content.sources_notes(result), start=1):
        ws.cell(r, 1, i).alignment = Alignment(vertical="top")
        ws.cell(r, 2, note).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 15 * (1 + len(note) // 60)
        r += 1
    _widths(ws, [5, 110])
    _page_setup(ws, header, None, freeze=None)


# -- helpers ---------------------------------------------------------------------------------
def _title_block(ws: Worksheet, ncol: int, title: str, lines: Sequence[str]) -> None:
    ws.cell(1, 1, title).font = _TITLE
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.row_dimensions[1].height = 26
    for r, line in enumerate(lines, start=2):
        if line:
            ws.cell(r, 1, line)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)


def _head_cell(cell: Any) -> None:
    cell.font = _BOLD
    cell.fill = _HEAD_FILL
    cell.alignment = _CENTRE
    cell.border = _BORDER


def _write_table(
    ws: Worksheet,
    head_row: int,
    table: pd.DataFrame,
    numeric: Sequence[str],
    number_format: str = NUMBER_FORMAT,
) -> int:
    """Write a header row and the rows of ``table``; return the last row written."""
    for j, name in enumerate(table.columns, start=1):
        _head_cell(ws.cell(head_row, j, name))
    ws.row_dimensions[head_row].height = 30
    r = head_row
    for r, row in enumerate(table.itertuples(index=False), start=head_row + 1):
        for j, (name, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = ws.cell(r, j)
            if name in numeric:
                if value is not None and not (isinstance(value, float) and np.isnan(value)):
                    cell.value = float(value)
                    cell.number_format = number_format
                else:
                    cell.value = "—"
                cell.alignment = Alignment(horizontal="right", vertical="center")
            else:
                cell.value = value.item() if isinstance(value, np.generic) else value
                cell.alignment = _WRAP if name in ("说明", "指标", "疑点类型") else _CENTRE
            cell.border = _BORDER
    return r


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width


def _page_setup(
    ws: Worksheet, header: ReportHeader, title_rows: str | None, freeze: str | None
) -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    if title_rows:
        ws.print_title_rows = title_rows
    if freeze:
        ws.freeze_panes = freeze
    ws.oddHeader.center.text = f"{header.district_name} {header.official} 任期自然资源资产审计"
    ws.oddHeader.center.size = 9
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9
    ws.oddFooter.right.text = f"数据期次：{header.vintage_start}～{header.vintage_end}"
    ws.oddFooter.right.size = 8
