"""The district boundaries layer: codes, names, ellipsoidal areas."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.common import (
    TIANJIN_DISTRICTS,
    Issues,
    code_text,
    feature_list,
    find_column,
    read_layer,
)
from gisaudit.layers.geometry import clean_geometries, to_package_crs
from gisaudit.layers.manifest import DistrictsSpec

COLUMNS = ["district_code", "name", "area_m2", "geometry"]


def read_districts(
    root: Path, spec: DistrictsSpec, crs: CRS, issues: Issues
) -> gpd.GeoDataFrame | None:
    """Read and check the districts layer; return its rows (sorted by code) or None if unusable.

    Columns: ``district_code`` (6 digits, one of the 10 Tianjin codes), ``name``, ``area_m2``
    (ellipsoidal, m²), ``geometry`` (package CRS). Problems are reported to ``issues``.
    """
    read = read_layer(
        root,
        spec.path,
        spec.layer,
        issues,
        empty=("区县边界图层没有任何要素。", "请补充区县边界要素。"),
    )
    if read is None:
        return None
    frame, where = read
    code_col = find_column(frame, spec.code_field)
    if code_col is None:
        fields = "、".join(str(c) for c in frame.columns if c != "geometry")
        where.add(
            f"区县边界图层缺少区县代码字段 {spec.code_field}（现有字段：{fields}）。",
            "请补充 6 位区县代码字段，或在 package.yaml 的 districts.code_field 中指明字段名。",
        )
        return None
    name_col = find_column(frame, spec.name_field)
    codes = np.array([code_text(v) for v in frame[code_col]], dtype=object)
    labels = np.array([f"{code_col}={c or '（空）'}" for c in codes], dtype=object)
    good = np.ones(len(frame), dtype=bool)
    for i, code in enumerate(codes):
        if code not in TIANJIN_DISTRICTS:
            where.add(
                f"区县代码 {code or '（空）'} 不是天津市 10 个涉农区的代码之一。",
                "请改为 120110–120119 中正确的 6 位区县代码。",
                feature=f"FID={frame.index[i]}",
            )
            good[i] = False
    uniq, counts = np.unique(codes[good], return_counts=True)
    for code in uniq[counts > 1]:
        where.add(
            f"区县代码 {code} 重复出现 {int((codes == code).sum())} 次。",
            "每个区县只能有一个要素：请合并为一个（多部件）面。",
            feature=feature_list(f"FID={i}" for i in frame.index[codes == code]),
        )
        good &= codes != code
    frame = to_package_crs(frame, crs, where)
    if frame is None:
        return None
    names = (
        [str(v) if v is not None else "" for v in frame[name_col]]
        if name_col
        else [TIANJIN_DISTRICTS.get(c, "") for c in codes]
    )
    out = gpd.GeoDataFrame(
        {"district_code": codes, "name": names}, geometry=frame.geometry.values, crs=crs
    ).loc[good]
    out = clean_geometries(out, "polygon", labels[good], where)
    out["area_m2"] = ellipsoidal_area_m2(out.geometry.values, crs)
    return out[COLUMNS].sort_values("district_code").reset_index(drop=True)
