"""Land-use vintages (地类图斑): class codes, KCXS, district attribution, tessellation checks."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisaudit.errors import UnknownClassCodeError
from gisaudit.layers.classes import LandClassTable
from gisaudit.layers.common import Issues, Where, feature_list, find_column, read_layer, text_values
from gisaudit.layers.geometry import clean_geometries, to_package_crs
from gisaudit.layers.manifest import LandUseSpec
from gisaudit.layers.model import LandUseVintage
from gisaudit.layers.tessellation import check_tessellation

COLUMNS = ["bsm", "code", "district_code", "kcxs", "geometry"]


def read_landuse(
    root: Path,
    spec: LandUseSpec,
    crs: CRS,
    districts: gpd.GeoDataFrame | None,
    table: LandClassTable,
    issues: Issues,
) -> LandUseVintage | None:
    """Read, check and normalise one land-use vintage; None when it cannot be used.

    See :class:`LandUseVintage` for the columns. Every problem goes to ``issues``.
    """
    label = f"{spec.vintage:%Y-%m-%d} 期地类图斑"
    issues.progress(f"读取{label}（{spec.path}）", 0, 0)
    read = read_layer(
        root,
        spec.path,
        spec.layer,
        issues,
        empty=("地类图斑图层没有任何要素（空图层）。", "请确认导出了正确的图层。"),
    )
    if read is None:
        return None
    raw, where = read
    labels = _labels(raw, spec.id_field)
    class_col = find_column(raw, spec.class_field)
    if class_col is None:
        fields = "、".join(str(c) for c in raw.columns if c != "geometry")
        where.add(
            f"缺少地类编码字段 {spec.class_field}（现有字段：{fields}）。",
            f"请补充 {spec.class_field} 字段，"
            "或在 package.yaml 中用 class_field 指明地类编码字段。",
        )
        return None
    codes, good = _codes(raw[class_col], labels, table, where)
    kcxs, ok_k = _kcxs(raw, spec.kcxs_field, labels, where)
    good &= ok_k
    frame = to_package_crs(raw, crs, where)
    if frame is None:
        return None
    issues.progress(f"检查{label}的几何", 0, 0)
    out = gpd.GeoDataFrame(
        {"bsm": _ids(raw, spec.id_field), "code": codes, "kcxs": kcxs, "_label": labels},
        geometry=frame.geometry.values,
        crs=crs,
    )
    out = clean_geometries(out, "polygon", labels, where)
    _duplicate_ids(out, spec.id_field, where)
    out["district_code"] = _districts(
        raw.iloc[out.index], out, spec.district_field, districts, where
    )
    if districts is not None:
        issues.progress(f"检查{label}的重叠与空隙", 0, 0)
        check_tessellation(out, districts, where)
    out = out.loc[good[out.index.to_numpy()]]
    frame_out = out[COLUMNS].reset_index(drop=True)
    return LandUseVintage(vintage=spec.vintage, frame=frame_out, source=spec.path)


def _labels(raw: pd.DataFrame, id_field: str) -> np.ndarray:
    col = find_column(raw, id_field)
    if col is None:
        return np.array([f"FID={i}" for i in raw.index], dtype=object)
    return (f"{id_field}=" + pd.Series(text_values(raw[col]), dtype=object)).to_numpy(dtype=object)


def _ids(raw: pd.DataFrame, id_field: str) -> np.ndarray:
    col = find_column(raw, id_field)
    if col is None:
        return np.array([str(i) for i in raw.index], dtype=object)
    return text_values(raw[col])


def _codes(
    values: pd.Series, labels: np.ndarray, table: LandClassTable, where: Where
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised codes and a mask of rows whose code is known; unknown codes reported grouped."""
    keys = text_values(values)
    inverse, uniq = pd.factorize(keys)
    mapped = np.empty(len(uniq), dtype=object)
    unknown: list[int] = []
    for k, value in enumerate(uniq):
        try:
            mapped[k] = table.normalise(value) if value.strip() else None
        except UnknownClassCodeError:
            mapped[k] = None
        if mapped[k] is None:
            unknown.append(k)
    codes = mapped[inverse]
    good = np.array([c is not None for c in codes], dtype=bool)
    if unknown:
        parts = []
        for k in unknown:
            rows = np.flatnonzero(inverse == k)
            shown = repr(str(uniq[k])) if str(uniq[k]).strip() else "（空值）"
            parts.append(f"{shown} {len(rows)} 个（如 {feature_list(labels[rows[:3]], 3)}）")
        where.add(
            f"存在 {len(unknown)} 种未知地类编码，共 {int((~good).sum())} 个图斑："
            f"{'；'.join(parts)}。",
            "请按三调工作分类改正地类编码（DLBM），或在 land_classes.yaml 中补充该编码。",
            feature=feature_list(labels[~good]),
        )
    return codes, good


