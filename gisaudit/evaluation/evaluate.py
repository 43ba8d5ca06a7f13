"""Evaluating tenures: vintages, change, indicators and the scorecard of each tenure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd

from gisaudit.change.accounts import asset_account
from gisaudit.change.changeset import ChangeSet, build_changeset
from gisaudit.change.coastline import coastline_lengths_km
from gisaudit.change.raster import MatrixComparison, compare_matrices, raster_transition_matrix
from gisaudit.change.vintages import VintageSelection, select_vintages
from gisaudit.errors import InputError
from gisaudit.evaluation.result import TenureResult
from gisaudit.evaluation.scorecard import as_date, build_scorecard, iso
from gisaudit.geodesy import to_ha
from gisaudit.indicators.config import IndicatorSystem
from gisaudit.indicators.engine import evaluate_indicators
from gisaudit.indicators.formulas import IndicatorContext
from gisaudit.layers.model import AuditPackage
from gisaudit.leads import LeadRule, find_leads


@dataclass
class EvaluationCache:
    """Work shared between tenures of one package: overlays keyed by (district, start, end)
    vintage, coastline lengths keyed by (district, coastline vintage), and in ``parts`` each
    district's clipped vintages and zones (see ``build_changeset``)."""

    changesets: dict[tuple[str, date, date], ChangeSet] = field(default_factory=dict)
    parts: dict[tuple, Any] = field(default_factory=dict)
    coastlines: dict[tuple[str, date], dict[str, float]] = field(default_factory=dict)
    raster_checks: dict[tuple[str, date, date], MatrixComparison | None] = field(
        default_factory=dict
    )


def tenure_row(package: AuditPackage, tenure_id: str) -> dict[str, Any]:
    """The tenure's row as a dict (InputError when the id is unknown)."""
    rows = package.tenures[package.tenures["id"].astype(str) == str(tenure_id)]
    if rows.empty:
        known = "、".join(package.tenures["id"].astype(str).head(20))
        raise InputError(
            f"任期表中没有编号为 {tenure_id} 的任期（现有：{known}）。请检查 --tenure 参数。"
        )
    return rows.iloc[0].to_dict()


def evaluate_tenure(
    package: AuditPackage,
    tenure_id: str,
    system: IndicatorSystem,
    *,
    cache: EvaluationCache | None = None,
    rules: list[LeadRule] | None = None,
) -> TenureResult:
    """Evaluate one tenure: vintages, overlay, indicators, leads, scorecard (areas in ha).

    ``rules``: lead rules (default: the shipped set, ``gisaudit/rules/lead_rules.yaml``).
    """
    cache = cache if cache is not None else EvaluationCache()
    row = tenure_row(package, tenure_id)
    code = str(row["district_code"])
    start = as_date(row["start"])
    end_text = iso(row.get("end"))
    end = as_date(end_text) if end_text else None
    selection = select_vintages(package.vintages, start, end)

    key = (code, selection.start, selection.end)
    if key not in cache.changesets:
        cache.changesets[key] = build_changeset(package, code, selection, reuse=cache.parts)
    changes = cache.changesets[key]

    notes: list[str] = []
    coast_start, coast_end = _coastlines(package, code, changes, start, end, cache, notes)
    if changes.district_area_m2 > 0:
        cover = changes.covered_m2 / changes.district_area_m2
        if abs(cover - 1) > 1e-5:
            notes.append(
                f"两期地类图斑共同覆盖辖区面积的 {100 * cover:.4f}%（未覆盖部分不计入转移矩阵）。"
            )
    targets = package.targets[package.targets["district_code"].astype(str) == code]
    ctx = IndicatorContext(
        changes=changes,
        coast_start=coast_start,
        coast_end=coast_end,
        targets={str(r.indicator): float(r.value) for r in targets.itertuples(index=False)},
    )
    summary = evaluate_indicators(system, ctx)
    matrix = changes.transition_matrix()
    change_pieces = changes.changes()
    leads = find_leads(
        change_pieces,
        package,
        tenure_id=str(row["id"]),
        district_code=code,
        start=selection.start,
        end=selection.end,
        rules=rules,
        zones=changes.zones,
    )
    notes.extend(leads.attrs.get("notes", []))
    raster_check = _raster_check(package, changes, matrix, cache)
    if raster_check is not None:
        changed = raster_check.cells[
            raster_check.cells["from_group"] != raster_check.cells["to_group"]
        ]
        notes.append(
            "土地覆盖栅格路径核对：栅格转移矩阵与矢量结果各单元绝对差合计 "
            f"{raster_check.total_abs_diff_ha:.2f} 公顷"
            f"（占辖区 {raster_check.total_abs_diff_pct:.3f}%），"
            f"其中变化部分 {changed['diff_ha'].abs().sum():.2f} 公顷；评分以矢量结果为准。"
        )
    district_row = package.districts[package.districts["district_code"] == code]
    coast_km = None
    if coast_start is not None or coast_end is not None:
        blank = dict.fromkeys(("natural", "artificial", "estuary"), 0.0)
        if sum((coast_start or blank).values()) + sum((coast_end or blank).values()) > 0:
            coast_km = {"start": coast_start or blank, "end": coast_end or blank}
    card = build_scorecard(
        system=system,
        tenure={
            "id": str(row["id"]),
            "district_code": code,
            "official": str(row.get("official", "")),
            "position": str(row.get("position", "")),
            "start": start.isoformat(),
            "end": end.isoformat() if end else None,
        },
        district={
            "code": code,
            "name": district_name(package, code),
            "area_ha": float(to_ha(changes.district_area_m2)),
        },
        selection=selection,
        notes=notes,
        summary=summary,
        areas_start=changes.theme_areas_ha("from"),
        areas_end=changes.theme_areas_ha("to"),
        matrix=matrix,
        coastline_km=coast_km,
    )
    card["leads"] = lead_summary(leads)
    return TenureResult(
        tenure_id=str(row["id"]),
        district_code=code,
        start_vintage=selection.start,
        end_vintage=selection.end,
        scorecard=card,
        transitions=matrix,
        account=asset_account(changes),
        changes=change_pieces,
        district=gpd.GeoDataFrame(district_row.reset_index(drop=True), crs=package.crs),
        start_landuse=changes.start_district.landuse,
        end_landuse=changes.end_district.landuse,
        leads=leads,
        extras={
            "changeset": changes,
            "selection": selection,
            "indicator_system": system,
            "raster_comparison": raster_check,
        },
    )


