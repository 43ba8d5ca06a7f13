"""The PDF report: cover, scorecard, matrix and account tables, and the report figures."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from gisaudit.fonts import mpl_rc
from gisaudit.reports import content
from gisaudit.reports.content import TOTAL, ReportHeader
from gisaudit.reports.figures import A4_LANDSCAPE, ReportFigure
from gisaudit.reports.styles import default_style

if TYPE_CHECKING:
    from gisaudit.evaluation.result import TenureResult


def write_report_pdf(result: TenureResult, figures: Sequence[ReportFigure], path: Path) -> Path:
    """Write the printable PDF report (A4 landscape, embedded CJK font) to ``path``."""
    header = content.build_header(result)
    with mpl.rc_context(mpl_rc()), PdfPages(path) as pdf:
        info = pdf.infodict()
        info["Title"] = header.title
        info["Subject"] = f"{header.official} {header.tenure_text}"
        info["Creator"] = "gisaudit"
        pages = [_cover(header), _scorecard_page(result, header), _matrix_page(result, header)]
        pages += [f.figure for f in figures]
        pages.append(_account_page(result, header))
        for number, page in enumerate(pages, start=1):
            footer = page.text(
                0.5, 0.012, f"第 {number} 页，共 {len(pages)} 页", ha="center", fontsize=8,
                color="#777777",
            )  # fmt: skip
            pdf.savefig(page)
            footer.remove()  # the figures are shared with the HTML report
    return path


# -- pages -----------------------------------------------------------------------------------
def _page(title: str, header: ReportHeader) -> Figure:
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.suptitle(title, fontsize=15, y=0.965)
    fig.text(0.5, 0.92, header.subtitle, ha="center", fontsize=9, color="#444444")
    return fig


def _cover(h: ReportHeader) -> Figure:
    fig = Figure(figsize=A4_LANDSCAPE)
    colour = default_style().grade_colours.get(h.grade, "#333333")
    fig.text(0.5, 0.86, h.title, ha="center", fontsize=22)
    fig.text(
        0.5, 0.80, "（自然资源资产离任审计 评价结果）", ha="center", fontsize=12, color="#555555"
    )
    ax = fig.add_axes((0.36, 0.47, 0.28, 0.26))
    ax.set_axis_off()
    ax.add_patch(
        FancyBboxPatch(
            (0.02, 0.02),
            0.96,
            0.96,
            boxstyle="round,pad=0.0,rounding_size=0.08",
            facecolor=colour,
            edgecolor="none",
            transform=ax.transAxes,
        )
    )
    ax.text(
        0.5,
        0.64,
        f"评价等级：{h.grade}",
        ha="center",
        va="center",
        fontsize=26,
        color="white",
        transform=ax.transAxes,
    )
    ax.text(
        0.5,
        0.28,
        f"总分 {h.total_score:.2f}",
        ha="center",
        va="center",
        fontsize=20,
        color="white",
        transform=ax.transAxes,
    )
    lines = [
        ("被审计领导干部", f"{h.official}（{h.position}）"),
        (
            "区划",
            f"{h.district_name}（{h.district_code}），辖区面积 {h.district_area_ha:,.2f} 公顷",
        ),
        ("任期", f"{h.tenure_text}（任期编号 {h.tenure_id}）"),
        ("数据期次", f"期初 {h.vintage_start}，期末 {h.vintage_end}"),
        ("指标体系", h.system_text),
        ("一票否决项", h.vetoes_text),
        ("疑点数量", f"{h.leads_count} 个"),
    ]
    y = 0.39
    for label, value in lines:
        fig.text(0.30, y, f"{label}：", ha="right", fontsize=12)
        fig.text(
            0.30,
            y,
            value,
            ha="left",
            fontsize=12,
            color="#c2261d" if label == "一票否决项" and h.vetoes else "black",
        )
        y -= 0.045
    for note in h.vintage_notes:
        fig.text(0.5, y - 0.01, f"注：{note}", ha="center", fontsize=9, color="#555555")
        y -= 0.03
    return fig


def _scorecard_page(result: TenureResult, h: ReportHeader) -> Figure:
    fig = _page("评分表", h)
    table = content.indicator_table(result.scorecard)
    rows = [
        [_fmt(v, col) for col, v in zip(table.columns, row, strict=True)]
        for row in table.itertuples(index=False)
    ]
    widths = [0.15, 0.07, 0.045, 0.07, 0.07, 0.07, 0.06, 0.055, 0.05, 0.05, 0.05, 0.21]
    wraps = {0: 13, 11: 19}
    ax = fig.add_axes((0.02, 0.16, 0.96, 0.74))
    tbl_rows = _draw_table(ax, list(table.columns), rows, widths, wraps=wraps, fontsize=7.5)
    for i, row in enumerate(table.itertuples(index=False), start=1):
        if row.一票否决 == "是":
            tbl_rows[(i, 10)].get_text().set_color("#c2261d")
        if row.是否适用 == "否":
            for j in range(1, len(widths)):
                tbl_rows[(i, j)].get_text().set_color("#888888")
    colour = default_style().grade_colours.get(h.grade, "#333333")
    fig.text(0.03, 0.11, f"总分：{h.total_score:.2f}", fontsize=13)
    fig.text(0.20, 0.11, f"等级：{h.grade}", fontsize=13, color=colour)
    fig.text(
        0.34,
        0.11,
        f"一票否决项：{h.vetoes_text}",
        fontsize=12,
        color="#c2261d" if h.vetoes else "black",
    )
    fig.text(0.03, 0.065, content.START_END_NOTE, fontsize=8, color="#555555")
    return fig


def _matrix_page(result: TenureResult, h: ReportHeader) -> Figure:
    fig = _page("地类转移矩阵（公顷）", h)
    matrix = content.transition_matrix(result.transitions)
    labels = [content.group_label(g) for g in matrix.columns]
    header = ["期初＼期末", *labels]
    rows = [[content.group_label(str(g)), *[f"{v:,.2f}" for v in r]] for g, r in matrix.iterrows()]
    widths = [0.11] + [0.089] * len(labels)
    ax = fig.add_axes((0.02, 0.18, 0.96, 0.7))
    cells = _draw_table(ax, header, rows, widths, wraps={}, fontsize=8, header_wrap=5)
    colours = matrix_colours(matrix)
    for (i, j), colour in colours.items():
        cells[(i + 1, j + 1)].set_facecolor(colour)
    fig.text(
        0.03,
        0.12,
        "行：期初地类；列：期末地类；对角线（淡蓝）为未变化面积，其余单元格颜色越深变化面积越大。",
        fontsize=9,
    )
    fig.text(0.03, 0.09, content.UNITS_NOTE, fontsize=8, color="#555555")
    return fig


def _account_page(result: TenureResult, h: ReportHeader) -> Figure:
    fig = _page("自然资源资产实物量账户、疑点汇总与说明", h)
    account = content.account_table(result.account)
    rows = [
        [_fmt(v, c) for c, v in zip(account.columns, r, strict=True)]
        for r in account.itertuples(index=False)
    ]
    widths = [0.1] + [0.086] * (len(account.columns) - 1)
    ax = fig.add_axes((0.02, 0.56, 0.96, 0.33))
    _draw_table(ax, list(account.columns), rows, widths, wraps={}, fontsize=8, header_wrap=6)
    leads = content.leads_summary(result)
    ax2 = fig.add_axes((0.02, 0.33, 0.96, 0.2))
    if leads.empty:
        ax2.set_axis_off()
        ax2.text(0, 0.8, "疑点：本任期未生成疑点。", fontsize=10)
    else:
        lrows = [
            [_fmt(v, c) for c, v in zip(leads.columns, r, strict=True)]
            for r in leads.itertuples(index=False)
        ]
        _draw_table(
            ax2,
            list(leads.columns),
            lrows,
            [0.25, 0.2, 0.08, 0.07, 0.12, 0.12, 0.1],
            wraps={0: 20},
            fontsize=8,
        )
    notes = content.sources_notes(result)
    y = 0.29
    fig.text(0.03, y, "说明", fontsize=11)
    for i, note in enumerate(notes, start=1):
        for k, line in enumerate(_wrap(note, 95).split("\n")):
            y -= 0.026
            fig.text(0.03, y, f"{i}. {line}" if k == 0 else f"    {line}", fontsize=8)
    return fig


# -- helpers ---------------------------------------------------------------------------------
def matrix_colours(matrix: pd.DataFrame) -> dict[tuple[int, int], str]:
    """Background colour of each matrix cell (row, col) by position: diagonal, heat or totals."""
    style = default_style()
    cmap = LinearSegmentedColormap.from_list("heat", list(style.matrix_heat))
    groups = [g for g in matrix.columns if g != TOTAL]
    off = [matrix.loc[a, b] for a in groups for b in groups if a != b and matrix.loc[a, b] > 0]
    vmax = max(off) if off else 1.0
    out: dict[tuple[int, int], str] = {}
    for i, a in enumerate(matrix.index):
        for j, b in enumerate(matrix.columns):
            value = float(matrix.loc[a, b])
            if TOTAL in (a, b):
                out[(i, j)] = "#f2f2f2"
            elif a == b:
                out[(i, j)] = style.matrix_diagonal
            elif value > 0:
                out[(i, j)] = to_hex(cmap(0.15 + 0.85 * np.sqrt(value / vmax)))
            else:
                out[(i, j)] = "#ffffff"
    return out


def _fmt(value: object, column: str) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, (int, np.integer)):
        return f"{value:d}"
    value = float(value)
    return f"{value if abs(value) >= 0.005 else 0.0:,.2f}"


def _wrap(text: str, width: float) -> str:
    """Wrap text to ``width`` full-width characters (ASCII counts as half)."""
    lines, line, used = [], "", 0.0
    for ch in text:
        w = 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    lines.append(line)
    return "\n".join(lines)


def _wrap_header(text: str, width: float) -> str:
    """Break a header before its unit in brackets: '期初存量（公顷）' -> '期初存量\\n（公顷）'."""
    if "（" in text and len(text) > width:
        name, unit = text.split("（", 1)
        return f"{_wrap(name, width)}\n（{unit}"
    return _wrap(text, width)


def _draw_table(
    ax: Axes,
    header: list[str],
    rows: list[list[str]],
    widths: Sequence[float],
    wraps: dict[int, float],
    fontsize: float,
    header_wrap: float = 8,
) -> dict:
    """Draw a bordered table filling ``ax`` from the top; returns the cells by (row, col)."""
    ax.set_axis_off()
    head = [_wrap_header(t, header_wrap) for t in header]
    body = [[_wrap(t, wraps[j]) if j in wraps else t for j, t in enumerate(r)] for r in rows]
    lines = [max(t.count("\n") + 1 for t in r) for r in [head, *body]]
    unit = min(0.075, 1.0 / max(sum(lines) + 0.5 * len(lines), 1))
    table = ax.table(
        cellText=body, colLabels=head, colWidths=list(widths), loc="upper center", cellLoc="center"
    )
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize)
    cells = table.get_celld()
    for (i, _j), cell in cells.items():
        cell.set_height(unit * (lines[i] + 0.5))
        cell.set_edgecolor("#808080")
        cell.set_linewidth(0.5)
        if i == 0:
            cell.set_facecolor("#dde6f0")
    return cells
