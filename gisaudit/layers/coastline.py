"""Coastline vintages: line layers with a type (AXLX) per segment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from gisaudit.layers.common import Issues, feature_labels, feature_list, find_column, read_layer
from gisaudit.layers.geometry import clean_geometries, to_package_crs
from gisaudit.layers.manifest import CoastlineSpec
from gisaudit.layers.model import COASTLINE_TYPES, CoastlineVintage


def read_coastline(
    root: Path, spec: CoastlineSpec, crs: CRS, issues: Issues
) -> CoastlineVintage | None:
    """Read and check one coastline vintage; None when it cannot be used."""
    issues.progress(f"读取 {spec.vintage:%Y-%m-%d} 期岸线（{spec.path}）", 0, 0)
    read = read_layer(
        root,
        spec.path,
        spec.layer,
        issues,
        empty=("岸线图层没有任何要素（空图层）。", "请确认导出了正确的图层。"),
    )
    if read is None:
        return None
    raw, where = read
    col = find_column(raw, spec.type_field)
    if col is None:
        where.add(
            f"岸线图层缺少岸线类型字段 {spec.type_field}。",
            "请补充岸线类型字段，或在 package.yaml 中用 type_field 指明。",
        )
        return None
    labels = feature_labels(raw)
    types = np.array(["" if v is None else str(v).strip() for v in raw[col]], dtype=object)
    known = np.isin(types, list(COASTLINE_TYPES))
    if not known.all():
        found = "、".join(f"“{t or '（空）'}”" for t in sorted(set(types[~known])))
        where.add(
            f"{int((~known).sum())} 段岸线的类型 {col} 未知：{found}。",
            f"岸线类型须为：{'、'.join(COASTLINE_TYPES)}。",
            feature=feature_list(labels[~known]),
        )
    frame = to_package_crs(raw, crs, where)
    if frame is None:
        return None
    out = gpd.GeoDataFrame(
        {"coast_type": types, "coast_class": [COASTLINE_TYPES.get(t, "") for t in types]},
        geometry=frame.geometry.values,
        crs=crs,
    )
    out = clean_geometries(out, "line", labels, where)
    out = out.loc[known[out.index.to_numpy()]].reset_index(drop=True)
    return CoastlineVintage(vintage=spec.vintage, frame=out, source=spec.path)