def _kcxs(
    raw: pd.DataFrame, field: str, labels: np.ndarray, where: Where
) -> tuple[np.ndarray, np.ndarray]:
    """KCXS as float (0 when absent or blank) and a mask of rows with an acceptable value."""
    col = find_column(raw, field)
    if col is None:
        return np.zeros(len(raw)), np.ones(len(raw), dtype=bool)
    series = raw[col]
    numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(series.dtype):
        blank = series.isna().to_numpy()
    else:
        blank = text_values(series) == ""
    not_number = np.isnan(numeric) & ~blank
    out_of_range = ~np.isnan(numeric) & ((numeric < 0) | (numeric >= 1))
    if not_number.any():
        where.add(
            f"{int(not_number.sum())} 个图斑的扣除系数 {col} 不是数值。",
            f"请把 {col} 改为 0 ≤ 值 < 1 的小数。",
            feature=feature_list(labels[not_number]),
        )
    if out_of_range.any():
        examples = "、".join(f"{v:g}" for v in numeric[out_of_range][:3])
        where.add(
            f"{int(out_of_range.sum())} 个图斑的扣除系数 {col} 超出 0 ≤ KCXS < 1"
            f"（如 {examples}）。",
            f"请改正 {col}（田坎系数应为小于 1 的非负小数）。",
            feature=feature_list(labels[out_of_range]),
        )
    return np.nan_to_num(numeric, nan=0.0), ~(not_number | out_of_range)


def _duplicate_ids(out: gpd.GeoDataFrame, id_field: str, where: Where) -> None:
    dup = out["bsm"].duplicated(keep=False).to_numpy() & (out["bsm"] != "").to_numpy()
    if dup.any():
        values = pd.unique(out["bsm"][dup])
        where.add(
            f"标识码 {id_field} 重复：{len(values)} 个标识码被多个图斑使用。",
            f"请保证每个图斑的 {id_field} 唯一。",
            feature=feature_list(f"{id_field}={v}" for v in values),
        )


def _districts(
    raw: pd.DataFrame,
    out: gpd.GeoDataFrame,
    field: str,
    districts: gpd.GeoDataFrame | None,
    where: Where,
) -> np.ndarray:
    """District code of each patch: ZLDWDM's first 6 digits, or by location when absent."""
    known = set(districts["district_code"]) if districts is not None else set()
    labels = out["_label"].to_numpy()
    col = find_column(raw, field)
    if col is not None:
        head = pd.Series(text_values(raw[col]), dtype=object).str.slice(0, 6)
        codes = head.where(head.str.fullmatch(r"\d{6}"), "").to_numpy(dtype=object)
        bad = codes == ""
        if bad.any():
            where.add(
                f"{int(bad.sum())} 个图斑的坐落单位代码 {col} 为空或格式不对"
                "（应为 12 位，前 6 位为区县代码）。",
                f"请补全 {col}。",
                feature=feature_list(labels[bad]),
            )
        if districts is not None:
            unknown = ~bad & ~np.isin(codes, list(known))
            if unknown.any():
                found = "、".join(sorted(set(codes[unknown])))
                where.add(
                    f"{int(unknown.sum())} 个图斑的坐落单位代码 {col} "
                    f"指向区县边界图层中没有的区县（{found}）。",
                    f"请改正 {col}，或在区县边界图层中补充该区县。",
                    feature=feature_list(labels[unknown]),
                )
        return codes
    codes = np.full(len(out), "", dtype=object)
    if districts is None:
        return codes
    points = shapely.point_on_surface(out.geometry.values)
    tree = shapely.STRtree(districts.geometry.values)
    pt_idx, d_idx = tree.query(points, predicate="intersects")
    codes[pt_idx] = districts["district_code"].to_numpy()[d_idx]
    outside = codes == ""
    if outside.any():
        where.add(
            f"{int(outside.sum())} 个图斑不在任何区县范围内。",
            "请检查图斑的坐标系与位置，删除区外图斑，或补充相应的区县边界。",
            feature=feature_list(labels[outside]),
        )
    return codes
