"""Tiny exact inputs for the lead tests: squares in EPSG:4527 near 117°E 39°N."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.model import AuditPackage, CoastlineVintage, RasterRef

PKG_CRS = CRS.from_epsg(4527)
X0, Y0 = 39_500_000.0, 4_320_000.0
DISTRICT = "120116"
START, END = date(2018, 12, 31), date(2023, 12, 31)


def sq(x: float, y: float, w: float, h: float | None = None) -> shapely.Polygon:
    """A w×h (m) rectangle whose lower-left corner is (x, y) metres from the origin."""
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def line(*xy: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def area(geom: shapely.Geometry) -> float:
    """Ellipsoidal area (m²) of one geometry in the package CRS."""
    return float(ellipsoidal_area_m2([geom], PKG_CRS)[0])


def changes(*rows: tuple) -> gpd.GeoDataFrame:
    """Change pieces from (geometry, from_code, to_code[, change_vintage]) rows."""
    table = default_class_table()
    geoms = [r[0] for r in rows]
    frm = [r[1] for r in rows]
    to = [r[2] for r in rows]
    vint = [r[3] if len(r) > 3 else END for r in rows]
    return gpd.GeoDataFrame(
        {
            "from_code": frm,
            "to_code": to,
            "from_group": [table.group(c) for c in frm],
            "to_group": [table.group(c) for c in to],
            "area_m2": ellipsoidal_area_m2(geoms, PKG_CRS) if geoms else np.zeros(0),
            "change_vintage": vint,
        },
        geometry=gpd.GeoSeries(geoms, crs=PKG_CRS),
        crs=PKG_CRS,
    )


def zone(*geoms: shapely.Geometry, dates: list[date] | None = None) -> gpd.GeoDataFrame:
    data = {"approval_date": dates} if dates is not None else {}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geoms), crs=PKG_CRS), crs=PKG_CRS)


def coast(vintage: date, *rows: tuple[shapely.Geometry, str]) -> CoastlineVintage:
    from gisaudit.layers.model import COASTLINE_TYPES

    frame = gpd.GeoDataFrame(
        {"coast_type": [t for _, t in rows], "coast_class": [COASTLINE_TYPES[t] for _, t in rows]},
        geometry=gpd.GeoSeries([g for g, _ in rows], crs=PKG_CRS),
        crs=PKG_CRS,
    )
    return CoastlineVintage(vintage=vintage, frame=frame, source="coast.gpkg")


def package(root: Path = Path("."), zones=None, coastline=(), imagery=()) -> AuditPackage:
    district = sq(-5000, -5000, 20000)
    districts = gpd.GeoDataFrame(
        {"district_code": [DISTRICT], "name": ["滨海新区"], "area_m2": [area(district)]},
        geometry=gpd.GeoSeries([district], crs=PKG_CRS),
        crs=PKG_CRS,
    )
    return AuditPackage(
        root=root,
        name="测试",
        crs=PKG_CRS,
        districts=districts,
        landuse=(),
        tenures=pd.DataFrame({"id": ["T1"], "district_code": [DISTRICT]}),
        targets=pd.DataFrame(columns=["district_code", "indicator", "value"]),
        zones=dict(zones or {}),
        coastline=tuple(coastline),
        imagery=tuple(imagery),
    )


def run(chg: gpd.GeoDataFrame, pkg: AuditPackage | None = None, **kw) -> gpd.GeoDataFrame:
    from gisaudit.leads import find_leads

    return find_leads(chg, pkg or package(), tenure_id="T1", district_code=DISTRICT,
                      start=START, end=END, **kw)  # fmt: skip


def write_tif(path: Path, vintage: date, value: tuple[int, int, int] = (40, 120, 40)) -> RasterRef:
    """A 2 m RGB GeoTIFF covering (-500..1500 m)² around the origin, uniform colour."""
    size = 1000
    data = np.empty((3, size, size), dtype=np.uint8)
    for b in range(3):
        data[b] = value[b]
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3,
                       dtype="uint8", crs="EPSG:4527",
                       transform=Affine(2.0, 0, X0 - 500, 0, -2.0, Y0 + 1500)) as dst:  # fmt: skip
        dst.write(data)
    return RasterRef(vintage=vintage, path=path, source=path.name)


@pytest.fixture
def tif_pair(tmp_path: Path) -> tuple[RasterRef, RasterRef]:
    return (write_tif(tmp_path / "2018.tif", START, (40, 120, 40)),
            write_tif(tmp_path / "2023.tif", END, (150, 150, 150)))  # fmt: skip
