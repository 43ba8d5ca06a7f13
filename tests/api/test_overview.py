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
from api.overview import (
    OverviewTiles,
    Patches,
    district_patches,
    draw_tile,
    patch_kinds,
    sample_tile,
)
from api.png import encode_png
from api.rasterise import fitted_transform
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


def pixel_codes(layer: LayerIndex) -> tuple[np.ndarray, np.ndarray]:
    """The code and district of the patch under each pixel of TILE ("" for none)."""
    kinds = patch_kinds(layer)
    pixels = sample_tile(Patches(layer, kinds.of_patch), *TILE)
    return kinds.codes[pixels], kinds.districts[pixels]


def test_each_pixel_is_the_patch_under_its_centre_as_rasterio_draws_it(layer, monkeypatch):
    kinds = patch_kinds(layer)
    merc = layer.mercator(np.arange(len(layer)))
    transform = rasterio.transform.from_bounds(*tile_bounds(*TILE), 256, 256)
    reference = rasterio.features.rasterize(
        zip(merc, kinds.of_patch.astype(int), strict=True),
        out_shape=(256, 256),
        transform=transform,
        fill=0,
        dtype="int32",
    )
    assert (reference > 0).sum() > 5_000  # the tile does cover the districts
    assert (reference == 0).sum() > 1_000  # and some land beyond them
    patches = Patches(layer, kinds.of_patch)
    sampled = sample_tile(patches, *TILE)  # pixel by pixel in the spatial index
    monkeypatch.setattr(api.overview, "SCAN_MAX", 10**9)
    filled = draw_tile(patches, *TILE)  # scan-line fill
    monkeypatch.setattr(api.overview, "SCAN_MAX", 0)
    assert np.array_equal(draw_tile(patches, *TILE), sampled)
    for pixels in (sampled, filled):  # differences only where an edge meets a pixel centre
        assert (pixels == reference).mean() > 0.999
    assert (sampled == filled).mean() > 0.999
    # one district's patches, from their own index, either way: the same pixels
    district = np.where(kinds.districts[reference] == "120111", reference, 0)
    own = district_patches(layer, kinds, "120111")
    assert len(own.layer) == 64 and (district > 0).sum() > 2_000
    for scan_max in (0, 10**9):
        monkeypatch.setattr(api.overview, "SCAN_MAX", scan_max)
        assert (draw_tile(own, *TILE) == district).mean() > 0.999
    # every kind is a (code, district) pair of the layer
    pairs = set(zip(layer.frame["dlbm"], layer.frame["district_code"], strict=True))
    assert set(zip(kinds.codes[1:], kinds.districts[1:], strict=True)) == pairs


def test_the_scan_line_fill_keeps_holes_and_parts_and_shares_edges():
    """Hand-made shapes on a 10 × 10 grid of unit pixels (bounds 0..10, y up)."""
    from api.rasterise import fill_polygons

    holed = shapely.box(0, 0, 6, 6).difference(shapely.box(2, 2, 4, 4))
    parts = shapely.MultiPolygon([shapely.box(6, 0, 10, 3), shapely.box(8, 8, 10, 10)])
    neighbour = shapely.box(6, 3, 10, 6)  # shares an edge with both
    tiny = shapely.box(0.6, 9.6, 0.9, 9.9)  # holds no pixel centre
    got = fill_polygons(np.array([holed, parts, neighbour, tiny]), np.array([1, 2, 3, 4]),
                        (0.0, 0.0, 10.0, 10.0), 10)  # fmt: skip
    expected = np.zeros((10, 10), dtype=int)  # rows from the north
    expected[4:10, 0:6] = 1
    expected[6:8, 2:4] = 0  # the hole
    expected[7:10, 6:10] = 2
    expected[0:2, 8:10] = 2
    expected[4:7, 6:10] = 3
    assert got.tolist() == expected.tolist()


def test_the_fitted_transform_is_proj_within_a_thousandth_of_a_pixel():
    from pyproj import Transformer

    exact = Transformer.from_crs(4527, 3857, always_xy=True).transform
    bounds = (39_500_000.0, 4_300_000.0, 39_520_000.0, 4_320_000.0)  # 20 km (a z11 tile)
    fast = fitted_transform(exact, bounds, 1e-3)  # a millimetre: 1/30,000 of a z11 pixel
    assert fast is not exact
    rng = np.random.default_rng(3)
    x, y = rng.uniform(bounds[0], bounds[2], 5000), rng.uniform(bounds[1], bounds[3], 5000)
    (ex, ey), (fx, fy) = exact(x, y), fast(x, y)
    assert max(np.abs(ex - fx).max(), np.abs(ey - fy).max()) < 1e-3  # metres
    wide = (39_300_000.0, 4_200_000.0, 39_600_000.0, 4_500_000.0)  # 300 km: a cubic is off
    assert fitted_transform(exact, wide, 1e-3) is exact  # by metres: PROJ itself


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


def test_png_round_trips_through_pillow():
    rng = np.random.default_rng(7)
    palette = [(0, 0, 0, 0), (217, 184, 15, 255), (63, 136, 209, 128), (1, 2, 3, 255)]
    indices = rng.integers(0, len(palette), size=(40, 70))
    image = Image.open(io.BytesIO(encode_png(indices, palette)))
    assert image.mode == "P" and image.size == (70, 40)
    assert np.array_equal(np.asarray(image.convert("RGBA")), np.asarray(palette)[indices])
    opaque = Image.open(io.BytesIO(encode_png(np.zeros((2, 2), int), [(5, 6, 7, 255)])))
    assert np.asarray(opaque.convert("RGBA")).tolist() == [[[5, 6, 7, 255]] * 2] * 2
    with pytest.raises(ValueError):
        encode_png(np.full((2, 2), 3), palette[:2])
