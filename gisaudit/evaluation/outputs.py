"""Evaluating a whole package and writing its outputs atomically.

Per tenure, ``writers`` write into ``<out>/<tenure id>/``. ``DEFAULT_WRITERS`` write
``scorecard.json`` and ``transitions.csv``; ``standard_writers(package)`` (used when no
writers are given) adds the workbook and printable report (``gisaudit.reports``) and the
leads files (``gisaudit.leads``: leads.geojson, leads.gpkg, checklist.xlsx, lead sheets and
image chips).
Everything is written into a temporary folder beside ``out_dir`` and moved into place only
when every tenure succeeded, so a failure writes nothing.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from gisaudit.errors import InputError
from gisaudit.evaluation.evaluate import district_name
from gisaudit.evaluation.parallel import evaluate_tenures
from gisaudit.evaluation.result import TenureResult
from gisaudit.evaluation.scorecard import validate_scorecard
from gisaudit.indicators.config import IndicatorSystem, load_indicator_system
from gisaudit.layers.model import AuditPackage
from gisaudit.leads import load_lead_rules
from gisaudit.progress import ProgressFn, no_progress

TenureWriter = Callable[[TenureResult, Path], None]
SUMMARY_COLUMNS = [
    "tenure_id",
    "district_code",
    "district_name",
    "official",
    "position",
    "start_vintage",
    "end_vintage",
    "total_score",
    "grade",
    "vetoes",
]
_BAD_ID = re.compile(r'[\\/:*?"<>|\x00-\x1f]|^\.{1,2}$|^$')


def write_scorecard_json(result: TenureResult, folder: Path) -> None:
    """``scorecard.json`` (UTF-8, Chinese kept as is)."""
    text = json.dumps(result.scorecard, ensure_ascii=False, indent=2)
    (folder / "scorecard.json").write_text(text + "\n", encoding="utf-8")


def write_transitions_csv(result: TenureResult, folder: Path) -> None:
    """``transitions.csv``: from_group, to_group, area_ha."""
    cols = ["from_group", "to_group", "area_ha"]
    result.transitions[cols].to_csv(folder / "transitions.csv", index=False, encoding="utf-8")


DEFAULT_WRITERS: tuple[TenureWriter, ...] = (write_scorecard_json, write_transitions_csv)


def standard_writers(
    package: AuditPackage,
    *,
    reports: bool = True,
    lead_sheets: bool = True,
    lead_pdf: bool = False,
) -> tuple[TenureWriter, ...]:
    """Every output of spec section 9 for one tenure.

    ``reports``: scorecard.xlsx, report.html, report.pdf; ``lead_sheets``: one HTML sheet per
    lead with before/after image chips (``lead_pdf``: also a PDF sheet, about 0.5 s each).
    leads.geojson, leads.gpkg and checklist.xlsx are always written.
    """
    # imported here: gisaudit.reports imports TenureResult from this package
    from gisaudit.leads import write_leads
    from gisaudit.reports import write_tenure_reports

    def write_reports(result: TenureResult, folder: Path) -> None:
        write_tenure_reports(result, folder)

    def write_lead_files(result: TenureResult, folder: Path) -> None:
        write_leads(
            result.leads, folder, package.crs, package=package, start=result.start_vintage,
            end=result.end_vintage, sheets=lead_sheets, pdf=lead_sheets and lead_pdf,
        )

    return (*DEFAULT_WRITERS, write_lead_files, *((write_reports,) if reports else ()))


def resolve_system(package: AuditPackage, indicators: Path | None) -> IndicatorSystem:
    """The indicator system: ``indicators`` if given, else the package's (default or a path)."""
    if indicators is not None:
        return load_indicator_system(indicators)
    chosen = package.indicator_system or "default"
    if chosen in ("default", "tianjin-2025"):
        return load_indicator_system(None)
    path = Path(chosen)
    return load_indicator_system(path if path.is_absolute() else package.root / path)


def evaluate_package(
    package: AuditPackage,
    out_dir: Path,
    tenure_ids: list[str] | None = None,
    indicators: Path | None = None,
    progress: ProgressFn | None = None,
    writers: Sequence[TenureWriter] | None = None,
    rules: Path | None = None,
    lead_pdf: bool = False,
    threads: int | None = None,
    processes: int | None = None,
) -> list[TenureResult]:
    """Evaluate tenures (default: all) and write their outputs and ``summary.csv``.

    Overlays are shared between tenures with the same district and vintages. ``rules``: an
    auditor's lead-rule YAML added to the shipped rules; ``lead_pdf``: also write PDF lead
    sheets (about 0.5 s each; HTML sheets are always written). ``threads``: districts
    evaluated at once (``gisaudit.evaluation.parallel``; default: the CPU count);
    ``processes``: on that many forked worker processes instead. Outputs are written in this
    thread, in tenure order; then each result lets go of its decoded land use and of its
    change set (``extras["changeset"]``), so a run over many tenures holds only what it
    returns. Raises
    InputError / ConfigError (Chinese messages) for unknown tenures or a bad indicator file.
    """
    progress = progress or no_progress
    writers = standard_writers(package, lead_pdf=lead_pdf) if writers is None else tuple(writers)
    system = resolve_system(package, indicators)
    lead_rules = load_lead_rules(rules) if rules is not None else None
    ids = [str(t) for t in (tenure_ids or package.tenures["id"].astype(str).tolist())]
    bad = [t for t in ids if _BAD_ID.search(t)]
    if bad:
        raise InputError(
            f"任期编号不能用作文件夹名：{'、'.join(bad)}。请修改 tenures.csv 中的 id。"
        )
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    results: list[TenureResult] = []
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        progress(f"评价任期 {ids[0]}" if ids else "评价任期", 0, len(ids))
        evaluated = evaluate_tenures(
            package, ids, system, rules=lead_rules, threads=threads, processes=processes
        )
        for i, (tid, result) in enumerate(zip(ids, evaluated, strict=True)):
            progress(f"写出任期 {tid} 的结果", i, len(ids))
            validate_scorecard(result.scorecard)
            folder = tmp / tid
            folder.mkdir()
            for write in writers:
                write(result, folder)
            # the outputs are written: free the decoded patches and the district's overlay
            result.forget_decoded()
            result.extras.pop("changeset", None)
            results.append(result)
        _write_summary(package, results, tmp / "summary.csv")
        progress("写出结果", len(ids), len(ids))
        _move_into_place(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def _write_summary(package: AuditPackage, results: list[TenureResult], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(SUMMARY_COLUMNS)
        for r in results:
            card = r.scorecard
            out.writerow(
                [
                    r.tenure_id,
                    r.district_code,
                    district_name(package, r.district_code),
                    card["tenure"]["official"],
                    card["tenure"]["position"],
                    r.start_vintage.isoformat(),
                    r.end_vintage.isoformat(),
                    f"{card['total_score']:.2f}",
                    card["grade"],
                    ";".join(card["vetoes"]),
                ]
            )


def _move_into_place(tmp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    for item in sorted(tmp.iterdir()):
        target = out_dir / item.name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        item.rename(target)
