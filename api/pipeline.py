"""One evaluation run for the API: every output of each tenure plus what the server needs.

Per tenure, under ``out_dir/<tenure id>/``: the spec section 9 outputs written by
``gisaudit.evaluation.standard_writers`` (scorecard.json, transitions.csv, leads files with
sheets and chips, and — with ``reports`` — scorecard.xlsx, report.html, report.pdf), plus
account.csv (asset account), changes.parquet (change polygons, for tiles) and the web map's
GeoJSON layers. ``summary.csv`` is beside the tenure folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gisaudit.evaluation import TenureResult, evaluate_package
from gisaudit.evaluation.outputs import standard_writers
from gisaudit.layers.model import AuditPackage
from gisaudit.progress import ProgressFn
from web.layers import map_layer_writer

ACCOUNT_CSV = "account.csv"
CHANGES_FILE = "changes.parquet"


@dataclass(frozen=True)
class RunOptions:
    """What to write besides the machine outputs (the slow, printable parts)."""

    reports: bool = True  # scorecard.xlsx, report.html, report.pdf
    lead_sheets: bool = True  # one HTML sheet per lead, with evidence chips


def write_account(result: TenureResult, folder: Path) -> None:
    """``account.csv``: the SEEA-style asset account per theme (ha)."""
    result.account.to_csv(folder / ACCOUNT_CSV, index=False, encoding="utf-8")


def write_changes(result: TenureResult, folder: Path) -> None:
    """``changes.parquet``: the change polygons (package CRS), served as tiles."""
    changes = result.changes.copy()
    if "change_vintage" in changes:
        changes["change_vintage"] = changes["change_vintage"].astype(str)
    changes.to_parquet(folder / CHANGES_FILE)


def run_evaluation(
    package: AuditPackage,
    out_dir: Path,
    *,
    tenure_ids: list[str] | None,
    indicators: Path | None,
    options: RunOptions,
    progress: ProgressFn | None = None,
) -> list[TenureResult]:
    """Evaluate the tenures (None: all) and write their outputs; results carry their leads."""
    writers = [
        *standard_writers(
            package, reports=options.reports, lead_sheets=options.lead_sheets, lead_pdf=False
        ),
        write_account,
        write_changes,
        map_layer_writer(package),
    ]
    return evaluate_package(
        package, out_dir, tenure_ids=tenure_ids, indicators=indicators, progress=progress,
        writers=writers,
    )
