"""Writing leads: leads.geojson, leads.gpkg (styled), checklist.xlsx, lead sheets and chips.

Layout under ``out_dir``::

    leads.geojson            RFC 7946, lon/lat (EPSG:4326), from_codes/to_codes as objects
    leads.gpkg               layer "leads" in the package CRS, codes as JSON text, QGIS style
    checklist.xlsx           疑点问题清单 for the field team
    leads/<id>.html|.pdf     one-page lead sheets
    leads/<id>_before.png    chips (only when the package has imagery)
    leads/<id>_after.png
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS

from gisaudit.layers.model import AuditPackage
from gisaudit.leads.checklist import write_checklist
from gisaudit.leads.evidence import ChipRenderer, make_chips
from gisaudit.leads.frame import LEAD_COLUMNS, as_date
from gisaudit.leads.knowledge import KnowledgeBase, default_knowledge_base
from gisaudit.leads.rules import LeadRule, load_lead_rules
from gisaudit.leads.sheet import SheetContent, render_html, render_pdf, sheet_content
from gisaudit.leads.style import store_qgis_style
from gisaudit.progress import ProgressFn

LAYER = "leads"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def leads_to_geojson(leads: gpd.GeoDataFrame, crs: CRS | str | None = None) -> dict[str, Any]:
    """RFC 7946 FeatureCollection of the leads: EPSG:4326 lon/lat, counter-clockwise shells."""
    crs = leads.crs or crs
    geoms = gpd.GeoSeries(leads.geometry.to_numpy(), crs=crs).to_crs(4326).to_numpy()
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, 7)) if len(geoms) else geoms
    if len(geoms):
        geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    features = []
    for row, geom in zip(leads[LEAD_COLUMNS].to_dict("records"), geoms, strict=True):
        props = {k: _clean(row[k]) for k in LEAD_COLUMNS}
        props["from_codes"] = {str(k): float(v) for k, v in dict(row["from_codes"]).items()}
        props["to_codes"] = {str(k): float(v) for k, v in dict(row["to_codes"]).items()}
        features.append({"type": "Feature", "id": props["id"], "properties": props,
                         "geometry": json.loads(shapely.to_geojson(geom))})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def write_geojson(leads: gpd.GeoDataFrame, path: Path, crs: CRS | str | None = None) -> Path:
    """Write ``leads.geojson`` (RFC 7946)."""
    text = json.dumps(leads_to_geojson(leads, crs), ensure_ascii=False, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return path


def write_gpkg(
    leads: gpd.GeoDataFrame, path: Path, crs: CRS | str, rules: Sequence[LeadRule]
) -> Path:
    """Write ``leads.gpkg`` (layer ``leads``, package CRS) with the QGIS style table."""
    frame = leads[[*LEAD_COLUMNS, "geometry"]].copy()
    for col in ("from_codes", "to_codes"):
        frame[col] = [json.dumps(dict(v), ensure_ascii=False, sort_keys=True) for v in frame[col]]
    for col in LEAD_COLUMNS:
        if frame[col].dtype == object and col not in ("from_codes", "to_codes"):
            frame[col] = frame[col].astype("string")
    types = set(shapely.get_type_id(frame.geometry.to_numpy()).tolist())
    if types <= {3, 6}:
        gtype = "MultiPolygon"
    elif types <= {1, 5}:
        gtype = "MultiLineString"
    else:
        gtype = "Unknown"
    geoms = frame.geometry.to_numpy()
    if gtype == "MultiPolygon" and len(geoms):
        geoms = np.array(
            [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geoms],
            dtype=object,
        )
    elif gtype == "MultiLineString" and len(geoms):
        geoms = np.array(
            [shapely.MultiLineString([g]) if g.geom_type == "LineString" else g for g in geoms],
            dtype=object,
        )
    frame = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(geoms) if len(geoms) else
                             gpd.GeoSeries([], crs=crs), crs=crs)  # fmt: skip
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(frame, path, layer=LAYER, driver="GPKG", geometry_type=gtype)
    geom_col = pyogrio.read_info(path, layer=LAYER).get("geometry_name") or "geom"
    store_qgis_style(path, LAYER, geom_col, rules)
    return path


def write_leads(
    leads: gpd.GeoDataFrame,
    out_dir: str | Path,
    crs: CRS | str | None = None,
    *,
    package: AuditPackage | None = None,
    rules: Sequence[LeadRule] | None = None,
    knowledge: KnowledgeBase | None = None,
    start: date | None = None,
    end: date | None = None,
    sheets: bool = True,
    pdf: bool = True,
    chip_px: int = 320,
    progress: ProgressFn | None = None,
) -> dict[str, Path]:
    """Write every lead output under ``out_dir``; returns the written paths by name.

    ``package`` supplies imagery (chips) and district names; ``start`` / ``end`` are the
    tenure's vintage dates (default: ``leads.attrs``). Without imagery the sheets say so.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    crs = CRS.from_user_input(crs or leads.crs)
    if leads.crs is None:
        leads = leads.set_crs(crs)
    elif not CRS.from_user_input(leads.crs).equals(crs):
        leads = leads.to_crs(crs)
    rules = list(rules or load_lead_rules())
    knowledge = knowledge or default_knowledge_base()
    names: dict[str, str] = {}
    if package is not None and len(package.districts):
        names = dict(zip(package.districts["district_code"].astype(str),
                         package.districts["name"].astype(str), strict=True))  # fmt: skip
    paths = {
        "geojson": write_geojson(leads, out / "leads.geojson", crs),
        "gpkg": write_gpkg(leads, out / "leads.gpkg", crs, rules),
        "checklist": write_checklist(leads, out / "checklist.xlsx", names),
    }
    if sheets and len(leads):
        paths["sheets"] = write_sheets(
            leads, out / "leads", package=package, rules=rules, knowledge=knowledge,
            district_names=names, start=start or as_date(leads.attrs.get("start_vintage")),
            end=end or as_date(leads.attrs.get("end_vintage")), pdf=pdf, chip_px=chip_px,
            progress=progress,
        )  # fmt: skip
    return paths


