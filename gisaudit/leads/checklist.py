"""The field-verification checklist (疑点问题清单, checklist.xlsx), one row per lead."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from gisaudit.layers.classes import LandClassTable, default_class_table
from gisaudit.leads.rules import SEVERITY_NAMES

HEADERS: list[tuple[str, float]] = [
    ("序号", 6), ("疑点编号", 30), ("疑点类型", 20), ("严重程度", 8), ("区", 10),
    ("面积(亩)", 10), ("面积(公顷)", 11), ("地类变化", 34), ("变化年度", 11), ("经纬度", 22),
    ("法律依据", 46), ("核查结论", 22), ("备注", 16),
]  # fmt: skip


def _name(code: str, table: LandClassTable) -> str:
    try:
        return f"{code}{table.name(code)}"
    except KeyError:
        return code


def change_text(lead: dict, table: LandClassTable | None = None) -> str:
    """“0101水田 → 0702农村宅基地” (main codes first); coastline: “淤泥质岸线 → 人工岸线 / 消失”."""
    table = table or default_class_table()
    is_area = lead.get("area_m2") is not None and lead.get("area_m2") == lead.get("area_m2")
    order = lambda codes: [k for k, _ in sorted(dict(codes).items(), key=lambda kv: -kv[1])]  # noqa: E731
    if is_area:
        src = "、".join(_name(c, table) for c in order(lead["from_codes"]))
        dst = "、".join(_name(c, table) for c in order(lead["to_codes"]))
    else:
        src = "、".join(order(lead["from_codes"]))
        dst = "、".join(order(lead["to_codes"])) or "消失"
    return f"{src} → {dst}"


def _short_basis(text: str) -> str:
    """The laws and articles of a legal-basis text, without the wording (fits a cell)."""
    heads = [line.split("：", 1)[0] for line in str(text or "").splitlines() if line.strip()]
    return "；".join(heads)


def write_checklist(
    leads: gpd.GeoDataFrame,
    path: Path,
    district_names: dict[str, str] | None = None,
    title: str = "",
) -> Path:
    """Write ``checklist.xlsx``: title, header and one row per lead, for A4 landscape printing."""
    # here, not at the top: an evaluation that writes no checklist need not load openpyxl
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    names = district_names or {}
    table = default_class_table()
    wb = Workbook()
    ws = wb.active
    ws.title = "疑点问题清单"
    ncol = len(HEADERS)
    ws.cell(row=1, column=1, value=title or "疑点问题清单（实地核查用）").font = Font(
        size=14, bold=True
    )
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.row_dimensions[1].height = 24
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    for col, (header, width) in enumerate(HEADERS, 1):
        cell = ws.cell(row=2, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(col)].width = width
    for i, lead in enumerate(leads.drop(columns="geometry").to_dict("records"), 1):
        is_area = lead.get("area_m2") is not None and lead.get("area_m2") == lead.get("area_m2")
        code = str(lead["district_code"])
        note = "" if is_area else f"岸线长度 {lead['length_m']:.1f} 米"
        values = [
            i, lead["id"], lead["name"], SEVERITY_NAMES.get(lead["severity"], lead["severity"]),
            names.get(code, code),
            round(float(lead["area_mu"]), 2) if is_area else None,
            round(float(lead["area_ha"]), 4) if is_area else None,
            change_text(lead, table), str(lead["change_vintage"]),
            f"{float(lead['lon']):.6f}, {float(lead['lat']):.6f}",
            _short_basis(lead["legal_basis"]), None, note,
        ]  # fmt: skip
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=i + 2, column=col, value=value)
            cell.alignment = wrap
            cell.border = border
        ws.cell(row=i + 2, column=6).number_format = "0.00"
        ws.cell(row=i + 2, column=7).number_format = "0.0000"
    ws.freeze_panes = "C3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.print_options.gridLines = False
    wb.save(path)
    return path
