"""Context zones of the sample package: 永久基本农田, 生态保护红线 and 建设用地批准范围."""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from gisaudit.sample.changes import Region, change_spec
from gisaudit.sample.character import district_character, smooth_rank

FARMLAND = ("0101", "0102", "0103")


def pbf_flags(dlbm: np.ndarray, polys: np.ndarray, ctx: dict[str, np.ndarray], code: str,
              rng: np.random.Generator) -> np.ndarray:
    """Which 2018 patches are 永久基本农田: most farmland, in smooth clusters, never in cores,
    urbanising rings or reserves."""
    share = float(district_character(code)["pbf_share"])
    farmland = np.isin(dlbm, FARMLAND) & ~ctx["core"] & ~ctx["core_ring"] & (ctx["reserve"] == "")
    rank = smooth_rank(shapely.get_coordinates(shapely.centroid(polys)), rng, 5000.0)
    return farmland & (rank < share)


def pbf_frame(parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
              crs: str) -> gpd.GeoDataFrame:
    """永久基本农田 polygons: the designated 2018 farmland patches (保护图斑), one per patch.

    ``parts``: (district code, geometries, BSM, DLBM) of the designated patches per district.
    """
    rows = []
    for code, geoms, bsm, dlbm in parts:
        for g, b, d in zip(geoms, bsm, dlbm, strict=True):
            rows.append({"BSM": f"JB{b}", "DLBM": d, "XZQDM": code, "geometry": g})
    return gpd.GeoDataFrame(rows, columns=["BSM", "DLBM", "XZQDM", "geometry"], crs=crs)


def redline_frame(parts: list[tuple[str, np.ndarray, np.ndarray]], crs: str) -> gpd.GeoDataFrame:
    """生态保护红线: per reserve, the union of the 2018 patches inside it.

    ``parts``: (district code, geometries, reserve names) of the redline patches.
    """
    rows = []
    for code, geoms, names in parts:
        for name in sorted(set(names)):
            union = shapely.union_all(geoms[names == name])
            rows.append({"HXMC": name, "XZQDM": code, "geometry": union})
    for i, row in enumerate(rows, 1):
        row["BSM"] = f"HX{i:04d}"
    return gpd.GeoDataFrame(rows, columns=["BSM", "HXMC", "XZQDM", "geometry"], crs=crs)


def approvals_frame(regions: list[Region], crs: str, rng: np.random.Generator,
                    boundaries: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    """建设用地批准范围 of the approved regions, dated 1 month to 2 years before the change.

    Each covers its region with a small margin, clipped to the region's district.
    Fields: PZWH (批准文号), XMMC (项目名称), PZRQ (批准日期, date), XZQDM.
    """
    buffer = float(change_spec()["approval_buffer_m"])
    rows = []
    for n, region in enumerate((r for r in regions if r.approved), 1):
        days = int(rng.integers(30, 700))
        approved_on = region.vintage - timedelta(days=days)
        name = "道路工程" if region.scenario["shape"] == "road" else "城镇建设用地"
        rows.append({
            "PZWH": f"津政地〔{approved_on.year}〕{n:03d}号",
            "XMMC": f"{approved_on.year}年度第{n}批次{name}",
            "PZRQ": approved_on,
            "XZQDM": region.district_code,
            "geometry": shapely.intersection(
                shapely.buffer(region.geometry, buffer, quad_segs=2),
                boundaries[region.district_code]),
        })
    frame = gpd.GeoDataFrame(rows, columns=["PZWH", "XMMC", "PZRQ", "XZQDM", "geometry"], crs=crs)
    # a real GeoPackage DATE field (written with use_arrow=True)
    frame["PZRQ"] = pd.array(list(frame["PZRQ"]), dtype=pd.ArrowDtype(pa.date32()))
    return frame