def lead_summary(leads: gpd.GeoDataFrame) -> dict[str, Any]:
    """The scorecard's ``leads`` entry: count, count by rule, total area (ha)."""
    by_rule = {str(k): int(v) for k, v in leads["rule"].value_counts().sort_index().items()}
    area = float(leads["area_ha"].fillna(0).sum()) if len(leads) else 0.0
    return {"count": len(leads), "by_rule": by_rule, "area_ha": round(area, 4)}


def _coastlines(
    package: AuditPackage,
    code: str,
    changes: ChangeSet,
    start: date,
    end: date | None,
    cache: EvaluationCache,
    notes: list[str],
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    if not package.coastline:
        return None, None
    sel: VintageSelection = select_vintages(
        [c.vintage for c in package.coastline], start, end, what="岸线"
    )
    out = []
    for vintage in (sel.start, sel.end):
        if (code, vintage) not in cache.coastlines:
            layer = package.coastline_at(vintage)
            frame = layer.frame if layer is not None else gpd.GeoDataFrame(geometry=[])
            cache.coastlines[(code, vintage)] = coastline_lengths_km(
                frame, changes.district, changes.crs
            )
        out.append(dict(cache.coastlines[(code, vintage)]))
    if sum(out[0].values()) + sum(out[1].values()) > 0:  # notes only where there is coast
        if (sel.start, sel.end) != (changes.start, changes.end):
            notes.append(f"岸线采用 {sel.start.isoformat()} 与 {sel.end.isoformat()} 两期数据。")
        notes.extend(n for n in sel.notes if n not in notes)
    return out[0], out[1]


def _raster_check(
    package: AuditPackage, changes: ChangeSet, matrix: pd.DataFrame, cache: EvaluationCache
) -> MatrixComparison | None:
    """Raster vs vector transition matrix where land-cover rasters exist for both vintages."""
    key = (changes.district_code, changes.start, changes.end)
    if key not in cache.raster_checks:
        rasters = {r.vintage: r for r in package.landcover}
        a, b = rasters.get(changes.start), rasters.get(changes.end)
        cache.raster_checks[key] = (
            compare_matrices(
                matrix,
                raster_transition_matrix(a, b, changes.district, changes.crs, changes.table),
            )
            if a is not None and b is not None and changes.start != changes.end
            else None
        )
    return cache.raster_checks[key]


def district_name(package: AuditPackage, code: str) -> str:
    """The district's Chinese name (its code when the package has no name)."""
    rows = package.districts[package.districts["district_code"] == code]
    return str(rows["name"].iloc[0]) if "name" in rows and not rows.empty else code
