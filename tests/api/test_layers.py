"""LayerIndex: queries in lon/lat over a frame kept in the package CRS, reprojecting only hits."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box

from api.layers import LayerIndex

CRS = "EPSG:4527"
X0, Y0 = 39_500_000.0, 4_300_000.0
TO_LONLAT = Transformer.from_crs(CRS, 4326, always_xy=True)


@pytest.fixture
def layer() -> LayerIndex:
    cells = [box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100) for i in range(50)]
    frame = gpd.GeoDataFrame({"n": np.arange(50), "name": [f"图斑{i}" for i in range(50)]},
                             geometry=cells, crs=CRS)  # fmt: skip
    return LayerIndex(id="t", title="t", description="", frame=frame)


def lonlat_box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    lon0, lat0 = TO_LONLAT.transform(x0, y0)
    lon1, lat1 = TO_LONLAT.transform(x1, y1)
    return lon0, lat0, lon1, lat1


def test_query_takes_lonlat_and_finds_the_cells_inside(layer: LayerIndex) -> None:
    hits = layer.query(lonlat_box(X0 + 1020, Y0 + 10, X0 + 1280, Y0 + 90))
    assert list(hits) == [10, 11, 12]
    assert len(layer.query(None)) == len(layer) == 50


def test_only_the_asked_features_are_reprojected_and_described(layer: LayerIndex) -> None:
    props = layer.properties([3, 7])
    assert props == [{"n": 3, "name": "图斑3"}, {"n": 7, "name": "图斑7"}]
    (ll,) = layer.lonlat([3])
    lon, lat = TO_LONLAT.transform(X0 + 300, Y0)
    assert np.abs(shapely.get_coordinates(ll) - [lon, lat]).sum(axis=1).min() < 1e-9  # a corner
    (merc,) = layer.mercator([3])
    assert abs(shapely.get_coordinates(merc)[0, 0]) > 1e6  # metres in EPSG:3857
    assert len(layer.mercator([])) == 0


def test_bbox_is_in_lonlat(layer: LayerIndex) -> None:
    lon0, lat0, lon1, lat1 = layer.bbox
    assert 116 < lon0 < lon1 < 118 and 38 < lat0 < lat1 < 40
