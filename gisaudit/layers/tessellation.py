"""Tessellation checks of a land-use vintage: overlaps, gaps and excess beyond the district.

Cost is near-linear in the number of patches: GEOS's coverage validator finds the few patches
whose edges do not match their neighbours', only those are paired through an STRtree and
intersected; per district the coverage union of the matching patches (linear), plus the few
suspects, is compared with the boundary. Anything smaller than ``TOLERANCE_M2`` is ignored
(slivers of digitising precision).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.common import MAX_LISTED, Where, feature_list

TOLERANCE_M2 = 1.0


def check_tessellation(
    patches: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, where: Where
) -> None:
    """Report overlaps between patches, and gaps and excess against each district boundary.

    ``patches`` needs ``geometry``, ``district_code`` and ``_label`` (feature label) columns,
    in the same CRS as ``districts``.
    """
    geoms = np.asarray(patches.geometry.values, dtype=object)
    labels = patches["_label"].to_numpy()
    if len(geoms) == 0:
        return
    suspects = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms))
    _overlaps(geoms, labels, suspects, patches.crs, where)
    codes = patches["district_code"].to_numpy()
    tree = shapely.STRtree(geoms)
    for code, boundary in zip(districts["district_code"], districts.geometry.values, strict=True):
        mine = np.flatnonzero(codes == code)
        if len(mine) == 0:
            where.add(
                f"区县 {code} 在该期没有任何地类图斑，图斑未覆盖该区县。",
                "请补充该区县的地类图斑，或从区县边界图层中移除该区县。",
            )
            continue
        union = _district_union(geoms[mine], suspects[mine])
        _report_parts(
            shapely.difference(boundary, union),
            tree,
            labels,
            patches.crs,
            where,
            f"区县 {code} 内有未被图斑覆盖的空隙",
            "请补绘空隙处的图斑，使地类图斑完整覆盖区县（无缝）。",
        )
        _report_parts(
            shapely.difference(union, boundary),
            tree,
            labels,
            patches.crs,
            where,
            f"区县 {code} 的图斑超出区县边界",
            "请按区县边界裁剪图斑，或核对图斑的坐落单位代码（ZLDWDM）。",
            restrict=mine,
        )


def _district_union(part: np.ndarray, suspects: np.ndarray) -> shapely.Geometry:
    """Union of a district's patches: the patches whose edges match their neighbours' form a
    clean coverage, dissolved in linear time; the few suspects are added by a general union."""
    if not suspects.any():
        return shapely.coverage_union_all(part)
    clean = part[~suspects]
    if len(clean) == 0:
        return shapely.union_all(part)
    union = shapely.union_all([shapely.coverage_union_all(clean), *part[suspects]])
    return union if shapely.is_valid(union) else shapely.union_all(part)


def _overlaps(
    geoms: np.ndarray, labels: np.ndarray, suspects: np.ndarray, crs: object, where: Where
) -> None:
    idx = np.flatnonzero(suspects)
    if len(idx) == 0:
        return
    tree = shapely.STRtree(geoms)
    q, other = tree.query(geoms[idx], predicate="intersects")
    lo, hi = np.minimum(idx[q], other), np.maximum(idx[q], other)
    pairs = np.unique(np.column_stack([lo, hi])[lo != hi], axis=0)  # each pair once
    if len(pairs) == 0:
        return
    a, b = pairs[:, 0], pairs[:, 1]
    inter = shapely.intersection(geoms[a], geoms[b])
    area = shapely.area(inter)
    big = area > TOLERANCE_M2
    if not big.any():
        return
    a, b, inter = a[big], b[big], inter[big]
    area = ellipsoidal_area_m2(inter, crs)
    if len(a) <= MAX_LISTED:
        for i, j, geom, m2 in zip(a, b, inter, area, strict=True):
            x, y = _where(geom)
            where.add(
                f"图斑相互重叠 {m2:.1f} 平方米（位置约 X={x:.1f}, Y={y:.1f}）。",
                "请修改重叠的图斑边界，使地类图斑互不重叠。",
                feature=f"{labels[i]} 与 {labels[j]}",
            )
        return
    named = [f"{labels[i]} 与 {labels[j]}" for i, j in zip(a, b, strict=True)]
    where.add(
        f"共有 {len(a)} 对图斑相互重叠，重叠面积合计 {area.sum():.1f} 平方米。",
        "请修改重叠的图斑边界，使地类图斑互不重叠（可用 GIS 软件的拓扑检查定位）。",
        feature=feature_list(named, 10),
    )


def _where(geom: shapely.Geometry) -> tuple[float, float]:
    point = shapely.point_on_surface(geom)
    return float(shapely.get_x(point)), float(shapely.get_y(point))


def _report_parts(
    geom: shapely.Geometry,
    tree: shapely.STRtree,
    labels: np.ndarray,
    crs: object,
    where: Where,
    what: str,
    action: str,
    restrict: np.ndarray | None = None,
) -> None:
    """Report each polygonal part of ``geom`` larger than the tolerance, with nearby patches."""
    if geom is None or geom.is_empty:
        return
    parts = np.asarray(shapely.get_parts(geom), dtype=object)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    if len(parts) == 0:
        return
    parts = parts[shapely.area(parts) > TOLERANCE_M2]
    if len(parts) == 0:
        return
    area = ellipsoidal_area_m2(parts, crs)
    keep = area > TOLERANCE_M2
    parts, area = parts[keep], area[keep]
    order = np.argsort(-area)
    for n, k in enumerate(order):
        if n == MAX_LISTED:
            rest = area[order[MAX_LISTED:]]
            where.add(
                f"{what}：另有 {len(rest)} 处，合计 {rest.sum():.1f} 平方米。",
                action,
            )
            break
        x, y = _where(parts[k])
        near = tree.query(parts[k], predicate="intersects")
        if restrict is not None:
            near = near[np.isin(near, restrict)]
        feature = f"相邻图斑 {feature_list(labels[near])}" if len(near) else ""
        where.add(
            f"{what} {area[k]:.1f} 平方米（位置约 X={x:.1f}, Y={y:.1f}）。",
            action,
            feature=feature,
        )
