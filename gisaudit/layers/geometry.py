"""Geometry checks shared by all vector layers: CRS, reprojection, empties, types, repair.

Everything is vectorised (shapely 2); Python loops run only over the (few) invalid geometries.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from gisaudit.layers.common import Where, feature_list

Kind = Literal["polygon", "line"]

_TYPES: dict[str, tuple[str, ...]] = {
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString"),
}
_TYPE_NAMES = {
    "Point": "点",
    "MultiPoint": "多点",
    "LineString": "线",
    "MultiLineString": "多线",
    "Polygon": "面",
    "MultiPolygon": "多面",
    "GeometryCollection": "几何集合",
    "LinearRing": "环",
}
_KIND_NAMES = {"polygon": "面", "line": "线"}


def parse_crs(text: str) -> CRS | None:
    """The CRS named by ``text`` (``EPSG:4527``, WKT, PROJ string), or None if unparseable."""
    try:
        crs = CRS.from_user_input(text)
    except (CRSError, TypeError, ValueError):
        return None
    return crs if (crs.is_projected or crs.is_geographic) else None


def crs_label(crs: CRS) -> str:
    """``EPSG:4527`` when the CRS has an EPSG code, else its name."""
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


def to_package_crs(frame: gpd.GeoDataFrame, target: CRS, where: Where) -> gpd.GeoDataFrame | None:
    """Reproject ``frame`` to the package CRS; report and return None when it cannot be done.

    A layer without a CRS is rejected, never guessed. Coordinates that fall outside the package
    CRS's area of use (typically a wrong .prj) are reported too.
    """
    src = frame.crs
    if src is None:
        where.add(
            "图层没有坐标参考系（CRS），系统不会猜测坐标系。",
            "请在 GIS 软件中为该图层定义正确的坐标系（如 EPSG:4527 或 EPSG:4490）并重新导出；"
            "Shapefile 须附带 .prj 文件。",
        )
        return None
    if not (src.is_projected or src.is_geographic):
        where.add(
            f"图层的坐标参考系无法识别：{src.name}。",
            "请改用标准坐标系（CGCS2000 经纬度 EPSG:4490 或高斯-克吕格 3 度带）重新导出。",
        )
        return None
    out = frame
    if not src.equals(target, ignore_axis_order=True):
        try:
            out = frame.to_crs(target)
        except Exception as exc:
            where.add(
                f"无法从 {crs_label(src)} 转换到数据包坐标系 {crs_label(target)}：{exc}",
                "请确认图层坐标系定义正确，或先在 GIS 软件中转换到数据包坐标系。",
            )
            return None
        where.note(f"已由 {crs_label(src)} 重投影至 {crs_label(target)}")
    if not _inside_area_of_use(out, target):
        where.add(
            f"图层坐标超出数据包坐标系 {crs_label(target)} 的适用范围，坐标系定义可能有误"
            f"（声明为 {crs_label(src)}）。",
            "请核对图层的坐标系定义（.prj）与实际坐标是否一致，改正后重新导出。",
        )
        return None
    return out


def _inside_area_of_use(frame: gpd.GeoDataFrame, target: CRS, margin: float = 1.0) -> bool:
    geoms = frame.geometry.values
    if len(geoms) == 0 or shapely.is_empty(geoms).all():
        return True
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return False
    aou = target.area_of_use
    if aou is None:
        return True
    tr = Transformer.from_crs(target, CRS.from_epsg(4490), always_xy=True)
    lon, lat = tr.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    lon, lat = np.asarray(lon), np.asarray(lat)
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        return False
    return bool(
        lon.min() >= aou.west - margin
        and lon.max() <= aou.east + margin
        and lat.min() >= aou.south - margin
        and lat.max() <= aou.north + margin
    )


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of a repaired geometry, or None if nothing polygonal with area is left."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom if geom.area > 0 else None
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    merged = shapely.union_all(parts) if parts else None
    if merged is None or merged.is_empty or merged.area <= 0:
        return None
    return merged


def clean_geometries(
    frame: gpd.GeoDataFrame, kind: Kind, labels: np.ndarray, where: Where
) -> gpd.GeoDataFrame:
    """Check and repair the geometries of a layer; return the usable rows.

    Reports null/empty geometries, wrong or mixed geometry types, and geometries that stay
    invalid or collapse (e.g. to a line) after ``make_valid``. Repairable ones (a bow-tie) are
    repaired and counted in ``where.issues.repaired``. Rows with problems are dropped from the
    result (the package is not loaded anyway when there are problems).
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    keep = np.ones(len(geoms), dtype=bool)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        where.add(
            f"{int(empty.sum())} 个要素的几何为空。",
            "请删除这些要素或补绘其图形。",
            feature=feature_list(labels[empty]),
        )
        keep &= ~empty
    names = _geom_type_names(geoms, empty)
    allowed = np.isin(names, _TYPES[kind])
    wrong = ~allowed & ~empty
    if wrong.any():
        found = sorted(set(names[~empty]))
        listed = "、".join(f"{_TYPE_NAMES.get(t, t)} {int((names == t).sum())} 个" for t in found)
        if allowed.any():
            msg = f"图层混合了多种几何类型（{listed}），应全部为{_KIND_NAMES[kind]}。"
        else:
            msg = f"图层的几何类型为 {listed}，应为{_KIND_NAMES[kind]}要素。"
        where.add(msg, f"请只保留{_KIND_NAMES[kind]}要素后重新导出。", feature_list(labels[wrong]))
        keep &= ~wrong
    if shapely.has_z(geoms[keep]).any():
        geoms = geoms.copy()
        geoms[keep] = shapely.force_2d(geoms[keep])
    invalid = keep & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        idx = np.flatnonzero(invalid)
        repaired = shapely.make_valid(geoms[idx])
        ok: list[str] = []
        bad: list[str] = []
        for i, geom in zip(idx, repaired, strict=True):
            fixed = _polygonal(geom) if kind == "polygon" else _linear(geom)
            if fixed is None:
                bad.append(labels[i])
                keep[i] = False
            else:
                geoms[i] = fixed
                ok.append(labels[i])
        if bad:
            where.add(
                f"{len(bad)} 个要素的几何无效且无法自动修复"
                f"（修复后不再是有面积的{_KIND_NAMES[kind]}）。",
                "请在 GIS 软件中检查并重新绘制这些要素。",
                feature=feature_list(bad),
            )
        if ok:
            where.issues.repaired += len(ok)
            where.note(f"已用 make_valid 修复 {len(ok)} 个无效几何（{feature_list(ok)}）")
    out = frame.loc[keep].copy()
    out = out.set_geometry(gpd.GeoSeries(geoms[keep], index=out.index, crs=frame.crs))
    return out


def _linear(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("LineString", "MultiLineString"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString"]
    return shapely.multilinestrings(parts) if parts else None


def _geom_type_names(geoms: np.ndarray, empty: np.ndarray) -> np.ndarray:
    ids = shapely.get_type_id(geoms)
    lookup = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ],
        dtype=object,
    )
    names = np.full(len(geoms), "", dtype=object)
    ok = (~empty) & (ids >= 0)
    names[ok] = lookup[ids[ok]]
    return names
