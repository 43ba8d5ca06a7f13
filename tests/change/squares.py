"""Tiny exact test inputs: AuditPackage objects built in memory from 100 m squares.

The grid sits on the central meridian of EPSG:4527 (x = 39 500 000, about 117°E 39°N), where
the Gauss-Kruger scale factor is 1 to within 1e-7: one 100 m cell is 1 ha ellipsoidal to
within ~1e-7 relative, so expected areas can be written by hand (compare with rel=1e-6).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.model import AuditPackage, CoastlineVintage, LandUseVintage

EPSG = "EPSG:4527"
X0, Y0 = 39_500_000.0, 4_320_000.0
CELL = 100.0
DISTRICT = "120110"

Cell = tuple[int, int]
# a cell's value: "0101" or ("0101", kcxs)
CellValue = str | tuple[str, float]


def cell(col: int, row: int, size: float = CELL) -> shapely.Polygon:
    """The square of grid cell (col, row), row 0 at the south."""
    return shapely.box(
        X0 + col * size, Y0 + row * size, X0 + (col + 1) * size, Y0 + (row + 1) * size
    )


def cells(*keys: Cell) -> shapely.Geometry:
    """Union of cells."""
    return shapely.union_all([cell(c, r) for c, r in keys])


def landuse(
    grid: Mapping[Cell, CellValue], tag: str = "v", district: str = DISTRICT
) -> gpd.GeoDataFrame:
    """A land-use frame (bsm, code, district_code, kcxs, geometry) from cell -> code."""
    rows, geoms = [], []
    for (c, r), value in sorted(grid.items()):
        code, k = (value, 0.0) if isinstance(value, str) else value
        rows.append({"bsm": f"{tag}-{c}-{r}", "code": code, "district_code": district, "kcxs": k})
        geoms.append(cell(c, r))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=EPSG)


def frame_of(geoms: list[shapely.Geometry], **columns: list) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4527."""
    return gpd.GeoDataFrame(dict(columns), geometry=geoms, crs=EPSG)


def package(
    vintages: Mapping[date, gpd.GeoDataFrame | Mapping[Cell, CellValue]],
    *,
    district: shapely.Geometry | None = None,
    zones: Mapping[str, gpd.GeoDataFrame] | None = None,
    coastline: Mapping[date, gpd.GeoDataFrame] | None = None,
    tenures: list[dict] | None = None,
    targets: list[dict] | None = None,
    root: Path = Path("."),
) -> AuditPackage:
    """An AuditPackage of one district (default: the union of the first vintage's cells)."""
    frames = {
        v: f if isinstance(f, gpd.GeoDataFrame) else landuse(f, tag=str(v.year))
        for v, f in sorted(vintages.items())
    }
    first = next(iter(frames.values()))
    geom = district if district is not None else shapely.union_all(first.geometry.to_numpy())
    districts = gpd.GeoDataFrame(
        {
            "district_code": [DISTRICT],
            "name": ["东丽区"],
            "area_m2": ellipsoidal_area_m2([geom], EPSG),
        },
        geometry=[geom],
        crs=EPSG,
    )
    dates = sorted(frames)
    if tenures is None:
        tenures = [
            {"id": "T1", "district_code": DISTRICT, "official": "张三", "position": "区委书记",
             "start": dates[0], "end": dates[-1]},
        ]  # fmt: skip
    return AuditPackage(
        root=root,
        name="测试",
        crs=CRS.from_user_input(EPSG),
        districts=districts,
        landuse=tuple(LandUseVintage(v, f, f"landuse/{v.year}.gpkg") for v, f in frames.items()),
        tenures=pd.DataFrame(
            tenures, columns=["id", "district_code", "official", "position", "start", "end"]
        ),
        targets=pd.DataFrame(targets or [], columns=["district_code", "indicator", "value"]),
        zones=dict(zones or {}),
        coastline=tuple(
            CoastlineVintage(v, f, f"coastline/{v.year}.gpkg")
            for v, f in sorted((coastline or {}).items())
        ),
    )


def coast(lines: list[tuple[shapely.LineString, str]]) -> gpd.GeoDataFrame:
    """A coastline frame from (line, class) pairs."""
    names = {"natural": "淤泥质岸线", "artificial": "人工岸线", "estuary": "河口岸线"}
    return frame_of(
        [g for g, _ in lines],
        coast_type=[names[c] for _, c in lines],
        coast_class=[c for _, c in lines],
    )
