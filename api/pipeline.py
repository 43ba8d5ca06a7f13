"""One evaluation run for the API: evaluate, find leads, write every output of each tenure.

Per tenure, under ``out_dir/<tenure id>/``: scorecard.json, transitions.csv, account.csv (asset
account), changes.parquet (change polygons, for tiles), leads.geojson / leads.gpkg /
checklist.xlsx and lead sheets with evidence chips (``leads/``), and — with ``reports`` —
scorecard.xlsx, report.html and report.pdf. ``summary.csv`` is beside the tenure folders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd

from gisaudit.evaluation import DEFAULT_WRITERS, TenureResult, evaluate_package
from gisaudit.geodesy import to_ha
from gisaudit.layers.model import AuditPackage
from gisaudit.leads import find_leads, write_leads
from gisaudit.progress import ProgressFn
from gisaudit.reports import write_tenure_reports

ACCOUNT_CSV = "account.csv"
CHANGES_FILE = "changes.parquet"


@dataclass(frozen=True)
class RunOptions:
    """What to write besides the machine outputs (the slow, printable parts)."""

    reports: bool = True  # scorecard.xlsx, report.html, report.pdf
    lead_sheets: bool = True  # one HTML/PDF sheet per lead, with evidence chips


def _engine_leads(result: TenureResult) -> bool:
    """Whether the evaluation already carries the leads engine's output."""
    return result.leads is not None and "rule" in result.leads.columns


def _count_leads(result: TenureResult, leads: gpd.GeoDataFrame) -> None:
    """Fill the scorecard's ``leads`` section from the leads found."""
    by_rule = leads["rule"].value_counts().sort_index() if len(leads) else {}
    area = float(leads["area_m2"].fillna(0).sum()) if len(leads) else 0.0
    result.scorecard["leads"] = {
        "count": len(leads),
        "by_rule": {str(k): int(v) for k, v in dict(by_rule).items()},
        "area_ha": round(float(to_ha(area)), 6),
    }


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
    found: dict[str, gpd.GeoDataFrame] = {}

    def leads_of(result: TenureResult) -> TenureResult:
        return replace(result, leads=found[result.tenure_id])

    def write_lead_files(result: TenureResult, folder: Path) -> None:
        if _engine_leads(result):
            leads = result.leads
        else:
            leads = find_leads(
                result.changes,
                package,
                tenure_id=result.tenure_id,
                district_code=result.district_code,
                start=result.start_vintage,
                end=result.end_vintage,
            )
            _count_leads(result, leads)
        assert leads is not None
        found[result.tenure_id] = leads
        write_leads(
            leads,
            folder,
            package=package,
            start=result.start_vintage,
            end=result.end_vintage,
            sheets=options.lead_sheets,
            pdf=options.lead_sheets,
        )

    def write_account(result: TenureResult, folder: Path) -> None:
        result.account.to_csv(folder / ACCOUNT_CSV, index=False, encoding="utf-8")

    def write_changes(result: TenureResult, folder: Path) -> None:
        changes = result.changes.copy()
        if "change_vintage" in changes:
            changes["change_vintage"] = changes["change_vintage"].astype(str)
        changes.to_parquet(folder / CHANGES_FILE)

    def write_reports(result: TenureResult, folder: Path) -> None:
        write_tenure_reports(leads_of(result), folder)

    writers = [write_lead_files, *DEFAULT_WRITERS, write_account, write_changes]
    if options.reports:
        writers.append(write_reports)
    results = evaluate_package(
        package,
        out_dir,
        tenure_ids=tenure_ids,
        indicators=indicators,
        progress=progress,
        writers=writers,
    )
    return [leads_of(r) for r in results]
