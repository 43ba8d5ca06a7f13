from datetime import date

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from gisaudit.change.changeset import build_changeset
from gisaudit.change.raster import compare_matrices, pixel_areas_m2, raster_transition_matrix
from gisaudit.change.vintages import select_vintages
from gisaudit.errors import InputError
from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.model import RasterRef
from tests.change.squares import DISTRICT, EPSG, X0, Y0, package

CLASSES = {1: "0101", 2: "0301", 3: "0702"}
CODE_VALUE = {v: k for k, v in CLASSES.items()}


def _write(path, data, transform, crs=EPSG, nodata=0):
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype="uint8", crs=crs, transform=transform, nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(data, 1)


def _grid_to_raster(grid, n_c, n_r, pixel=10.0):
    """A raster of `pixel` m cells drawing the 100 m grid (row 0 at the south)."""
    per = int(100 / pixel)
    data = np.zeros((n_r * per, n_c * per), dtype="uint8")
    for (c, r), code in grid.items():
        rows = slice((n_r - 1 - r) * per, (n_r - r) * per)
        data[rows, c * per : (c + 1) * per] = CODE_VALUE[code]
    return data, from_origin(X0, Y0 + n_r * 100, pixel, pixel)


def test_raster_matrix_matches_vector_matrix(tmp_path):
    g0 = {
        (0, 0): "0101",
        (1, 0): "0101",
        (2, 0): "0301",
        (0, 1): "0702",
        (1, 1): "0101",
        (2, 1): "0301",
    }
    g1 = {**g0, (1, 0): "0702", (2, 1): "0101"}
    paths = []
    for name, grid in (("a", g0), ("b", g1)):
        data, transform = _grid_to_raster(grid, 3, 2)
        _write(tmp_path / f"{name}.tif", data, transform)
        paths.append(tmp_path / f"{name}.tif")
    d0, d1 = date(2018, 12, 31), date(2023, 12, 31)
    refs = [RasterRef(d, p, p.name, CLASSES) for d, p in zip((d0, d1), paths, strict=True)]
    pkg = package({d0: g0, d1: g1})
    district = pkg.districts.geometry.iloc[0]
    raster = raster_transition_matrix(refs[0], refs[1], district, EPSG)
    vector = build_changeset(
        pkg, DISTRICT, select_vintages(pkg.vintages, d0, None)
    ).transition_matrix()
    cmp = compare_matrices(vector, raster)
    assert set(zip(raster["from_group"], raster["to_group"], strict=True)) == set(
        zip(vector["from_group"], vector["to_group"], strict=True)
    )
    assert cmp.total_abs_diff_pct < 1e-4
    assert raster["area_ha"].sum() == pytest.approx(6.0, rel=1e-6)
    cell = cmp.cells.set_index(["from_group", "to_group"]).loc[("farmland", "built")]
    assert cell["raster_ha"] == pytest.approx(1.0, rel=1e-6)


def test_pixel_areas_are_ellipsoidal(tmp_path):
    # a raster far from the central meridian (x = 40 500 000 would be outside zone 39: use
    # 39 650 000, 150 km east), where planar and ellipsoidal areas differ by ~0.03 %
    transform = from_origin(39_650_000, 4_330_000, 30, 30)
    areas = pixel_areas_m2(transform, EPSG, (50, 40))
    corners = [(0, 0), (49, 39), (25, 17)]
    for r, c in corners:
        x, y = transform @ (c, r)
        exact = ellipsoidal_area_m2([shapely.box(x, y - 30, x + 30, y)], EPSG)[0]
        assert areas[r, c] == pytest.approx(exact, rel=1e-9)
    assert abs(areas.mean() / 900 - 1) > 1e-4  # not the planar area


def test_nodata_pixels_are_not_counted(tmp_path):
    data = np.array([[1, 0], [1, 1]], dtype="uint8")
    transform = from_origin(X0, Y0 + 200, 100, 100)
    _write(tmp_path / "a.tif", data, transform)
    ref = RasterRef(date(2020, 1, 1), tmp_path / "a.tif", "a.tif", CLASSES)
    m = raster_transition_matrix(ref, ref, shapely.box(X0, Y0, X0 + 200, Y0 + 200), EPSG)
    assert m["area_ha"].sum() == pytest.approx(3.0, rel=1e-6)


def test_mismatched_grids_are_an_input_error(tmp_path):
    data = np.ones((2, 2), dtype="uint8")
    _write(tmp_path / "a.tif", data, from_origin(X0, Y0 + 200, 100, 100))
    _write(tmp_path / "b.tif", data, from_origin(X0, Y0 + 200, 50, 50))
    a = RasterRef(date(2020, 1, 1), tmp_path / "a.tif", "a.tif", CLASSES)
    b = RasterRef(date(2021, 1, 1), tmp_path / "b.tif", "b.tif", CLASSES)
    with pytest.raises(InputError, match="不一致"):
        raster_transition_matrix(a, b, shapely.box(X0, Y0, X0 + 200, Y0 + 200), EPSG)
