"""A small evaluated sample for the web tests: the real pipeline from package to database.

Builds the 10-district sample package (small), evaluates every tenure, finds the leads, writes
every output a tenure has (scorecard.json, transitions.csv, leads files and chips, scorecard.xlsx
and report.html, map layers) and saves the evaluation into a fresh SQLite database.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from api.pipeline import write_changes
from gisaudit.evaluation import EvaluationCache, evaluate_tenure, validate_scorecard
from gisaudit.evaluation.outputs import resolve_system, write_scorecard_json, write_transitions_csv
from gisaudit.layers.package import load_package
from gisaudit.leads import find_leads, write_leads
from gisaudit.reports.figures import build_figures
from gisaudit.reports.html import write_report_html
from gisaudit.reports.xlsx import write_scorecard_xlsx
from gisaudit.sample import build_sample_package
from gisaudit.storage import make_engine, session_scope, upgrade_database
from gisaudit.storage.repository import create_user, save_evaluation
from web.layers import write_map_layers

PATCHES = 6000


def _load(root: Path):
    return load_package(root)


def build_evaluated_database(
    work: Path, *, reports_for: tuple[str, ...] = (), one_per_district: bool = True
) -> tuple[str, Path]:
    """Evaluate a small sample into ``work``; return (database URL, data folder).

    Outputs go where the API's evaluation jobs put them (``<data>/evaluations/<id>/out/``).
    Printable reports (slow) only for the tenures in ``reports_for``; with
    ``one_per_district``, only the first tenure of each district is evaluated.
    """
    root = build_sample_package(work / "package", patches=PATCHES, pixel_m=60.0)
    return evaluate_into_database(root, work, reports_for=reports_for,
                                  one_per_district=one_per_district)  # fmt: skip


def evaluate_into_database(
    root: Path, work: Path, *, reports_for: tuple[str, ...] = (), one_per_district: bool = False
) -> tuple[str, Path]:
    """Evaluate the package at ``root`` through the real pipeline into a database in ``work``."""
    package = _load(root)
    system, cache = resolve_system(package, None), EvaluationCache()
    out = work / "results"
    results = []
    tenures = package.tenures
    if one_per_district:
        tenures = tenures.drop_duplicates("district_code")
    for tid in tenures["id"].astype(str):
        result = evaluate_tenure(package, tid, system, cache=cache)
        leads = find_leads(result.changes, package, tenure_id=tid,
                           district_code=result.district_code, start=result.start_vintage,
                           end=result.end_vintage)  # fmt: skip
        result = dataclasses.replace(result, leads=leads)
        validate_scorecard(result.scorecard)
        folder = out / tid
        folder.mkdir(parents=True)
        write_scorecard_json(result, folder)
        write_transitions_csv(result, folder)
        write_leads(leads, folder, package.crs, package=package, pdf=False, chip_px=160)
        write_map_layers(result, folder, package)
        write_changes(result, folder)  # changes.parquet: served as vector tiles
        if tid in reports_for:
            write_scorecard_xlsx(result, folder / "scorecard.xlsx")
            write_report_html(result, build_figures(result), folder / "report.html")
        results.append(result)
    data_dir = work / "data"
    url = f"sqlite:///{data_dir / 'gisaudit.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        eid = save_evaluation(engine, package.name, {}, system.id, system.version, results)
    finally:
        engine.dispose()
    target = data_dir / "evaluations" / eid / "out"
    target.parent.mkdir(parents=True)
    out.rename(target)
    return url, data_dir


def add_user(url: str, name: str, password: str, role: str, districts: list[str]) -> None:
    """Create one user in the database at ``url``."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            create_user(session, name, password, role, districts)
    finally:
        engine.dispose()
