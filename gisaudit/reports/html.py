"""The self-contained printable HTML report (jinja2; images embedded, no external URLs)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import matplotlib as mpl
import numpy as np

from gisaudit.fonts import mpl_rc
from gisaudit.reports import content
from gisaudit.reports.figures import ReportFigure
from gisaudit.reports.pdf import matrix_colours
from gisaudit.reports.styles import default_style

if TYPE_CHECKING:
    from gisaudit.evaluation.result import TenureResult

PNG_DPI = 110


def figure_data_uri(fig: ReportFigure) -> str:
    """The figure as a base64 PNG ``data:`` URI."""
    buf = io.BytesIO()
    with mpl.rc_context(mpl_rc()):
        fig.figure.savefig(buf, format="png", dpi=PNG_DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gisaudit.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    return env


def _num(value: object, digits: int = 2) -> str:
    if value is None or isinstance(value, str):
        return value or "—"
    if isinstance(value, float) and np.isnan(value):
        return "—"
    if isinstance(value, (int, np.integer)):
        return f"{value:,d}"
    number = float(value)
    if abs(number) < 0.5 * 10**-digits:
        number = 0.0  # no "-0.00"
    return f"{number:,.{digits}f}"


def render_report_html(result: TenureResult, figures: Sequence[ReportFigure]) -> str:
    """Render the report as one HTML document (all images inline)."""
    header = content.build_header(result)
    matrix = content.transition_matrix(result.transitions)
    colours = matrix_colours(matrix)
    matrix_rows = [
        {
            "label": content.group_label(str(g)),
            "total": g == content.TOTAL,
            "cells": [
                {
                    "value": float(v),
                    "colour": colours[(i, j)],
                    "total": matrix.columns[j] == content.TOTAL,
                }
                for j, v in enumerate(row.to_numpy())
            ],
        }
        for i, (g, row) in enumerate(matrix.iterrows())
    ]
    coast = result.scorecard.get("coastline_km") or {}
    coast_labels = default_style().coastline_labels
    coastline = [
        {
            "type": coast_labels.get(k, k),
            "start": coast.get("start", {}).get(k),
            "end": coast.get("end", {}).get(k),
        }
        for k in sorted(set(coast.get("start", {})) | set(coast.get("end", {})))
    ]
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            h=header,
            grade_colour=default_style().grade_colours.get(header.grade, "#333333"),
            indicators=content.indicator_table(result.scorecard).to_dict("records"),
            indicator_columns=content.INDICATOR_COLUMNS,
            numeric=set(content.NUMERIC_INDICATOR_COLUMNS),
            start_end_note=content.START_END_NOTE,
            matrix_labels=[content.group_label(g) for g in matrix.columns],
            matrix_rows=matrix_rows,
            account=content.account_table(result.account),
            leads=content.leads_summary(result),
            coastline=coastline,
            notes=content.sources_notes(result),
            figures=[
                {"key": f.key, "caption": f.caption, "src": figure_data_uri(f)} for f in figures
            ],
        )
    )


def write_report_html(result: TenureResult, figures: Sequence[ReportFigure], path: Path) -> Path:
    """Write ``report.html`` (UTF-8) to ``path``."""
    path.write_text(render_report_html(result, figures), encoding="utf-8")
    return path
