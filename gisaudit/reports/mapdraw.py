"""Fast map drawing: many polygons as one matplotlib path per colour, plus scale bar and north."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

# Map detail: geometries are simplified to about 1/1500 of the map's extent (below a pixel of
# a printed A4 map), which keeps drawing a district of thousands of patches to well under a
# second.
DETAIL = 1500.0


def simplify_for_map(geoms: Sequence[shapely.Geometry] | np.ndarray, extent: float) -> np.ndarray:
    """Simplify geometries for drawing at a map of ``extent`` (CRS units, e.g. metres)."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return arr
    return shapely.simplify(arr, extent / DETAIL, preserve_topology=True)


def polygons_path(geoms: Sequence[shapely.Geometry] | np.ndarray) -> MplPath | None:
    """One compound path of all polygon rings (exteriors CCW, holes CW), or None if empty."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return None
    parts = shapely.get_parts(arr)
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons only
    parts = parts[~shapely.is_empty(parts)]
    if parts.size == 0:
        return None
    parts = shapely.orient_polygons(parts)
    rings = shapely.get_rings(parts)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return None
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    ends = np.r_[starts[1:] - 1, len(coords) - 1]
    codes[starts] = MplPath.MOVETO
    codes[ends] = MplPath.CLOSEPOLY
    return MplPath(coords, codes)


def draw_polygons(
    ax: Axes,
    geoms: Sequence[shapely.Geometry] | np.ndarray,
    facecolor: str,
    edgecolor: str = "none",
    linewidth: float = 0.0,
    alpha: float = 1.0,
    zorder: float = 1,
    label: str | None = None,
) -> PathPatch | None:
    """Draw polygons as one patch (rasterised in vector outputs, so PDFs stay small)."""
    path = polygons_path(geoms)
    if path is None:
        return None
    patch = PathPatch(
        path,
        facecolor=facecolor,
        edgecolor=edgecolor,
        linewidth=linewidth,
        alpha=alpha,
        zorder=zorder,
        label=label,
        rasterized=edgecolor == "none",
    )
    # add_artist, not add_patch: the map's limits are set explicitly, and computing the
    # data limits of a path with many thousand vertices is the slowest part of drawing.
    ax.add_artist(patch)
    return patch


def draw_outline(
    ax: Axes, geoms: Sequence[shapely.Geometry] | np.ndarray, width: float = 1.2
) -> None:
    """Draw the boundary of polygons (the district outline) on top."""
    draw_polygons(ax, geoms, facecolor="none", edgecolor="#222222", linewidth=width, zorder=10)


def frame_map(ax: Axes, bounds: Sequence[float], pad: float = 0.03) -> None:
    """Set equal-aspect limits around ``bounds`` (minx, miny, maxx, maxy) and hide axes."""
    minx, miny, maxx, maxy = bounds
    dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    ax.set_xlim(minx - pad * dx, maxx + pad * dx)
    ax.set_ylim(miny - pad * dy, maxy + pad * dy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()


def _nice_length(target: float) -> float:
    exp = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * exp <= target:
            return step * exp
    return exp


def draw_scale_and_north(ax: Axes, bounds: Sequence[float], fontsize: float = 7) -> None:
    """Scale bar (metres/km, planar Gauss-Krüger) at lower left and a north arrow at top right."""
    minx, miny, maxx, maxy = bounds
    length = _nice_length(max(maxx - minx, 1.0) / 5)
    x0 = minx
    y0 = miny - 0.02 * (maxy - miny)
    ax.plot(
        [x0, x0 + length], [y0, y0], color="#222222", linewidth=2, solid_capstyle="butt", zorder=11
    )
    text = f"{length / 1000:g} 公里" if length >= 1000 else f"{length:g} 米"
    ax.text(x0 + length / 2, y0 - 0.008 * (maxy - miny), text, ha="center", va="top",
            fontsize=fontsize, zorder=11)  # fmt: skip
    ax.annotate(
        "",
        xy=(1.02, 0.93),
        xytext=(1.02, 0.84),
        annotation_clip=False,
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.2},
        zorder=11,
    )
    ax.text(1.02, 0.94, "北", transform=ax.transAxes, ha="center", va="bottom",
            fontsize=fontsize + 1, zorder=11)  # fmt: skip
