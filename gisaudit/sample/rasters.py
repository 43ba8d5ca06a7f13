"""Per-vintage rasters of the sample package: RGB imagery and a classified land-cover GeoTIFF.

Both are rendered from the vintage's patches on one grid (``pixel_m``, default 10 m) over all
districts, block by block (1024 rows at a time: memory stays small at any size). Imagery
gets a colour per class, a stable per-patch tone (from its BSM, so an unchanged patch looks
the same every year) and a fixed noise texture, and is written tiled, JPEG/YCbCr compressed.
Land cover is uint8 with nodata 0, DEFLATE compressed. Vintages render in parallel.
"""

from __future__ import annotations

import functools
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import numpy as np
import pyogrio
import rasterio
import shapely
import yaml
from rasterio import features
from rasterio.transform import from_origin
from rasterio.windows import Window

from gisaudit.layers.classes import default_class_table

BLOCK_ROWS = 1024
_NOISE = 512


@dataclass(frozen=True)
class Grid:
    """The raster grid: origin (upper left), pixel size (m), shape, CRS."""

    left: float
    top: float
    pixel: float
    width: int
    height: int
    crs: str

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], pixel: float, crs: str) -> Grid:
        """A grid snapped to whole pixels that covers ``bounds``."""
        left = np.floor(bounds[0] / pixel) * pixel
        top = np.ceil(bounds[3] / pixel) * pixel
        width = int(np.ceil((bounds[2] - left) / pixel))
        height = int(np.ceil((top - bounds[1]) / pixel))
        return cls(float(left), float(top), pixel, width, height, crs)

    @property
    def transform(self):
        """The affine transform of the grid."""
        return from_origin(self.left, self.top, self.pixel, self.pixel)


@functools.cache
def palette() -> dict:
    """The parsed palette.yaml."""
    text = resources.files("gisaudit.sample").joinpath("data/palette.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def colour(code: str) -> tuple[int, int, int]:
    """RGB of a class code: its own colour, else its base code's, else its group's."""
    pal = palette()
    table = default_class_table()
    for key in (code, table.base(code)):
        if key in pal["codes"]:
            return tuple(pal["codes"][key])
    return tuple(pal["groups"][table.group(code)])


def _tone(bsm: np.ndarray) -> np.ndarray:
    return np.array([zlib.crc32(str(b).encode()) % 25 - 12 for b in bsm], dtype=np.int16)


def render_vintage(gpkg: Path, image_path: Path, cover_path: Path, grid: Grid,
                   values: dict[str, int], seed: int) -> None:
    """Render one land-use GeoPackage (layer DLTB) into imagery and land cover GeoTIFFs."""
    frame = pyogrio.read_dataframe(gpkg, layer="DLTB", columns=["BSM", "DLBM"])
    geoms = frame.geometry.to_numpy()
    codes = frame["DLBM"].to_numpy()
    uniq, inv = np.unique(codes, return_inverse=True)
    cls_of = np.concatenate([[0], np.array([values[c] for c in uniq], dtype=np.uint8)[inv]])
    background = np.array(palette()["background"], dtype=np.int16)
    # colour per patch: class colour + a stable tone from its BSM; index 0 = outside
    rgb_of = np.array([colour(c) for c in uniq], dtype=np.int16)[inv]
    rgb_of += _tone(frame["BSM"].to_numpy())[:, None]
    rgb_of = np.vstack([background, rgb_of]).astype(np.int16)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 5, (_NOISE, _NOISE, 3)).astype(np.int16)
    noise += rng.normal(0, 4, (_NOISE // 8, _NOISE // 8, 1)).repeat(8, 0).repeat(8, 1).astype(
        np.int16)
    # one band of texture as wide as the grid, reused by every block (blocks start aligned)
    band = np.tile(noise, (BLOCK_ROWS // _NOISE, grid.width // _NOISE + 1, 1))[:, :grid.width]
    tree = shapely.STRtree(geoms)
    common = {"driver": "GTiff", "width": grid.width, "height": grid.height, "crs": grid.crs,
                  "transform": grid.transform, "tiled": True, "blockxsize": 512, "blockysize": 512,
                  "BIGTIFF": "IF_SAFER"}
    img_profile = dict(common, count=3, dtype="uint8", compress="JPEG", photometric="YCBCR",
                       jpeg_quality=80)
    lc_profile = dict(common, count=1, dtype="uint8", compress="DEFLATE", nodata=0)
    with rasterio.open(image_path, "w", **img_profile) as img, \
            rasterio.open(cover_path, "w", **lc_profile) as lc:
        for row0 in range(0, grid.height, BLOCK_ROWS):
            rows = min(BLOCK_ROWS, grid.height - row0)
            top = grid.top - row0 * grid.pixel
            box = shapely.box(grid.left, top - rows * grid.pixel,
                              grid.left + grid.width * grid.pixel, top)
            hit = tree.query(box)
            tf = from_origin(grid.left, top, grid.pixel, grid.pixel)
            index = np.zeros((rows, grid.width), dtype=np.uint32)
            if len(hit):
                features.rasterize(zip(geoms[hit], hit + 1, strict=True), out=index,
                                   transform=tf, merge_alg=features.MergeAlg.replace)
            lc.write(cls_of[index], 1, window=Window(0, row0, grid.width, rows))
            rgb = rgb_of[index]
            rgb += band[:rows]
            rgb = np.clip(rgb, 0, 255, out=rgb).astype(np.uint8)
            img.write(np.moveaxis(rgb, 2, 0), window=Window(0, row0, grid.width, rows))


def render_all(jobs: list[tuple[Path, Path, Path]], grid: Grid, values: dict[str, int],
               seed: int, workers: int = 2, progress=None) -> None:
    """Render every (gpkg, imagery, landcover) job, ``workers`` vintages at a time."""
    # fork: no re-import of the caller's main module (scripts without a __main__ guard work)
    ctx = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(render_vintage, g, i, c, grid, values, seed) for g, i, c in jobs]
        for n, fut in enumerate(futures, 1):
            fut.result()
            if progress:
                progress("渲染影像与土地覆盖栅格", n, len(futures))
