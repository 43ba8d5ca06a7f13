"""The group transition matrix from classified land-cover rasters, and its gap to the vector one.

Pixels are counted where their centre lies inside the district (rasterio's
``geometry_mask``). Each pixel is weighted by its ellipsoidal area: the area of one pixel is
measured exactly (``ellipsoidal_area_m2``) on a coarse lattice of pixels across the window
and interpolated bilinearly in between — pixel area varies smoothly and very little over a
district, so the interpolation error is far below 1e-6 relative. Pixels whose value is not
in the raster's ``classes`` (nodata, clouds) are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gisaudit.errors import InputError
from gisaudit.geodesy import ellipsoidal_area_m2, to_ha
from gisaudit.layers.classes import LandClassTable, default_class_table
from gisaudit.layers.model import RasterRef

if TYPE_CHECKING:
    import rasterio
    from rasterio.windows import Window

LATTICE = 17  # lattice points per axis at which a pixel's area is measured exactly


@dataclass(frozen=True)
class MatrixComparison:
    """Raster vs vector transition matrices: per-cell and total absolute differences."""

    cells: pd.DataFrame  # from_group, to_group, vector_ha, raster_ha, diff_ha, diff_pct
    total_abs_diff_ha: float
    total_abs_diff_pct: float  # of the vector matrix total


def raster_transition_matrix(
    start: RasterRef,
    end: RasterRef,
    district: shapely.Geometry,
    crs: CRS | str,
    table: LandClassTable | None = None,
) -> pd.DataFrame:
    """Group transition matrix (``from_group``, ``to_group``, ``area_ha``) from two rasters.

    ``district`` is in ``crs`` (the package CRS); both rasters must share one grid.
    """
    import rasterio  # here: most packages have no land cover (rasterio is slow to import)
    from rasterio.features import geometry_mask

    table = table or default_class_table()
    groups = table.group_ids
    with rasterio.open(start.path) as a, rasterio.open(end.path) as b:
        if a.crs is None:
            raise InputError(
                f"文件 {start.source}：土地覆被栅格没有坐标系。请为栅格补充坐标系后重试。"
            )
        if (a.crs != b.crs) or (a.transform != b.transform) or (a.shape != b.shape):
            raise InputError(
                f"文件 {start.source} 与 {end.source}："
                "两期土地覆被栅格的坐标系、范围或分辨率不一致。"
                "请先重采样到同一格网。"
            )
        rcrs = CRS.from_user_input(a.crs.to_wkt())
        geom = _to_crs(district, CRS.from_user_input(crs), rcrs)
        window = _window(geom, a)
        if window is None:
            return pd.DataFrame({"from_group": [], "to_group": [], "area_ha": []})
        transform = a.window_transform(window)
        va = a.read(1, window=window)
        vb = b.read(1, window=window)
    inside = geometry_mask([geom], out_shape=va.shape, transform=transform, invert=True)
    ga = _group_index(va, start.classes, groups, table)
    gb = _group_index(vb, end.classes, groups, table)
    ok = inside & (ga >= 0) & (gb >= 0)
    areas = pixel_areas_m2(transform, rcrs, va.shape)
    n = len(groups)
    sums = np.bincount((ga[ok] * n + gb[ok]), weights=areas[ok], minlength=n * n)
    nz = np.flatnonzero(sums > 0)
    return pd.DataFrame(
        {
            "from_group": [groups[i // n] for i in nz],
            "to_group": [groups[i % n] for i in nz],
            "area_ha": to_ha(sums[nz]),
        }
    )


def compare_matrices(vector: pd.DataFrame, raster: pd.DataFrame) -> MatrixComparison:
    """How far the raster matrix lands from the vector one, per cell and in total (ha, %)."""
    key = ["from_group", "to_group"]
    both = vector.rename(columns={"area_ha": "vector_ha"}).merge(
        raster.rename(columns={"area_ha": "raster_ha"}), on=key, how="outer"
    )
    both[["vector_ha", "raster_ha"]] = both[["vector_ha", "raster_ha"]].fillna(0.0)
    both["diff_ha"] = both["raster_ha"] - both["vector_ha"]
    with np.errstate(divide="ignore", invalid="ignore"):
        both["diff_pct"] = np.where(
            both["vector_ha"] > 0, 100.0 * both["diff_ha"] / both["vector_ha"], np.nan
        )
    total = float(both["vector_ha"].sum())
    abs_diff = float(both["diff_ha"].abs().sum())
    return MatrixComparison(both, abs_diff, 100.0 * abs_diff / total if total > 0 else 0.0)


def pixel_areas_m2(transform: rasterio.Affine, crs: CRS, shape: tuple[int, int]) -> np.ndarray:
    """Ellipsoidal area in m² of every pixel of a grid (lattice + bilinear interpolation)."""
    h, w = shape
    rows = np.unique(np.linspace(0, h - 1, min(h, LATTICE)).round().astype(int))
    cols = np.unique(np.linspace(0, w - 1, min(w, LATTICE)).round().astype(int))
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    corners = [(0, 0), (1, 0), (1, 1), (0, 1)]
    xy = [np.array(transform @ (cc.ravel() + dc, rr.ravel() + dr)) for dc, dr in corners]
    ring = np.stack([np.stack(p, axis=-1) for p in xy], axis=1)  # (n, 4, 2)
    polys = shapely.polygons(ring)
    lattice = ellipsoidal_area_m2(polys, crs).reshape(rr.shape)
    along_cols = _interp_axis(lattice, cols, np.arange(w), axis=1)
    return _interp_axis(along_cols, rows, np.arange(h), axis=0)


def _interp_axis(values: np.ndarray, at: np.ndarray, to: np.ndarray, axis: int) -> np.ndarray:
    if len(at) == 1:
        return np.repeat(values, len(to), axis=axis)
    i1 = np.clip(np.searchsorted(at, to, side="right"), 1, len(at) - 1)
    i0 = i1 - 1
    t = (to - at[i0]) / (at[i1] - at[i0])
    v = np.moveaxis(values, axis, 0)
    out = v[i0] * (1 - t)[:, None] + v[i1] * t[:, None]
    return np.moveaxis(out, 0, axis)


def _group_index(
    values: np.ndarray, classes: dict[int, str], groups: list[str], table: LandClassTable
) -> np.ndarray:
    order = {g: i for i, g in enumerate(groups)}
    lut = {int(v): order[table.group(table.normalise(code))] for v, code in classes.items()}
    uniq, inv = np.unique(values, return_inverse=True)
    mapped = np.array([lut.get(int(v), -1) for v in uniq], dtype=int)
    return mapped[inv].reshape(values.shape)


def _to_crs(geom: shapely.Geometry, src: CRS, dst: CRS) -> shapely.Geometry:
    if src == dst:
        return geom
    t = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _window(geom: shapely.Geometry, src: rasterio.io.DatasetReader) -> Window | None:
    import rasterio
    from rasterio.windows import Window, from_bounds

    full = Window(0, 0, src.width, src.height)
    win = from_bounds(*geom.bounds, transform=src.transform).round_offsets()
    win = Window(
        win.col_off, win.row_off, int(np.ceil(win.width)) + 1, int(np.ceil(win.height)) + 1
    )
    try:
        return win.intersection(full)
    except rasterio.errors.WindowError:
        return None
