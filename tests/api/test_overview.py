"""The land-use overview tiles: pixels drawn from the real patches, coloured, cached."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio.features
import rasterio.transform
import shapely
from PIL import Image

import api.overview
from api.errors import InvalidParameterError
from api.layers import LayerIndex, package_layers
from api.overview import OverviewTiles, Patches, draw_tile, land_patches, sample_tile
from api.tiles import tile_bounds
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.package import load_package
from gisaudit.reports.styles import default_style
from tests.factories import make_package

CODES = ("0101", "0102", "1101", "0301", "0702", "1104A", "1203")
TILE = (12, 3379, 1565)  # holds the package's two districts (≈117.0–117.05°E, 39.0°N)


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> LayerIndex:
    """The 2018 land use of a real package: two districts of 8 × 8 patches of 250 m."""
    root = make_package(tmp_path_factory.mktemp("overview"), codes=[CODES], grid=8, zones=False,
                        coastline=False, targets=False)  # fmt: skip
    return package_layers("p", load_package(root))["landuse-p-2018-12-31"]


def rgba(png: bytes) -> np.ndarray:
    """A PNG decoded by Pillow, as height × width × RGBA."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (256, 256)
    return np.asarray(image.convert("RGBA"))


def colour(hex_colour: str) -> tuple[int, int, int]:
    text = hex_colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def each_patch(layer: LayerIndex) -> Patches:
    """Every patch of ``layer`` as its own kind (kind = position + 1)."""
    codes = np.concatenate([[""], layer.frame["dlbm"].astype(str).to_numpy()]).astype(object)
    return Patches(layer, np.arange(1, len(layer) + 1, dtype=np.uint32), codes)


def pixel_codes(layer: LayerIndex) -> tuple[np.ndarray, np.ndarray]:
    """The code and district of the patch under each pixel of TILE ("" for none)."""
    pixels = sample_tile(each_patch(layer), *TILE)
    districts = np.concatenate([[""], layer.frame["district_code"].astype(str).to_numpy()])
    return each_patch(layer).codes[pixels], districts[pixels]


def test_each_pixel_is_the_patch_under_its_centre_as_rasterio_draws_it(layer, monkeypatch):
    merc = layer.mercator(np.arange(len(layer)))
    transform = rasterio.transform.from_bounds(*tile_bounds(*TILE), 256, 256)
    reference = rasterio.features.rasterize(  # the position + 1 of the patch under a pixel
        zip(merc, range(1, len(layer) + 1), strict=True),
        out_shape=(256, 256),
        transform=transform,
        fill=0,
        dtype="int32",
    )
    assert (reference > 0).sum() > 5_000  # the tile does cover the districts
    assert (reference == 0).sum() > 1_000  # and some land beyond them
    patches = each_patch(layer)
    sampled = sample_tile(patches, *TILE)  # pixel by pixel in the spatial index
    monkeypatch.setattr(api.overview, "SCAN_MAX", 10**9)
    filled = draw_tile(patches, *TILE)  # scan-line fill
    monkeypatch.setattr(api.overview, "SCAN_MAX", 0)
    assert np.array_equal(draw_tile(patches, *TILE), sampled)
    for pixels in (sampled, filled):  # differences only where an edge meets a pixel centre
        assert (pixels == reference).mean() > 0.999
    assert (sampled == filled).mean() > 0.999
    # one district's patches, from their own index, either way: its pixels, by class
    own = land_patches(layer, "120111")
    districts = layer.frame["district_code"].astype(str).to_numpy()
    expected = np.where(districts[np.maximum(reference - 1, 0)] == "120111", reference, 0)
    expected = np.where(expected > 0, patches.codes[expected], "")
    assert len(own.layer) == 64 and (expected != "").sum() > 2_000
    for scan_max in (0, 10**9):
        monkeypatch.setattr(api.overview, "SCAN_MAX", scan_max)
        assert (own.codes[draw_tile(own, *TILE)] == expected).mean() > 0.999
    assert sorted(own.codes[1:]) == sorted(set(CODES))  # each class once


