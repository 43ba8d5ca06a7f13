"""Hand-built evaluation results for the storage tests: tiny squares in EPSG:4527 near Tianjin."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import geopandas as gpd
import pandas as pd
import shapely

from gisaudit.evaluation.result import TenureResult

PKG_CRS = "EPSG:4527"
X0, Y0 = 39_517_000.0, 4_330_000.0  # about 117.2°E 39.1°N
START, END = date(2018, 12, 31), date(2023, 12, 31)
RULES = {  # rule -> (name, severity)
    "farmland_to_construction": ("耕地转为建设用地且未见批准", "high"),
    "pbf_occupation": ("永久基本农田被占用", "critical"),
    "farmland_to_nongrain": ("耕地非粮化", "medium"),
}


def unique(prefix: str) -> str:
    """A short unique name, so tests sharing one database never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def square(i: int, size: float = 50.0, x0: float = X0, y0: float = Y0) -> shapely.Polygon:
    """The i-th size×size square (m) on a row, 100 m apart."""
    x = x0 + 100.0 * (i % 100)
    y = y0 + 100.0 * (i // 100)
    return shapely.box(x, y, x + size, y + size)


def lead_frame(
    tenure_id: str,
    district_code: str,
    indices: Sequence[int],
    *,
    rule: str = "farmland_to_construction",
    size: float = 50.0,
    x0: float = X0,
    y0: float = Y0,
) -> gpd.GeoDataFrame:
    """Leads as the leads engine hands them over (package CRS, spec §8 columns)."""
    name, severity = RULES[rule]
    geoms = [square(i, size, x0, y0) for i in indices]
    lonlat = gpd.GeoSeries([g.centroid for g in geoms], crs=PKG_CRS).to_crs(4326)
    area = size * size
    return gpd.GeoDataFrame(
        {
            "id": [f"L-{district_code}-{rule}-{tenure_id}-{i:05d}" for i in indices],
            "rule": rule,
            "name": name,
            "severity": severity,
            "district_code": district_code,
            "tenure_id": tenure_id,
            "area_m2": area,
            "area_ha": area / 10_000,
            "area_mu": area / (10_000 / 15),
            "length_m": None,
            "from_codes": [{"0101": area} for _ in indices],
            "to_codes": [{"0702": area} for _ in indices],
            "change_vintage": END.isoformat(),
            "lon": list(lonlat.x),
            "lat": list(lonlat.y),
            "legal_basis": "《中华人民共和国土地管理法》第四十四条",
            "state": "待核实",
        },
        geometry=geoms,
        crs=PKG_CRS,
    )


def scorecard(tenure_id: str, district_code: str, total: float = 86.5) -> dict:
    """A small scorecard in the shape of scorecard.schema.json."""
    return {
        "schema": "gisaudit.scorecard/1",
        "indicator_system": {"id": "tianjin-2025", "version": "1.0"},
        "tenure": {
            "id": tenure_id,
            "district_code": district_code,
            "official": "张三",
            "position": "区委书记",
            "start": "2019-01-01",
            "end": None,
        },
        "district": {"code": district_code, "name": f"测试区{district_code}", "area_ha": 25.0},
        "vintages": {"start": START.isoformat(), "end": END.isoformat(), "notes": []},
        "indicators": [
            {
                "id": "farmland_retention",
                "name": "耕地保有率",
                "unit": "%",
                "value": 98.0,
                "start": 100.0,
                "end": 98.0,
                "target": None,
                "applicable": True,
                "score": 60.0,
                "weight": 60.0,
                "veto": False,
            },
            {
                "id": "reclamation_area",
                "name": "围填海面积",
                "unit": "ha",
                "value": None,
                "start": None,
                "end": None,
                "target": None,
                "applicable": False,
                "score": None,
                "weight": 0.0,
                "veto": False,
                "note": "无沿海滩涂",
            },
        ],
        "total_score": total,
        "grade": "较好",
        "vetoes": [],
        "areas": {"start": {"farmland": 10.0}, "end": {"farmland": 9.8}},
        "transitions": [{"from": "farmland", "to": "built", "area_ha": 0.2}],
        "leads": {"count": 0, "by_rule": {}},
    }


def tenure_result(
    tenure_id: str,
    district_code: str,
    leads: gpd.GeoDataFrame | None,
    *,
    total: float = 86.5,
) -> TenureResult:
    """A TenureResult with a 500 m square district and the given leads."""
    district = gpd.GeoDataFrame(
        {"code": [district_code], "name": [f"测试区{district_code}"]},
        geometry=[shapely.box(X0 - 100, Y0 - 100, X0 + 10_000, Y0 + 10_000)],
        crs=PKG_CRS,
    )
    empty = gpd.GeoDataFrame({"code": []}, geometry=[], crs=PKG_CRS)
    transitions = pd.DataFrame(
        {"from_group": ["farmland", "farmland"], "to_group": ["built", "farmland"],
         "area_ha": [0.2, 9.8]}
    )  # fmt: skip
    return TenureResult(
        tenure_id=tenure_id,
        district_code=district_code,
        start_vintage=START,
        end_vintage=END,
        scorecard=scorecard(tenure_id, district_code, total),
        transitions=transitions,
        account=pd.DataFrame(),
        changes=empty,
        district=district,
        start_landuse=empty,
        end_landuse=empty,
        leads=leads,
    )
