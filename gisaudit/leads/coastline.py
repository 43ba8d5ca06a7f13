"""Coastline-loss leads: natural coastline at the start that is gone or artificial at the end.

A stretch of start coastline of the rule's class (``natural``) counts as lost where it lies
farther than ``distance_m`` (30 m) from every coastline of that class at the end: the end
lines are buffered by ``distance_m`` and subtracted. Lost stretches that touch are merged;
a lead must be at least ``min_length_m`` long (geodesic). Only coastline within 100 m of the
district boundary counts (as in spec §6).

Vintages: the start coastline is the latest dated on or before the start vintage (else the
earliest), the end coastline the latest on or before the end vintage. A stretch is dated by
the first coastline vintage after the start in which at least half of it is lost.
``from_codes``: start coast type (AXLX) -> lost length (m); ``to_codes``: coast type -> length
(m) of the end coastline within ``distance_m`` of the lead (empty: the coast has moved away).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import shapely

from gisaudit.geodesy import geodesic_length_m
from gisaudit.layers.model import AuditPackage, CoastlineVintage
from gisaudit.layers.parts import LINEAL, single_parts
from gisaudit.layers.zone_store import ZoneParts
from gisaudit.leads.frame import merge_pieces
from gisaudit.leads.geom import clip_to_zone
from gisaudit.leads.rules import LeadRule

DISTRICT_BUFFER_M = 100.0


def pick_coastlines(
    coasts: tuple[CoastlineVintage, ...], start: date, end: date
) -> tuple[CoastlineVintage | None, CoastlineVintage | None, list[CoastlineVintage]]:
    """(start coastline, end coastline, the vintages after the start up to the end)."""
    ordered = sorted(coasts, key=lambda c: c.vintage)
    if not ordered:
        return None, None, []
    before = [c for c in ordered if c.vintage <= start]
    first = before[-1] if before else ordered[0]
    upto = [c for c in ordered if c.vintage <= end]
    last = upto[-1] if upto else None
    middle = [c for c in ordered if first.vintage < c.vintage <= (last.vintage if last else end)]
    return first, last, middle


def _lines(
    coast: CoastlineVintage, cls: str | None, region: shapely.Geometry | None
) -> tuple[np.ndarray, np.ndarray]:
    frame = coast.frame
    if cls is not None:
        frame = frame[frame["coast_class"].astype(str) == cls]
    geoms = frame.geometry.to_numpy()
    types = (
        frame["coast_type"].astype(str).to_numpy()
        if "coast_type" in frame
        else np.full(len(frame), cls)
    )
    if region is not None and len(geoms):
        geoms, idx = clip_to_zone(geoms, region, inside=True)
        types = types[idx]
    parts, idx = single_parts(geoms, LINEAL)
    return parts, types[idx]


def _lost_fraction(
    geom: shapely.Geometry, coast: CoastlineVintage, cls: str, distance: float
) -> float:
    lines, _ = _lines(coast, cls, shapely.buffer(geom, distance * 2))
    if len(lines) == 0:
        return 1.0
    rest = shapely.difference(geom, shapely.buffer(shapely.union_all(lines), distance))
    return float(shapely.length(rest) / max(shapely.length(geom), 1e-9))


def coastline_candidates(
    rule: LeadRule,
    package: AuditPackage,
    district: shapely.Geometry | None,
    start: date,
    end: date,
    zones: dict[str, shapely.Geometry | np.ndarray | ZoneParts | None],
    notes: list[str],
    tolerance_m: float,
) -> list[dict[str, Any]]:
    """Merged coastline-loss candidates of one rule (``size`` = geodesic length in m)."""
    first, last, middle = pick_coastlines(package.coastline, start, end)
    if first is None or last is None or last.vintage <= first.vintage:
        if package.coastline:
            notes.append(f"海岸线在任期内只有一个可用时相，规则“{rule.name}”未运行。")
        return []
    region = shapely.buffer(district, DISTRICT_BUFFER_M) if district is not None else None
    start_lines, start_types = _lines(first, rule.coast_class, region)
    if len(start_lines) == 0:
        return []
    near = shapely.buffer(shapely.union_all(start_lines), rule.distance_m * 2)
    end_lines, _ = _lines(last, rule.coast_class, near)
    end_zone = (
        shapely.buffer(shapely.union_all(end_lines), rule.distance_m) if len(end_lines) else None
    )
    lost, idx = clip_to_zone(start_lines, end_zone, inside=False)
    types = start_types[idx]
    for zone_kind, inside in ((rule.inside, True), (rule.outside, False)):
        if zone_kind is not None and zones.get(zone_kind) is not None:
            lost, idx = clip_to_zone(lost, zones[zone_kind], inside)
            types = types[idx]
    parts, idx = single_parts(lost, LINEAL)
    if len(parts) == 0:
        return []
    sizes = geodesic_length_m(parts, package.crs)
    merged = merge_pieces(parts, sizes, list(types[idx]), [None] * len(parts),
                          [None] * len(parts), tolerance_m)  # fmt: skip
    out = []
    for cand in merged:
        geom = (
            shapely.line_merge(cand["geometry"])
            if cand["geometry"].geom_type != "LineString"
            else cand["geometry"]
        )
        cand["geometry"] = geom
        cand["size"] = float(geodesic_length_m([geom], package.crs)[0])
        if cand["size"] < rule.minimum:
            continue
        cand["to_codes"] = _nearby_types(last, geom, rule.distance_m, package.crs)
        cand["change_vintage"] = next(
            (
                c.vintage
                for c in middle
                if _lost_fraction(geom, c, rule.coast_class, rule.distance_m) >= 0.5
            ),
            last.vintage,
        )
        out.append(cand)
    return out


def _nearby_types(
    coast: CoastlineVintage, geom: shapely.Geometry, distance: float, crs
) -> dict[str, float]:
    lines, types = _lines(coast, None, shapely.buffer(geom, distance))
    if len(lines) == 0:
        return {}
    lengths = geodesic_length_m(lines, crs)
    out: dict[str, float] = {}
    for t, length in zip(types, lengths, strict=True):
        if length > 0:
            out[str(t)] = out.get(str(t), 0.0) + float(length)
    return out