def test_a_theme_is_drawn_in_its_colour_on_its_classes_only(layer):
    tiles = OverviewTiles()
    image = rgba(tiles.png(layer, *TILE, theme="water"))
    codes, _ = pixel_codes(layer)
    table = default_class_table()
    water = np.vectorize(lambda c: bool(c) and table.in_theme(c, "water"))(codes)
    assert (codes == "1104A").any()  # a suffixed code, in the theme by its base code 1104
    painted = image[..., 3] > 0
    assert water.sum() > 1000 and np.array_equal(painted, water)
    blue = colour(default_style().theme_maps["water"])
    assert {tuple(p) for p in image[painted][:, :3]} == {blue}
    assert (image[painted][:, 3] == 255).all()


def test_one_district_and_every_class_by_its_group(layer):
    tiles = OverviewTiles()
    codes, districts = pixel_codes(layer)
    own = rgba(tiles.png(layer, *TILE, theme="farmland", district="120110"))[..., 3] > 0
    farmland = np.isin(codes, ["0101", "0102"])
    assert own.sum() > 0 and np.array_equal(own, farmland & (districts == "120110"))
    none = rgba(tiles.png(layer, *TILE, theme="farmland", district="120119"))
    assert (none[..., 3] == 0).all()
    grouped = rgba(tiles.png(layer, *TILE))
    style, table = default_style(), default_class_table()
    for code in CODES:
        where = codes == code
        assert where.any(), code
        expected = colour(style.group_colours[table.group(code)])
        assert {tuple(p) for p in grouped[where][:, :3]} == {expected}, code
    assert (grouped[codes == ""][:, 3] == 0).all()


def test_drawn_tiles_are_cached_per_tile_district_and_layer(layer):
    tiles = OverviewTiles(max_tiles=3)
    first = tiles.png(layer, *TILE, theme="farmland")
    tiles.png(layer, *TILE, theme="water")
    tiles.png(layer, *TILE)
    assert tiles.drawn == 1  # the other themes only recolour
    assert tiles.png(layer, *TILE, theme="farmland") == first
    tiles.png(layer, *TILE, theme="water", district="120111")
    assert tiles.drawn == 2  # one district's tile is drawn on its own
    z, x, y = TILE
    tiles.png(layer, z, x + 1, y)
    tiles.png(layer, z, x, y + 1)  # the LRU holds three tiles: TILE is forgotten
    assert tiles.drawn == 4
    assert tiles.png(layer, *TILE, theme="farmland") == first
    assert tiles.drawn == 5
    reloaded = LayerIndex(id=layer.id, title="", description="", frame=layer.frame)
    tiles.png(reloaded, *TILE)  # the same id loaded again: drawn again
    assert tiles.drawn == 6


def test_an_unknown_theme_is_refused_in_chinese(layer):
    with pytest.raises(InvalidParameterError, match="未知专题"):
        OverviewTiles().png(layer, *TILE, theme="nope")


def test_containing_finds_the_patch_of_each_point(layer):
    geoms = layer.frame.geometry.to_numpy()
    inner = shapely.get_coordinates(shapely.point_on_surface(geoms[:5]))
    x = np.concatenate([inner[:, 0], [0.0, np.nan]])
    y = np.concatenate([inner[:, 1], [0.0, 1.0]])
    assert layer.containing(x, y, epsg=4527).tolist() == [0, 1, 2, 3, 4, -1, -1]
    lonlat = shapely.get_coordinates(layer.lonlat(np.arange(3)).tolist()[0].centroid)
    assert layer.containing(lonlat[:, 0], lonlat[:, 1], epsg=4326).tolist() == [0]


def test_a_districts_patches_are_built_once_for_tiles_asked_together(layer, monkeypatch):
    import time
    from concurrent.futures import ThreadPoolExecutor

    def slow(*args):  # a building that takes a while, as at survey scale
        time.sleep(0.05)
        return land_patches(*args)

    monkeypatch.setattr(api.overview, "land_patches", slow)
    tiles = OverviewTiles()
    with ThreadPoolExecutor(8) as pool:
        built = list(pool.map(lambda _: tiles.patches(layer, "120111"), range(16)))
    assert all(p is built[0] for p in built)
    assert len(built[0].layer) == 64 and tiles.patches(layer, "120111") is built[0]
