"""The land-use overview: PNG tiles of a land-use layer coloured by land class, for district
scale.

At district scale (zoom ≤ ``OVERVIEW_MAX_ZOOM``) a pixel is 30–150 m and a survey patch
(about 100 per km²) a few pixels or less: a vector tile there carries 5,000 to 70,000 patches
(0.3–1 MB, 0.1–0.5 s to encode, more to draw), and the tile is still capped. An overview tile
is a 256 × 256 raster of the layer instead: each pixel takes the land class of the patch that
contains its centre (the rule of ``rasterio.features.rasterize`` without ``all_touched``).

Two ways to get there, chosen by the patches in the tile (they give the same pixels):
- up to ``SCAN_MAX`` patches, a scan-line fill of the patches (``api.rasterise``), whose cost
  is in their vertices: about 3 µs a patch (15–20 ms at 5,000 patches, 60 ms at 20,000);
- beyond (several counties in one tile, at low zoom), each pixel centre is looked up in the
  spatial index (``LayerIndex.containing``), whose cost is in the pixels: 0.05–0.3 s a tile
  however many patches (``rasterio.features.rasterize`` of the reprojected patches took
  0.1 s at 5,000 patches, 1.7 s at 68,000).
With ``district_code`` only that district's patches are drawn, from a spatial index of that
district's patches alone (built once per vintage and district: 10–60 ms), as the tenure page
asks: at 0.88 M patches a vintage its tiles take 20–80 ms (z9–z12), 0.15–0.2 s for the
largest district (滨海新区) at z9–z10.

The drawn tile is kept (an LRU of ``CACHE_TILES`` tiles, 128 KiB each) as one small integer
per pixel: the land class of its patch. Colouring it for a theme and
writing the PNG then take a millisecond or two: the other themes of a tile, and any second
request, reuse it.

Colours: with ``theme``, the theme's map colour on the theme's classes (their base code, spec
§3) and nothing elsewhere; without, every class in its group's colour (the report style, as
the printed report and the web map use them).
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from api.errors import InvalidParameterError
from api.layers import LayerIndex, xy_transform
from api.png import RGBA, encode_png
from api.rasterise import fill_polygons
from api.tiles import tile_bounds, tile_lonlat_bbox
from gisaudit.layers.classes import default_class_table
from gisaudit.reports.styles import default_style

OVERVIEW_MAX_ZOOM = 12  # the tenure page draws the overview up to this zoom, vectors above
TILE_PX = 256
CACHE_TILES = 384
SCAN_MAX = 20_000  # patches in a tile up to which the scan-line fill is the faster way
TRANSPARENT: RGBA = (0, 0, 0, 0)


@dataclass(frozen=True)
class Patches:
    """The patches an overview tile draws: the features of ``layer`` (a land-use layer, or
    its part in one district with its own spatial index), patch ``i`` of land class
    ``codes[kind[i]]`` (``kind`` from 1; ``codes[0]`` stands for no patch)."""

    layer: LayerIndex
    kind: np.ndarray
    codes: np.ndarray


def land_patches(layer: LayerIndex, district: str | None = None) -> Patches:
    """The patches of a land-use ``layer`` (``dlbm``, ``district_code``) in ``district``
    (all of them for None)."""
    codes = layer.frame["dlbm"].to_numpy()
    part = layer
    if district is not None:
        keep = np.flatnonzero(layer.frame["district_code"].to_numpy() == district)
        frame = gpd.GeoDataFrame(geometry=layer.geometries(keep), crs=layer.frame.crs)
        part = LayerIndex(id=f"{layer.id}:{district}", title=layer.title, description="",
                          frame=frame)  # fmt: skip
        codes = codes[keep]
    kind, table = pd.factorize(codes.astype(str))
    dtype = np.uint16 if len(table) < 2**16 - 1 else np.uint32
    return Patches(part, (kind + 1).astype(dtype), np.concatenate([[""], table]).astype(object))


def sample_tile(patches: Patches, z: int, x: int, y: int, size: int = TILE_PX) -> np.ndarray:
    """``size`` × ``size`` kinds (``Patches.kind``; 0: no patch) of the pixels of tile
    z/x/y, each the kind of the patch containing the pixel's centre (rows from the north),
    looked up pixel by pixel in the spatial index of the ``patches``."""
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    centres = (np.arange(size) + 0.5) / size
    px, py = np.meshgrid(minx + centres * (maxx - minx), maxy - centres * (maxy - miny))
    patch = patches.layer.containing(px.ravel(), py.ravel(), epsg=3857)
    pixels = np.zeros(size * size, dtype=patches.kind.dtype)
    inside = patch >= 0
    pixels[inside] = patches.kind[patch[inside]]
    return pixels.reshape(size, size)


def draw_tile(patches: Patches, z: int, x: int, y: int, size: int = TILE_PX) -> np.ndarray:
    """The kinds of the pixels of tile z/x/y as ``sample_tile`` gives them; by a scan-line
    fill of the patches in the tile when they are at most ``SCAN_MAX``."""
    hits = patches.layer.query(tile_lonlat_bbox(z, x, y))
    if len(hits) > SCAN_MAX:
        return sample_tile(patches, z, x, y, size)
    to_mercator = xy_transform(patches.layer.crs, 3857)
    geoms = patches.layer.geometries(hits)
    return fill_polygons(geoms, patches.kind[hits], tile_bounds(z, x, y), size, to_mercator)


def _hex(colour: str, alpha: int = 255) -> RGBA:
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16), alpha


@functools.cache
def class_colour(code: str, theme: str | None) -> RGBA:
    """A land class's overview colour: the theme's colour when the class is in ``theme``
    (transparent when not), or its group's colour without a theme."""
    table, style = default_class_table(), default_style()
    try:
        if theme is None:
            return _hex(style.group_colours.get(table.group(code), "#888888"))
        return (
            _hex(style.theme_maps.get(theme, "#888888"))
            if table.in_theme(code, theme)
            else TRANSPARENT
        )
    except KeyError:  # a code the table does not know (cannot pass validation): not drawn
        return TRANSPARENT


