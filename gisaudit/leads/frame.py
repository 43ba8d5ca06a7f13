"""From merged pieces to the lead table (spec §8 columns), with stable ids.

Stable id
---------
``L-<district>-<rule>-<10 hex>``, the hex being the first 10 digits of the sha1 of
``rule|district|tenure|X|Y|S`` where X, Y are the lead's centroid in the package CRS rounded
to 1 m and S its size rounded to 1 m² (area) or 1 m (length). Re-running on the same input
gives the same id; float noise far below a metre does not change it (it can only flip a
rounding exactly at a half-metre boundary). Two leads of the same rule cannot share a
centroid and size in practice; if they did, ``-2``, ``-3`` … is appended in sort order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gisaudit.geodesy import M2_PER_HA, M2_PER_MU
from gisaudit.leads.geom import group_touching
from gisaudit.leads.rules import SEVERITIES, LeadRule

LEAD_COLUMNS: list[str] = [
    "id", "rule", "name", "severity", "district_code", "tenure_id", "area_m2", "area_ha",
    "area_mu", "length_m", "from_codes", "to_codes", "change_vintage", "lon", "lat",
    "legal_basis", "state",
]  # fmt: skip
DEFAULT_STATE = "待核实"


def as_date(value: Any) -> date | None:
    """A date from a date, datetime, Timestamp, numpy datetime64 or ISO string; None if null."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def empty_leads(crs: CRS | str) -> gpd.GeoDataFrame:
    """An empty lead table with the spec's columns."""
    frame = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in LEAD_COLUMNS},
                             geometry=gpd.GeoSeries([], crs=crs), crs=crs)  # fmt: skip
    for col in ("area_m2", "area_ha", "area_mu", "length_m", "lon", "lat"):
        frame[col] = frame[col].astype(float)
    return frame


def merge_pieces(
    geoms: np.ndarray,
    sizes: np.ndarray,
    from_codes: Sequence[str | None],
    to_codes: Sequence[str | None],
    vintages: Sequence[date | None],
    tolerance_m: float,
) -> list[dict[str, Any]]:
    """Merge touching pieces into lead candidates.

    Each candidate: ``geometry`` (union), ``size`` (sum of piece sizes), ``from_codes`` /
    ``to_codes`` (code -> summed size), ``change_vintage`` (earliest piece date or None).
    """
    labels = group_touching(geoms, tolerance_m)
    out = []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        f_codes: dict[str, float] = {}
        t_codes: dict[str, float] = {}
        for i in idx:
            if from_codes[i] is not None:
                f_codes[from_codes[i]] = f_codes.get(from_codes[i], 0.0) + float(sizes[i])
            if to_codes[i] is not None:
                t_codes[to_codes[i]] = t_codes.get(to_codes[i], 0.0) + float(sizes[i])
        dates = [d for d in (as_date(vintages[i]) for i in idx) if d is not None]
        geom = geoms[idx[0]] if len(idx) == 1 else shapely.union_all(geoms[idx])
        out.append({
            "geometry": geom, "size": float(sizes[idx].sum()),
            "from_codes": f_codes, "to_codes": t_codes,
            "change_vintage": min(dates) if dates else None,
        })  # fmt: skip
    return out


def lead_id(rule: str, district: str, tenure: str, x: float, y: float, size: float) -> str:
    """Stable lead id (see module docstring)."""
    key = f"{rule}|{district}|{tenure}|{round(x):d}|{round(y):d}|{round(size):d}"
    return f"L-{district}-{rule}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:10]}"


def _round_codes(codes: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in sorted(codes.items())}


def build_lead_frame(
    candidates: Sequence[tuple[LeadRule, dict[str, Any]]],
    *,
    district_code: str,
    tenure_id: str,
    crs: CRS | str,
    legal_basis: dict[str, str],
    default_vintage: date,
    rule_order: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """Assemble the lead table from (rule, merged candidate) pairs, sorted deterministically.

    Sort: severity (critical first), rule order, size (largest first), id.
    """
    crs = CRS.from_user_input(crs)
    if not candidates:
        return empty_leads(crs)
    geoms = np.array([c["geometry"] for _, c in candidates], dtype=object)
    centroids = shapely.centroid(geoms)
    cx, cy = shapely.get_x(centroids), shapely.get_y(centroids)
    lon, lat = Transformer.from_crs(crs, CRS.from_epsg(4490), always_xy=True).transform(cx, cy)
    rows = []
    for i, (rule, cand) in enumerate(candidates):
        size = cand["size"]
        is_area = rule.kind == "area"
        vintage = cand["change_vintage"] or default_vintage
        rows.append({
            "id": lead_id(rule.id, district_code, tenure_id, cx[i], cy[i], size),
            "rule": rule.id, "name": rule.name, "severity": rule.severity,
            "district_code": district_code, "tenure_id": tenure_id,
            "area_m2": round(size, 2) if is_area else None,
            "area_ha": round(size / M2_PER_HA, 4) if is_area else None,
            "area_mu": round(size / M2_PER_MU, 2) if is_area else None,
            "length_m": None if is_area else round(size, 2),
            "from_codes": _round_codes(cand["from_codes"]),
            "to_codes": _round_codes(cand["to_codes"]),
            "change_vintage": vintage.isoformat(),
            "lon": round(float(lon[i]), 7), "lat": round(float(lat[i]), 7),
            "legal_basis": legal_basis.get(rule.id, ""), "state": DEFAULT_STATE,
            "_sev": SEVERITIES.index(rule.severity),
            "_rule": list(rule_order).index(rule.id) if rule.id in rule_order else len(rule_order),
            "_size": -size, "geometry": geoms[i],
        })  # fmt: skip
    frame = pd.DataFrame(rows).sort_values(["_sev", "_rule", "_size", "id"], kind="mergesort")
    counts: dict[str, int] = {}
    ids = []
    for lid in frame["id"]:
        counts[lid] = counts.get(lid, 0) + 1
        ids.append(lid if counts[lid] == 1 else f"{lid}-{counts[lid]}")
    frame["id"] = ids
    frame = frame.drop(columns=["_sev", "_rule", "_size"]).reset_index(drop=True)
    for col in ("area_m2", "area_ha", "area_mu", "length_m", "lon", "lat"):
        frame[col] = frame[col].astype(float)
    return gpd.GeoDataFrame(frame[[*LEAD_COLUMNS, "geometry"]], geometry="geometry", crs=crs)
