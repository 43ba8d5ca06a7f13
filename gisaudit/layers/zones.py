"""Context zones: 永久基本农田 (pbf), 生态保护红线 (redline), 建设用地批准范围 (approvals)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from gisaudit.layers.common import (
    Issues,
    feature_labels,
    feature_list,
    find_column,
    parse_date,
    read_layer,
)
from gisaudit.layers.geometry import clean_geometries, to_package_crs
from gisaudit.layers.manifest import ZoneSpec, ZonesSpec
from gisaudit.layers.zone_areas import mark_valid

ZONE_NAMES = {"pbf": "永久基本农田", "redline": "生态保护红线", "approvals": "建设用地批准范围"}
DEFAULT_DATE_FIELD = "PZRQ"


def read_zones(
    root: Path, spec: ZonesSpec, crs: CRS, issues: Issues, skip: set[str]
) -> dict[str, gpd.GeoDataFrame]:
    """Read every zone layer of the manifest (paths in ``skip`` are not read)."""
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind in ZONE_NAMES:
        zone: ZoneSpec | None = getattr(spec, kind)
        if zone is None or zone.path in skip:
            continue
        frame = read_zone(root, kind, zone, crs, issues)
        if frame is not None:
            out[kind] = frame
    return out


def read_zone(
    root: Path, kind: str, spec: ZoneSpec, crs: CRS, issues: Issues
) -> gpd.GeoDataFrame | None:
    """One zone layer: columns ``id`` (str), ``geometry``; approvals also ``approval_date``."""
    issues.progress(f"读取{ZONE_NAMES[kind]}（{spec.path}）", 0, 0)
    read = read_layer(
        root,
        spec.path,
        spec.layer,
        issues,
        empty=(
            f"{ZONE_NAMES[kind]}图层没有任何要素（空图层）。",
            "请确认导出了正确的图层，或从 package.yaml 中删去该项。",
        ),
    )
    if read is None:
        return None
    raw, where = read
    labels = feature_labels(raw)
    data: dict[str, object] = {"id": [label.split("=", 1)[1] for label in labels]}
    good = np.ones(len(raw), dtype=bool)
    if kind == "approvals":
        field = spec.date_field or DEFAULT_DATE_FIELD
        col = find_column(raw, field)
        if col is None:
            where.add(
                f"建设用地批准范围缺少批准日期字段 {field}。",
                "请补充批准日期字段，或在 package.yaml 的 zones.approvals.date_field 中指明。",
            )
            return None
        dates = [parse_date(v) for v in raw[col]]
        bad = np.array([d is None for d in dates])
        if bad.any():
            where.add(
                f"{int(bad.sum())} 个批准范围的批准日期 {col} 为空或不是有效日期。",
                f"请把 {col} 填写为 YYYY-MM-DD 格式的日期。",
                feature=feature_list(labels[bad]),
            )
            good &= ~bad
        data["approval_date"] = dates
    frame = to_package_crs(raw, crs, where)
    if frame is None:
        return None
    out = gpd.GeoDataFrame(data, geometry=frame.geometry.values, crs=crs)
    out = clean_geometries(out, "polygon", labels, where)
    return mark_valid(out.loc[good[out.index.to_numpy()]].reset_index(drop=True))
