"""GeoTIFF inputs: imagery (RGB, for evidence chips) and classified land cover."""

from __future__ import annotations

from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from gisaudit.errors import UnknownClassCodeError
from gisaudit.layers.classes import LandClassTable
from gisaudit.layers.common import Issues
from gisaudit.layers.manifest import LandcoverSpec, RasterSpec
from gisaudit.layers.model import RasterRef


def check_raster(
    root: Path, spec: RasterSpec, kind: str, table: LandClassTable, issues: Issues
) -> RasterRef | None:
    """Open a GeoTIFF and check it (``kind``: "imagery" or "landcover"); None when unusable.

    Imagery needs 3 or 4 bands (RGB[A]); land cover one band and a class mapping whose codes
    are all known land-class codes. Both need a CRS.
    """
    where = issues.at(spec.path)
    full = root / spec.path
    if not full.is_file():
        where.add("文件不存在。", "请检查 package.yaml 中的路径，或补充该文件。")
        return None
    ok = True
    try:
        with rasterio.open(full) as src:
            if src.crs is None:
                where.add(
                    "栅格没有坐标参考系（CRS），系统不会猜测坐标系。",
                    "请为该 GeoTIFF 定义坐标系（如 EPSG:4527）后重新导出。",
                )
                ok = False
            if kind == "imagery" and src.count not in (3, 4):
                where.add(
                    f"影像应为 RGB（3 或 4 个波段），实际有 {src.count} 个波段。",
                    "请导出真彩色 RGB GeoTIFF。",
                )
                ok = False
            if kind == "landcover" and src.count != 1:
                where.add(
                    f"土地覆盖分类栅格应为单波段，实际有 {src.count} 个波段。",
                    "请导出单波段分类栅格。",
                )
                ok = False
    except (RasterioError, OSError) as exc:
        where.add(f"栅格文件无法读取（可能已损坏）：{exc}", "请重新导出或拷贝该 GeoTIFF。")
        return None
    classes: dict[int, str] = {}
    if isinstance(spec, LandcoverSpec):
        unknown = []
        for value, raw in spec.classes.items():
            try:
                classes[int(value)] = table.normalise(raw)
            except UnknownClassCodeError:
                unknown.append(f"{value}: {raw!r}")
        if unknown:
            where.add(
                f"土地覆盖分类对照表中有未知地类编码：{'、'.join(unknown)}。",
                "请在 package.yaml 的 landcover.classes 中改为三调工作分类编码。",
            )
            ok = False
    if not ok:
        return None
    return RasterRef(vintage=spec.vintage, path=full.resolve(), source=spec.path, classes=classes)
