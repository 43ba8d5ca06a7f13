"""In-memory layers of a stored package (land-use vintages, zones, coastline vintages),
spatially indexed.

Each layer keeps its features in lon/lat (EPSG:4326, for OGC API Features) and Web Mercator
(EPSG:3857, for vector tiles), with a shapely STRtree over the lon/lat geometries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely import STRtree

from gisaudit.layers.classes import default_class_table
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.zones import ZONE_NAMES


@dataclass
class LayerIndex:
    """One collection of features with a spatial index."""

    id: str
    title: str
    description: str
    properties: list[dict[str, Any]]
    lonlat: np.ndarray  # shapely geometries, EPSG:4326
    mercator: np.ndarray  # the same in EPSG:3857
    when: date | None = None  # the vintage, for datetime filters

    def __post_init__(self) -> None:
        self.tree = STRtree(self.lonlat)

    @property
    def bbox(self) -> list[float]:
        """Extent in lon/lat (minx, miny, maxx, maxy)."""
        if len(self.lonlat) == 0:
            return [-180.0, -90.0, 180.0, 90.0]
        return [float(v) for v in shapely.total_bounds(self.lonlat)]

    def query(self, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
        """Positions of the features intersecting ``bbox`` (lon/lat), in order."""
        if bbox is None:
            return np.arange(len(self.lonlat))
        hits = self.tree.query(shapely.box(*bbox), predicate="intersects")
        return np.sort(hits)


def _frames(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    lonlat = frame.geometry.to_crs(4326).to_numpy()
    mercator = frame.geometry.to_crs(3857).to_numpy()
    return np.asarray(lonlat, dtype=object), np.asarray(mercator, dtype=object)


def _records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.drop(columns=frame.geometry.name).to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and value != value:
                value = None
            if isinstance(value, date):
                value = value.isoformat()
            clean[str(key)] = value
        out.append(clean)
    return out


def package_layers(package_id: str, package: AuditPackage) -> dict[str, LayerIndex]:
    """Every land-use vintage, zone and coastline vintage of the package as indexed layers, by
    collection id (``landuse-<pkg>-<date>``, ``zones-<pkg>-<kind>``, ``coastline-<pkg>-<date>``).
    """
    table = default_class_table()
    layers: dict[str, LayerIndex] = {}
    for vintage in package.landuse:
        frame = vintage.frame
        codes = frame["code"].astype(str)
        props = gpd.GeoDataFrame(
            {
                "bsm": frame["bsm"].astype(str),
                "dlbm": codes,
                "dlmc": [table.name(c) for c in codes],
                "group": list(table.groups_of(codes)),
                "district_code": frame["district_code"].astype(str),
                "kcxs": frame["kcxs"].astype(float),
            },
            geometry=frame.geometry,
            crs=frame.crs,
        )
        lonlat, mercator = _frames(props)
        cid = f"landuse-{package_id}-{vintage.vintage.isoformat()}"
        layers[cid] = LayerIndex(
            id=cid,
            title=f"{package.name} 地类图斑 {vintage.vintage.isoformat()}",
            description=(
                f"数据包“{package.name}”{vintage.vintage.year} 年度地类图斑（{vintage.source}）"
            ),
            properties=_records(props),
            lonlat=lonlat,
            mercator=mercator,
            when=vintage.vintage,
        )
    for kind, frame in package.zones.items():
        keep = [c for c in ("approval_date",) if c in frame.columns]
        props = gpd.GeoDataFrame(frame[keep].copy(), geometry=frame.geometry, crs=frame.crs)
        props.insert(0, "zone", kind)
        lonlat, mercator = _frames(props)
        cid = f"zones-{package_id}-{kind}"
        name = ZONE_NAMES.get(kind, kind)
        layers[cid] = LayerIndex(
            id=cid,
            title=f"{package.name} {name}",
            description=f"数据包“{package.name}”的{name}图层",
            properties=_records(props),
            lonlat=lonlat,
            mercator=mercator,
        )
    layers.update(coastline_layers(package_id, package))
    return layers


def coastline_layers(package_id: str, package: AuditPackage) -> dict[str, LayerIndex]:
    """The package's coastline vintages as indexed line layers (``coastline-<pkg>-<date>``),
    with properties ``axlx`` (the AXLX type as given) and ``coast_class`` (natural /
    artificial / estuary)."""
    layers: dict[str, LayerIndex] = {}
    for coast in package.coastline:
        frame = coast.frame
        props = gpd.GeoDataFrame(
            {
                "axlx": frame["coast_type"].astype(str),
                "coast_class": frame["coast_class"].astype(str),
            },
            geometry=frame.geometry,
            crs=frame.crs,
        )
        lonlat, mercator = _frames(props)
        day = coast.vintage.isoformat()
        cid = f"coastline-{package_id}-{day}"
        layers[cid] = LayerIndex(
            id=cid,
            title=f"{package.name} 海岸线 {day}",
            description=f"数据包“{package.name}”{coast.vintage.year} 年度海岸线（{coast.source}）",
            properties=_records(props),
            lonlat=lonlat,
            mercator=mercator,
            when=coast.vintage,
        )
    return layers


_CHANGES: dict[tuple[str, float], LayerIndex] = {}


def change_layer(path: Any, tenure_id: str, district_code: str) -> LayerIndex | None:
    """The change polygons a job wrote for one tenure (``changes.parquet``), indexed; cached
    by file and modification time. None when the file is missing."""
    from pathlib import Path

    file = Path(path)
    if not file.is_file():
        return None
    key = (str(file), file.stat().st_mtime)
    if key not in _CHANGES:
        frame = gpd.read_parquet(file)
        props = gpd.GeoDataFrame(
            {
                "tenure_id": tenure_id,
                "district_code": district_code,
                "from_code": frame["from_code"].astype(str),
                "to_code": frame["to_code"].astype(str),
                "from_group": frame["from_group"].astype(str),
                "to_group": frame["to_group"].astype(str),
                "area_m2": frame["area_m2"].astype(float),
                "change_vintage": frame["change_vintage"].astype(str)
                if "change_vintage" in frame
                else None,
            },
            geometry=frame.geometry,
            crs=frame.crs,
        )
        lonlat, mercator = _frames(props)
        if len(_CHANGES) > 64:
            _CHANGES.clear()
        _CHANGES[key] = LayerIndex(
            id=f"changes-{tenure_id}",
            title=f"任期 {tenure_id} 地类变化",
            description="",
            properties=_records(props),
            lonlat=lonlat,
            mercator=mercator,
        )
    return _CHANGES[key]
