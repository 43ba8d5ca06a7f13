"""The lead engine: evaluates any lead rule (YAML data) on one tenure's changes.

How an area rule is evaluated
-----------------------------
1. Select the change pieces whose start code matches ``from`` and end code matches ``to``
   (themes of the land-class table, or ``not <theme>``).
2. ``inside`` a zone: keep only the part of each piece inside it; ``outside``: cut the zone
   away. Approvals count only where ``approval_date`` ≤ the end vintage date.
3. Explode into single polygons, measure them (ellipsoidal m², ``gisaudit.geodesy``), and merge
   pieces that touch or lie within ``tolerance_m`` (0.01 m) into one lead; its area is the sum
   of its pieces, and ``from_codes`` / ``to_codes`` sum the pieces' areas by code.
4. Keep the leads of at least ``min_area_m2`` (the minimum applies to the merged lead).

A piece matching several rules gives one lead per rule. Missing zones (documented choice):
a rule ``inside`` a zone the package lacks gives no leads; a rule ``outside`` a missing zone
excludes nothing (every change counts as 未见批准). Both cases are reported as a note in
``leads.attrs["notes"]`` (Chinese text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.classes import LandClassTable, default_class_table
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.parts import POLYGONAL, single_parts
from gisaudit.layers.zone_store import ZoneParts, zone_parts_near
from gisaudit.leads.coastline import coastline_candidates
from gisaudit.leads.frame import build_lead_frame, merge_pieces
from gisaudit.leads.geom import clip_to_zone
from gisaudit.leads.knowledge import KnowledgeBase, default_knowledge_base
from gisaudit.leads.rules import LeadRule, load_lead_rules, parse_selector

ZONE_NAMES = {"pbf": "永久基本农田", "redline": "生态保护红线", "approvals": "建设用地批准范围"}
TOLERANCE_M = 0.01


def selector_mask(codes: pd.Series, selector: str, table: LandClassTable) -> np.ndarray:
    """Boolean mask of the codes matching a selector (``theme`` or ``not theme``)."""
    negated, theme = parse_selector(selector)
    mask = table.theme_mask(codes.astype(str), theme)
    return ~mask if negated else mask


def zone_polygons(
    package: AuditPackage, kind: str, end: date, area: shapely.Geometry | None = None
) -> np.ndarray | None:
    """The zone's single polygons meeting ``area`` (None when the package has no such zone).

    Approvals count only where ``approval_date`` ≤ ``end`` (undated approvals do not count).
    """
    if kind not in package.zones:
        return None
    return zone_parts_near(package.zones, kind, area, end)


def _area_candidates(
    rule: LeadRule,
    changes: gpd.GeoDataFrame,
    zones: dict[str, np.ndarray | ZoneParts | None],
    table: LandClassTable,
    crs: CRS,
    tolerance_m: float,
) -> list[dict[str, Any]]:
    mask = selector_mask(changes["from_code"], rule.from_ or "", table) & selector_mask(
        changes["to_code"], rule.to or "", table
    )
    chosen = changes[mask]
    geoms = chosen.geometry.to_numpy()
    index = np.arange(len(chosen))
    for zone_kind, inside in ((rule.inside, True), (rule.outside, False)):
        if zone_kind is None or zones.get(zone_kind) is None:
            continue
        geoms, sub = clip_to_zone(geoms, zones[zone_kind], inside)
        index = index[sub]
    parts, sub = single_parts(geoms, POLYGONAL)
    index = index[sub]
    if len(parts) == 0:
        return []
    sizes = ellipsoidal_area_m2(parts, crs)
    keep = sizes > 0
    parts, index, sizes = parts[keep], index[keep], sizes[keep]
    if len(parts) == 0:
        return []
    merged = merge_pieces(
        parts, sizes,
        chosen["from_code"].astype(str).to_numpy()[index],
        chosen["to_code"].astype(str).to_numpy()[index],
        chosen["change_vintage"].to_numpy()[index] if "change_vintage" in chosen
        else [None] * len(index),
        tolerance_m,
    )  # fmt: skip
    return [c for c in merged if c["size"] >= rule.minimum]


def find_leads(
    changes: gpd.GeoDataFrame,
    package: AuditPackage,
    *,
    tenure_id: str,
    district_code: str,
    start: date,
    end: date,
    rules: Sequence[LeadRule] | None = None,
    knowledge: KnowledgeBase | None = None,
    table: LandClassTable | None = None,
    tolerance_m: float = TOLERANCE_M,
    zones: Mapping[str, np.ndarray | ZoneParts] | None = None,
) -> gpd.GeoDataFrame:
    """Leads (疑点) of one tenure: one row per merged lead and rule, spec §8 columns.

    ``changes``: change pieces (``from_code``, ``to_code``, ``change_vintage``, geometry in the
    package CRS), e.g. ``TenureResult.changes``. ``start`` / ``end``: the tenure's start and
    end vintage dates. Areas in m² (ellipsoidal), lengths in m (geodesic). Notes about
    missing zones or coastline are in ``attrs["notes"]``; ``attrs["start_vintage"]`` and
    ``attrs["end_vintage"]`` keep the vintages for evidence chips. ``zones``: zone kind ->
    zone polygons already selected by the caller (``ChangeSet.zones``: ``ZoneParts`` of the
    district, approvals dated ≤ ``end``); default: selected here from the package.
    """
    rules = list(load_lead_rules() if rules is None else rules)
    knowledge = knowledge or default_knowledge_base()
    table = table or default_class_table()
    crs = CRS.from_user_input(package.crs)
    if changes.crs is not None and not CRS.from_user_input(changes.crs).equals(crs):
        changes = changes.to_crs(crs)
    district = _district_geometry(package, district_code)
    area = _bounds_box(changes, district)
    notes: list[str] = []
    known = zones
    zones: dict[str, np.ndarray | ZoneParts | None] = {}
    for kind in {z for r in rules for z in (r.inside, r.outside) if z}:
        # the caller's zones (the change set's) save selecting the polygons a second time
        zones[kind] = (
            known.get(kind) if known is not None else zone_polygons(package, kind, end, area)
        )
    candidates: list[tuple[LeadRule, dict[str, Any]]] = []
    for rule in rules:
        missing_inside = rule.inside is not None and zones.get(rule.inside) is None
        if missing_inside:
            notes.append(f"数据包缺少{ZONE_NAMES.get(rule.inside, rule.inside)}图层，"
                         f"规则“{rule.name}”未运行（无法判断是否位于该区域内）。")  # fmt: skip
            continue
        if rule.outside is not None and zones.get(rule.outside) is None:
            zone_name = ZONE_NAMES.get(rule.outside, rule.outside)
            notes.append(f"数据包缺少{zone_name}图层，规则“{rule.name}”未扣除该区域，"
                         "所有符合条件的变化均列为疑点。")  # fmt: skip
        if rule.kind == "area":
            found = (
                _area_candidates(rule, changes, zones, table, crs, tolerance_m)
                if len(changes)
                else []
            )
        else:
            found = coastline_candidates(
                rule, package, district, start, end, zones, notes, tolerance_m
            )
        candidates += [(rule, c) for c in found]
    leads = build_lead_frame(
        candidates,
        district_code=district_code,
        tenure_id=tenure_id,
        crs=crs,
        legal_basis={r.id: knowledge.legal_basis_text(r.knowledge_key) for r in rules},
        default_vintage=end,
        rule_order=[r.id for r in rules],
    )
    leads.attrs.update(notes=notes, start_vintage=start.isoformat(), end_vintage=end.isoformat())
    return leads


def _district_geometry(package: AuditPackage, district_code: str) -> shapely.Geometry | None:
    frame = package.districts
    if frame is None or len(frame) == 0 or "district_code" not in frame.columns:
        return None
    row = frame[frame["district_code"].astype(str) == str(district_code)]
    return None if row.empty else row.geometry.iloc[0]


def _bounds_box(
    changes: gpd.GeoDataFrame, district: shapely.Geometry | None
) -> shapely.Geometry | None:
    boxes = []
    if len(changes):
        boxes.append(shapely.box(*changes.total_bounds))
    if district is not None:
        boxes.append(shapely.box(*district.bounds))
    if not boxes:
        return None
    return shapely.box(*shapely.total_bounds(np.array(boxes, dtype=object))).buffer(1.0)
