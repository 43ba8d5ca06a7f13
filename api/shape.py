"""Shaping stored records into answers: lead properties (spec §8 names), GeoJSON, frames."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import shapely

from gisaudit.leads import LEAD_COLUMNS
from gisaudit.storage.models import District, Lead
from gisaudit.workflow import default_workflow

GEOJSON = "application/geo+json"
SPEC_PROPERTIES = LEAD_COLUMNS  # id, rule, name, severity, ... state (spec §8)


def _codes(value: Any) -> dict[str, float]:
    return {str(k): float(v) for k, v in dict(value or {}).items()}


def lead_properties(lead: Lead) -> dict[str, Any]:
    """The spec §8 properties of a lead, plus ``version`` (the ETag) and workflow fields."""
    return {
        "id": lead.id,
        "rule": lead.rule,
        "name": lead.name,
        "severity": lead.severity,
        "district_code": lead.district_code,
        "tenure_id": lead.tenure_id,
        "area_m2": lead.area_m2,
        "area_ha": lead.area_ha,
        "area_mu": lead.area_mu,
        "length_m": lead.length_m,
        "from_codes": _codes(lead.from_codes),
        "to_codes": _codes(lead.to_codes),
        "change_vintage": lead.change_vintage.isoformat() if lead.change_vintage else None,
        "lon": lead.lon,
        "lat": lead.lat,
        "legal_basis": lead.legal_basis,
        "state": lead.state,
        "state_id": _state_id(lead.state),
        "version": lead.version,
        "present": lead.present,
        "reason": lead.reason,
        "deadline": lead.deadline.isoformat() if lead.deadline else None,
    }


def _state_id(name: str) -> str:
    try:
        return default_workflow().state(name).id
    except Exception:
        return name


def geometry_json(geom: shapely.Geometry | None, digits: int = 7) -> dict[str, Any] | None:
    """A geometry as a GeoJSON object (lon/lat, rounded to ``digits``)."""
    if geom is None or geom.is_empty:
        return None
    geom = shapely.set_precision(geom, 10.0**-digits) if digits else geom
    return shapely.geometry.mapping(geom)


def feature(fid: Any, properties: dict[str, Any], geom: shapely.Geometry | None) -> dict:
    """One GeoJSON Feature."""
    return {"type": "Feature", "id": fid, "geometry": geometry_json(geom), "properties": properties}


def lead_feature(lead: Lead) -> dict[str, Any]:
    """A lead as a GeoJSON Feature (spec §8 properties)."""
    return feature(lead.id, lead_properties(lead), lead.geometry)


def district_properties(district: District) -> dict[str, Any]:
    """A district's properties (code, name, area in ha)."""
    return {"code": district.code, "name": district.name, "area_ha": district.area_ha}


def district_bbox(district: District) -> list[float] | None:
    """Lon/lat extent of a district, when it has a geometry."""
    values = (district.minx, district.miny, district.maxx, district.maxy)
    return None if any(v is None for v in values) else [float(v) for v in values]  # type: ignore[arg-type]


def leads_frame(leads: Sequence[Lead], crs: str = "EPSG:4527") -> gpd.GeoDataFrame:
    """Leads as the leads engine's frame (spec §8 columns) in ``crs``, for the file writers."""
    records = [
        {k: v for k, v in lead_properties(lead).items() if k in LEAD_COLUMNS} for lead in leads
    ]
    geoms = gpd.GeoSeries([lead.geometry for lead in leads], crs=4326)
    frame = gpd.GeoDataFrame(records, columns=list(LEAD_COLUMNS), geometry=geoms, crs=4326)
    return frame.to_crs(crs)