def write_sheets(
    leads: gpd.GeoDataFrame,
    folder: Path,
    *,
    package: AuditPackage | None,
    rules: Sequence[LeadRule],
    knowledge: KnowledgeBase,
    district_names: dict[str, str],
    start: date | None,
    end: date | None,
    pdf: bool = True,
    chip_px: int = 320,
    progress: ProgressFn | None = None,
) -> Path:
    """Write chips and the HTML (and PDF) sheet of every lead into ``folder``."""
    from gisaudit.leads.fonts import pdf_font

    folder.mkdir(parents=True, exist_ok=True)
    imagery = list(package.imagery) if package is not None else []
    keys = {r.id: r.knowledge_key for r in rules}
    records = leads.to_dict("records")
    total = len(records) * (2 if pdf else 1)
    contents: list[SheetContent] = []
    with ChipRenderer(leads.crs, size_px=chip_px) as renderer:
        for i, lead in enumerate(records):
            chips = []
            if imagery and start is not None and end is not None:
                chips = make_chips(
                    renderer, imagery, lead["geometry"], start, end, folder, lead["id"]
                )
            content = sheet_content(
                lead, knowledge=knowledge, knowledge_key=keys.get(lead["rule"]),
                district_name=district_names.get(str(lead["district_code"]), ""), chips=chips,
                start=start.isoformat() if start else "", end=end.isoformat() if end else "",
                has_imagery=bool(imagery),
            )  # fmt: skip
            (folder / f"{lead['id']}.html").write_text(render_html(content), encoding="utf-8")
            contents.append(content)
            if progress:
                progress("生成疑点核查单", i + 1, total)
    if pdf:
        font = pdf_font(
            "".join(c.all_text() for c in contents),
            _recurring_text(knowledge, rules, district_names),
        )
        for i, content in enumerate(contents):
            render_pdf(content, folder / f"{content.lead_id}.pdf", font)
            if progress:
                progress("生成疑点核查单 PDF", len(contents) + i + 1, total)
    return folder


def _recurring_text(
    knowledge: KnowledgeBase, rules: Sequence[LeadRule], names: dict[str, str]
) -> str:
    """Text that recurs across lead sheets: knowledge base, rule, class and district names."""
    from gisaudit.layers.classes import default_class_table

    parts = (
        [r.name for r in rules] + list(names.values()) + list(default_class_table().names.values())
    )
    for key, entry in knowledge.entries.items():
        parts += [key, entry.title, *entry.audit_steps, *(b.render() for b in entry.legal_basis)]
    return "".join(parts)
