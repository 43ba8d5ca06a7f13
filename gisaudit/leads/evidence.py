"""Before/after image chips (前后时相影像) for a lead, cut from the package imagery.

A chip is a square window around the lead's bounds plus a margin (at least ``min_side_m``
on the ground), read with a rasterio windowed, decimated read (fast: only the window's
pixels at the chip's resolution), rendered to a ``size_px`` × ``size_px`` RGB PNG with the
lead outline drawn in red. Areas outside the raster are light grey. The before chip uses the
imagery vintage nearest the start vintage, the after chip the one nearest the end vintage.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from PIL import Image, ImageDraw
from pyproj import CRS, Transformer

from gisaudit.layers.model import RasterRef

if TYPE_CHECKING:
    import rasterio
    from rasterio.windows import Window

OUTLINE_RGB = (255, 0, 0)
BACKGROUND_RGB = (235, 235, 235)


@dataclass(frozen=True)
class Chip:
    """One rendered chip: PNG path, imagery vintage and role (before/after)."""

    path: Path
    vintage: date
    role: str  # "before" | "after"


def nearest_imagery(imagery: Sequence[RasterRef], when: date) -> RasterRef | None:
    """The imagery whose vintage is nearest ``when`` (ties: the earlier one); None if none."""
    if not imagery:
        return None
    return min(imagery, key=lambda r: (abs((r.vintage - when).days), r.vintage))


def chip_bounds(
    geom: shapely.Geometry, min_side_m: float = 300.0, margin: float = 0.25
) -> tuple[float, float, float, float]:
    """Square ground window around ``geom`` (its CRS units, metres): bounds plus a margin."""
    x0, y0, x1, y1 = geom.bounds
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    side = max(side, min_side_m)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def _to_rgb(data: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Bands (3, h, w) of any dtype -> uint8 (h, w, 3); non-uint8 stretched 2–98 %."""
    if data.dtype != np.uint8:
        out = np.zeros(data.shape, dtype=np.uint8)
        for b in range(data.shape[0]):
            band = data[b].astype(float)
            values = band[valid]
            if values.size:
                lo, hi = np.percentile(values, [2, 98])
                scale = 255.0 / (hi - lo) if hi > lo else 1.0
                out[b] = np.clip((band - lo) * scale, 0, 255).astype(np.uint8)
        data = out
    return np.moveaxis(data, 0, -1)


class ChipRenderer:
    """Renders chips from a set of imagery rasters, keeping each raster open (use as context)."""

    def __init__(self, crs: CRS | str, size_px: int = 320, min_side_m: float = 300.0) -> None:
        self.crs = CRS.from_user_input(crs)
        self.size_px = size_px
        self.min_side_m = min_side_m
        self._stack = ExitStack()
        self._open: dict[Path, rasterio.DatasetReader] = {}
        self._tr: dict[Path, Transformer | None] = {}

    def __enter__(self) -> ChipRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _dataset(self, path: Path) -> rasterio.DatasetReader:
        if path not in self._open:
            import rasterio  # here: only chips read imagery (rasterio is slow to import)

            src = self._stack.enter_context(rasterio.open(path))
            self._open[path] = src
            same = src.crs is None or CRS.from_user_input(src.crs.to_wkt()).equals(self.crs)
            self._tr[path] = (
                None if same else Transformer.from_crs(self.crs, src.crs.to_wkt(), always_xy=True)
            )
        return self._open[path]

    def render(self, ref: RasterRef, geom: shapely.Geometry) -> Image.Image:
        """An RGB chip of ``ref`` around ``geom`` (package CRS) with the outline in red."""
        from rasterio.enums import Resampling
        from rasterio.windows import Window, from_bounds

        src = self._dataset(ref.path)
        tr = self._tr[ref.path]
        bounds = chip_bounds(geom, self.min_side_m)
        if tr is not None:
            bounds = tr.transform_bounds(*bounds)
            geom = shapely.transform(
                geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
            )
        size = self.size_px
        canvas = np.empty((size, size, 3), dtype=np.uint8)
        canvas[:] = BACKGROUND_RGB
        window = from_bounds(*bounds, transform=src.transform)
        full = Window(0, 0, src.width, src.height)
        if window.width > 0 and window.height > 0 and _overlaps(window, full):
            inter = window.intersection(full)
            sx, sy = size / window.width, size / window.height
            c0 = round((inter.col_off - window.col_off) * sx)
            r0 = round((inter.row_off - window.row_off) * sy)
            w = max(1, min(size - c0, round(inter.width * sx)))
            h = max(1, min(size - r0, round(inter.height * sy)))
            bands = [1, 2, 3] if src.count >= 3 else [1, 1, 1]
            data = src.read(
                bands, window=inter, out_shape=(3, h, w), resampling=Resampling.bilinear
            )
            mask = src.dataset_mask(window=inter, out_shape=(h, w)) > 0
            rgb = _to_rgb(data, mask)
            rgb[~mask] = BACKGROUND_RGB
            canvas[r0 : r0 + h, c0 : c0 + w] = rgb
        image = Image.fromarray(canvas, "RGB")
        _draw_outline(image, geom, bounds, size)
        return image

    def write(self, ref: RasterRef, geom: shapely.Geometry, path: Path, role: str) -> Chip:
        """Render and save a chip as PNG; returns its description."""
        self.render(ref, geom).save(path, format="PNG", optimize=False, compress_level=3)
        return Chip(path=path, vintage=ref.vintage, role=role)


def _overlaps(a: Window, b: Window) -> bool:
    return (a.col_off < b.col_off + b.width and b.col_off < a.col_off + a.width
            and a.row_off < b.row_off + b.height and b.row_off < a.row_off + a.height)  # fmt: skip


def _draw_outline(
    image: Image.Image, geom: shapely.Geometry, bounds: tuple[float, ...], size: int
) -> None:
    x0, y0, x1, y1 = bounds
    sx, sy = size / (x1 - x0), size / (y1 - y0)
    draw = ImageDraw.Draw(image)
    width = max(2, size // 160)
    lines: list[shapely.Geometry] = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon":
            lines += [part.exterior, *part.interiors]
        elif part.geom_type == "LineString":
            lines.append(part)
    for line in lines:
        xy = shapely.get_coordinates(line)
        px = [((x - x0) * sx, (y1 - y) * sy) for x, y in xy]
        if len(px) >= 2:
            draw.line(
                px,
                fill=OUTLINE_RGB,
                width=width + (1 if line.geom_type == "LineString" else 0),
                joint="curve",
            )


def make_chips(
    renderer: ChipRenderer,
    imagery: Sequence[RasterRef],
    geom: shapely.Geometry,
    start: date,
    end: date,
    out_dir: Path,
    lead_id: str,
) -> list[Chip]:
    """Write ``<lead_id>_before.png`` and ``<lead_id>_after.png``; [] without imagery."""
    before, after = nearest_imagery(imagery, start), nearest_imagery(imagery, end)
    if before is None or after is None:
        return []
    return [
        renderer.write(before, geom, out_dir / f"{lead_id}_before.png", "before"),
        renderer.write(after, geom, out_dir / f"{lead_id}_after.png", "after"),
    ]
