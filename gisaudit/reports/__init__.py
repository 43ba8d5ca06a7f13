"""The auditor's printable outputs for one tenure: scorecard.xlsx, report.html and report.pdf."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gisaudit.errors import AnalysisError
from gisaudit.reports.figures import build_figures
from gisaudit.reports.html import render_report_html, write_report_html
from gisaudit.reports.pdf import write_report_pdf
from gisaudit.reports.xlsx import write_scorecard_xlsx

if TYPE_CHECKING:
    from gisaudit.evaluation.result import TenureResult

__all__ = [
    "render_report_html",
    "write_report_html",
    "write_report_pdf",
    "write_scorecard_xlsx",
    "write_tenure_reports",
]

XLSX_NAME = "scorecard.xlsx"
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"


def write_tenure_reports(result: TenureResult, out_dir: Path) -> list[Path]:
    """Write ``scorecard.xlsx``, ``report.html`` and ``report.pdf`` for one tenure into ``out_dir``.

    Returns the paths written. Raises AnalysisError (Chinese message) when a file cannot be
    written, e.g. because it is open in another program.
    """
    out_dir = Path(out_dir)
    target = out_dir / XLSX_NAME
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [write_scorecard_xlsx(result, target)]
        figures = build_figures(result)
        try:
            target = out_dir / HTML_NAME
            paths.append(write_report_html(result, figures, target))
            target = out_dir / PDF_NAME
            paths.append(write_report_pdf(result, figures, target))
        finally:
            for fig in figures:
                fig.figure.clear()
    except OSError as exc:
        raise AnalysisError(
            f"无法写出报告文件 {target}：{exc.strerror or exc}。"
            "请检查输出目录是否存在且可写，"
            "并关闭正在打开该文件的程序（如 Excel、PDF 阅读器）后重试。"
        ) from exc
    return paths
