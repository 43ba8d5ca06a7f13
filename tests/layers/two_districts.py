"""A tiny in-memory package of two districts side by side, for the patch-table and facts tests.

EPSG:4527 near the central meridian (100 m cells, see ``tests.change.squares``). District
A (120110) is x ∈ [0, 300], B (120111) is x ∈ [299, 600] (relative to ``X0``): the two
boundaries overlap by a 1 m strip, as real boundaries do. y ∈ [0, 200] for both.

Vintage 2018 (bsm ``<year>-<name>``; ``W`` = lies wholly inside its own district)::

    y 100-200:  a01 0702 W | a11 0101 W | a21 1101 W (200-250) | ax 0301 (250-350, district A,
                crosses into B) | b31 0101 W (350-400) | b41 0101 W | b51 0301 W
    y 0-100:    a00 0101 W | a10 0101 W | a20 0301 (200-300: meets B's overlap strip) |
                b30 0101 W | b40 0301 W | b50 0702 W

Vintage 2020: a10 re-coded (0101 → 0702, same geometry), a11 and b51 reshaped (split into
halves of two classes), b40 re-coded; everything else byte-identical.
Vintage 2022: as 2020 but a00 re-coded (0101 → 1101).

Zones: pbf (half of a00 and a10; a piece across ax and the district boundary), redline
(exactly b41; a corner of a21), approvals (one before 2018, two on 2020-05-01 — inside a00
and inside b30 — i.e. between the first two vintages, one undated, one after 2022).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.model import AuditPackage, LandUseVintage

EPSG = "EPSG:4527"
X0, Y0 = 39_500_000.0, 4_320_000.0
A, B = "120110", "120111"
V1, V2, V3 = date(2018, 12, 31), date(2020, 12, 31), date(2022, 12, 31)
ZONE_KINDS = ["pbf", "redline", "approvals"]


def rect(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in metres relative to (X0, Y0)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


DISTRICTS = {A: rect(0, 0, 300, 200), B: rect(299, 0, 600, 200)}

# name -> (district, geometry) of the 2018 patches
PATCHES_2018: dict[str, tuple[str, shapely.Polygon]] = {
    "a00": (A, rect(0, 0, 100, 100)),
    "a10": (A, rect(100, 0, 200, 100)),
    "a20": (A, rect(200, 0, 300, 100)),
    "a01": (A, rect(0, 100, 100, 200)),
    "a11": (A, rect(100, 100, 200, 200)),
    "a21": (A, rect(200, 100, 250, 200)),
    "ax": (A, rect(250, 100, 350, 200)),
    "b30": (B, rect(300, 0, 400, 100)),
    "b40": (B, rect(400, 0, 500, 100)),
    "b50": (B, rect(500, 0, 600, 100)),
    "b31": (B, rect(350, 100, 400, 200)),
    "b41": (B, rect(400, 100, 500, 200)),
    "b51": (B, rect(500, 100, 600, 200)),
}
CODES_2018 = {
    "a00": "0101", "a10": "0101", "a20": "0301", "a01": "0702", "a11": "0101", "a21": "1101",
    "ax": "0301", "b30": "0101", "b40": "0301", "b50": "0702", "b31": "0101", "b41": "0101",
    "b51": "0301",
}  # fmt: skip
INSIDE_2018 = {name: name not in ("a20", "ax") for name in PATCHES_2018}


def _rows(year: int, spec: dict[str, tuple[str, str, shapely.Polygon]]) -> gpd.GeoDataFrame:
    names = list(spec)
    return gpd.GeoDataFrame(
        {
            "bsm": [f"{year}-{n}" for n in names],
            "code": [spec[n][1] for n in names],
            "district_code": [spec[n][0] for n in names],
            "kcxs": [0.1 if spec[n][1].startswith("01") else 0.0 for n in names],
        },
        geometry=[spec[n][2] for n in names],
        crs=EPSG,
    )


def vintage_spec(year: int) -> dict[str, tuple[str, str, shapely.Polygon]]:
    """name -> (district, code, geometry) of one vintage (2018, 2020 or 2022)."""
    spec = {n: (d, CODES_2018[n], g) for n, (d, g) in PATCHES_2018.items()}
    if year >= 2020:
        spec["a10"] = (A, "0702", spec["a10"][2])
        spec["b40"] = (B, "0101", spec["b40"][2])
        del spec["a11"], spec["b51"]
        spec["a11w"] = (A, "0101", rect(100, 100, 150, 200))
        spec["a11e"] = (A, "0702", rect(150, 100, 200, 200))
        spec["b51w"] = (B, "0301", rect(500, 100, 550, 200))
        spec["b51e"] = (B, "1101", rect(550, 100, 600, 200))
    if year >= 2022:
        spec["a00"] = (A, "1101", spec["a00"][2])
    return spec


def landuse_frame(year: int) -> gpd.GeoDataFrame:
    """The land-use frame (bsm, code, district_code, kcxs, geometry) of 2018, 2020 or 2022."""
    return _rows(year, vintage_spec(year))


def districts_frame() -> gpd.GeoDataFrame:
    """The districts layer as ``AuditPackage.districts`` holds it."""
    codes = list(DISTRICTS)
    geoms = [DISTRICTS[c] for c in codes]
    return gpd.GeoDataFrame(
        {"district_code": codes, "name": ["东丽区", "西青区"],
         "area_m2": ellipsoidal_area_m2(geoms, EPSG)},
        geometry=geoms,
        crs=EPSG,
    )  # fmt: skip


def zones() -> dict[str, gpd.GeoDataFrame]:
    """pbf, redline and approvals (with ``approval_date``, see module doc)."""
    pbf = gpd.GeoDataFrame(geometry=[rect(50, 0, 150, 100), rect(260, 120, 320, 180)], crs=EPSG)
    red = gpd.GeoDataFrame(geometry=[rect(400, 100, 500, 200), rect(200, 150, 230, 200)], crs=EPSG)
    approvals = gpd.GeoDataFrame(
        {"approval_date": [date(2018, 6, 1), date(2020, 5, 1), date(2020, 5, 1), None,
                           date(2023, 6, 1)]},
        geometry=[rect(10, 110, 60, 160), rect(20, 20, 40, 40), rect(320, 20, 380, 60),
                  rect(410, 10, 450, 50), rect(210, 110, 240, 140)],
        crs=EPSG,
    )  # fmt: skip
    return {"pbf": pbf, "redline": red, "approvals": approvals}


def package(years: tuple[int, ...] = (2018, 2020, 2022)) -> AuditPackage:
    """The package, its vintages held as decoded frames and not yet measured."""
    dates = {2018: V1, 2020: V2, 2022: V3}
    return AuditPackage(
        root=Path("."),
        name="两区测试",
        crs=CRS.from_user_input(EPSG),
        districts=districts_frame(),
        landuse=tuple(
            LandUseVintage(dates[y], landuse_frame(y), f"landuse/{y}.gpkg") for y in years
        ),
        tenures=pd.DataFrame(columns=["id", "district_code", "official", "position", "start",
                                      "end"]),
        targets=pd.DataFrame(columns=["district_code", "indicator", "value"]),
        zones=zones(),
    )  # fmt: skip


def reference_zone_m2(geoms: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """The slow, obvious answer: dissolve the zone polygons, intersect, measure (m²)."""
    if len(zone) == 0:
        return np.zeros(len(geoms))
    union = shapely.union_all(zone)
    return ellipsoidal_area_m2(shapely.intersection(np.asarray(geoms, dtype=object), union), EPSG)