def check_theme(theme: str | None) -> None:
    """InvalidParameterError unless ``theme`` is None or a theme of the land-class table."""
    themes = default_class_table().themes
    if theme is not None and theme not in themes:
        known = "、".join(sorted(themes))
        raise InvalidParameterError(
            f"未知专题“{theme}”。可用专题：{known}；不给 theme 则按地类分组着色。"
        )


def colour_tile(pixels: np.ndarray, codes: np.ndarray, theme: str | None = None) -> bytes:
    """The PNG of drawn ``pixels`` (indices of ``codes``, 0: none) coloured for ``theme``
    (see ``class_colour``)."""
    lookup = [TRANSPARENT] + [class_colour(str(c), theme) for c in codes[1:]]
    palette = list(dict.fromkeys([TRANSPARENT, *lookup]))
    where = {colour: i for i, colour in enumerate(palette)}
    index = np.array([where[c] for c in lookup], dtype=np.uint8)
    return encode_png(index[pixels], palette)


class OverviewTiles:
    """Overview tiles of land-use layers: the patches of each (layer, district) and the drawn
    tiles cached (LRUs of ``max_layers`` and ``max_tiles``).

    Entries hold their layer weakly: a package the store forgets is not kept alive here, and
    a layer loaded again (same id, new object) is drawn again."""

    def __init__(self, max_tiles: int = CACHE_TILES, max_layers: int = 12) -> None:
        self.max_tiles, self.max_layers = max_tiles, max_layers
        self._lock = threading.Lock()
        self._patches: OrderedDict[Any, tuple[weakref.ref[LayerIndex], Patches]] = OrderedDict()
        self._tiles: OrderedDict[Any, tuple[weakref.ref[LayerIndex], Any]] = OrderedDict()
        self._building: dict[Any, threading.Lock] = {}
        self.drawn = 0  # tiles drawn (cache misses), for tests and benchmarks

    def _get(self, cache: OrderedDict, key: Any, layer: LayerIndex) -> Any:
        with self._lock:
            entry = cache.get(key)
            if entry is None or entry[0]() is not layer:
                return None
            cache.move_to_end(key)
            return entry[1]

    def _put(self, cache: OrderedDict, key: Any, layer: LayerIndex, value: Any, size: int) -> None:
        with self._lock:
            cache[key] = (weakref.ref(layer), value)
            cache.move_to_end(key)
            while len(cache) > size:
                cache.popitem(last=False)

    def patches(self, layer: LayerIndex, district: str | None = None) -> Patches:
        """``land_patches`` of ``layer`` in ``district`` (once per layer object and district:
        the page's first tiles of a district arrive together, one of them builds it)."""
        key = (layer.id, district)
        patches = self._get(self._patches, key, layer)
        if patches is not None:
            return patches
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            patches = self._get(self._patches, key, layer)
            if patches is None:
                patches = land_patches(layer, district)
                patches.layer.tree  # noqa: B018 (its spatial index, built here once)
                self._put(self._patches, key, layer, patches, self.max_layers)
        with self._lock:
            self._building.pop(key, None)
        return patches

    def pixels(
        self, layer: LayerIndex, z: int, x: int, y: int, district: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The drawn tile z/x/y of ``layer`` (``draw_tile``; cached): its pixels and the land
        class codes they index."""
        key = (layer.id, z, x, y, district)
        drawn = self._get(self._tiles, key, layer)
        if drawn is None:
            patches = self.patches(layer, district)
            drawn = (draw_tile(patches, z, x, y), patches.codes)
            self._put(self._tiles, key, layer, drawn, self.max_tiles)
            with self._lock:
                self.drawn += 1
        return drawn

    def png(
        self,
        layer: LayerIndex,
        z: int,
        x: int,
        y: int,
        *,
        theme: str | None = None,
        district: str | None = None,
    ) -> bytes:
        """The overview tile z/x/y of a land-use ``layer`` as PNG (see the module's notes)."""
        check_theme(theme)
        return colour_tile(*self.pixels(layer, z, x, y, district), theme)


OVERVIEW = OverviewTiles()
