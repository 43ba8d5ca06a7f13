import geopandas as gpd
import pytest
import shapely

from gisaudit.change.coastline import coastline_lengths_km, natural_rate
from gisaudit.geodesy import geodesic_length_m
from tests.change.squares import EPSG, X0, Y0, coast

DISTRICT = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)


def test_lengths_by_class_along_the_edge():
    frame = coast(
        [
            (shapely.LineString([(X0, Y0 - 50), (X0 + 600, Y0 - 50)]), "natural"),  # 50 m seaward
            (shapely.LineString([(X0 + 600, Y0), (X0 + 1000, Y0)]), "artificial"),
            (shapely.LineString([(X0 + 1000, Y0 + 200), (X0 + 1000, Y0 + 300)]), "estuary"),
        ]
    )
    km = coastline_lengths_km(frame, DISTRICT, EPSG)
    assert km == pytest.approx({"natural": 0.6, "artificial": 0.4, "estuary": 0.1}, rel=1e-6)
    assert natural_rate(km) == pytest.approx(100 * 0.6 / 1.1, rel=1e-6)


def test_coast_beyond_the_buffer_is_clipped_or_excluded():
    frame = coast(
        [
            (shapely.LineString([(X0 - 500, Y0 - 20), (X0 + 500, Y0 - 20)]), "natural"),  # half in
            (shapely.LineString([(X0, Y0 - 300), (X0 + 900, Y0 - 300)]), "artificial"),  # 300 m off
        ]
    )
    km = coastline_lengths_km(frame, DISTRICT, EPSG)
    # inside the 100 m buffer: x from X0 - sqrt(100² - 20²) to X0 + 500
    expected_m = 500 + (100**2 - 20**2) ** 0.5
    assert km["natural"] * 1000 == pytest.approx(expected_m, rel=1e-4)
    assert km["artificial"] == 0.0


def test_lengths_are_geodesic():
    line = shapely.LineString([(X0 + 100, Y0), (X0 + 900, Y0 + 700)])
    km = coastline_lengths_km(coast([(line, "natural")]), DISTRICT, EPSG)
    assert km["natural"] * 1000 == pytest.approx(geodesic_length_m([line], EPSG)[0], rel=1e-12)


def test_no_coast():
    empty = gpd.GeoDataFrame({"coast_class": []}, geometry=[], crs=EPSG)
    km = coastline_lengths_km(empty, DISTRICT, EPSG)
    assert km == {"natural": 0.0, "artificial": 0.0, "estuary": 0.0}
    assert natural_rate(km) is None
