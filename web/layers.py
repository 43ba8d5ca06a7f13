"""Map layers of one tenure for the web map: theme patches at start and end, change polygons,
zones and coastline, as GeoJSON (EPSG:4326, RFC 7946) files beside the tenure's other outputs.

Layout under a tenure's output folder::

    map/index.json             {"layers": {name: {"features": n, "bounds": [w, s, e, n]}}}
    map/district.geojson       the district outline
    map/start_<theme>.geojson  theme patches at the start vintage (code, name)
    map/end_<theme>.geojson    … at the end vintage
    map/changes.geojson        change polygons (from/to code, name, group; area_m2)
    map/zone_<kind>.geojson    永久基本农田 / 生态保护红线 / 建设用地批准范围 inside the district
    map/start_coastline.geojson, map/end_coastline.geojson  coastline by type

``map_layer_writer(package)`` is a ``TenureWriter`` for ``evaluate_package(writers=...)``.

A theme, zone or coastline layer with more than ``MAX_FEATURES`` features (a survey-size
district: tens of thousands of patches, tens of MB of GeoJSON that no browser draws) is
listed in the index with ``"file": false`` and not written: the tenure page draws it from the
API's vector tiles of the stored package (``api.tenure_tiles``). The district outline and the
change polygons are always written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisaudit.evaluation.result import TenureResult
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.model import ZONE_KINDS, AuditPackage
from gisaudit.layers.zone_store import zones_near
from web.styles import map_style

MAP_DIR = "map"
INDEX = "index.json"
DECIMALS = 6  # about 0.1 m: far below what a screen shows
COAST_BUFFER_M = 100.0  # a coast belongs to the district within 100 m of it (spec §6)
LAYER_NAME = re.compile(r"^[a-z_]{1,40}$")
MAX_FEATURES = 20_000  # about 13 MB of GeoJSON: what a browser still draws smoothly
ALWAYS_WRITTEN = frozenset({"district", "changes"})


def _round(geoms: np.ndarray) -> np.ndarray:
    if not len(geoms):
        return geoms
    return shapely.transform(geoms, lambda xy: np.round(xy, DECIMALS))


def to_feature_collection(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """RFC 7946 FeatureCollection of ``frame`` in lon/lat (coordinates rounded to 1e-6°)."""
    if frame.crs is None:
        raise ValueError("map layer without a CRS")
    frame = frame[~frame.geometry.isna() & ~frame.geometry.is_empty]
    geoms = _round(frame.geometry.to_crs(4326).to_numpy())
    if len(geoms):
        geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    props = frame.drop(columns=frame.geometry.name).to_dict("records")
    features = [
        {
            "type": "Feature",
            "properties": {k: _plain(v) for k, v in p.items()},
            "geometry": json.loads(shapely.to_geojson(g)),
        }
        for p, g in zip(props, geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _named(frame: gpd.GeoDataFrame, code_col: str, name_col: str) -> None:
    table = default_class_table()
    frame[name_col] = [table.name(str(c)) for c in frame[code_col]]


def theme_patches(landuse: gpd.GeoDataFrame, theme: str) -> gpd.GeoDataFrame:
    """The patches of ``landuse`` (columns code, geometry) in a land-class theme, with names."""
    table = default_class_table()
    mask = table.theme_mask(landuse["code"].astype(str), theme) if len(landuse) else []
    out = gpd.GeoDataFrame(landuse.loc[mask, ["code", "geometry"]].copy(), crs=landuse.crs)
    _named(out, "code", "name")
    return out


def change_polygons(changes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Change polygons with Chinese class and group names (area in m², ellipsoidal)."""
    style = map_style()
    cols = ["from_code", "to_code", "from_group", "to_group", "area_m2", "change_vintage"]
    out = gpd.GeoDataFrame(changes[[*cols, "geometry"]].copy(), crs=changes.crs)
    _named(out, "from_code", "from_name")
    _named(out, "to_code", "to_name")
    out["from_group_name"] = [style.group_names.get(g, g) for g in out["from_group"]]
    out["to_group_name"] = [style.group_names.get(g, g) for g in out["to_group"]]
    out["area_m2"] = out["area_m2"].astype(float).round(1)
    return out


def _only(geoms: np.ndarray, dims: int) -> np.ndarray:
    """Keep the parts of each geometry of dimension ``dims`` (2: polygons, 1: lines): a cut
    can leave slivers of lower dimension in a GeometryCollection."""
    out = []
    for g in geoms:
        if (
            g is None
            or g.is_empty
            or (shapely.get_dimensions(g) == dims and g.geom_type != "GeometryCollection")
        ):
            out.append(g)
            continue
        parts = [p for p in shapely.get_parts(g) if shapely.get_dimensions(p) == dims]
        if dims == 2:
            polys = [q for p in parts for q in shapely.get_parts(p)]
            out.append(shapely.MultiPolygon(polys) if polys else shapely.Polygon())
        else:
            lines = [q for p in parts for q in shapely.get_parts(p)]
            out.append(shapely.MultiLineString(lines) if lines else shapely.LineString())
    return np.asarray(out, dtype=object)


def _district_geometry(result: TenureResult) -> shapely.Geometry | None:
    if result.district is None or result.district.empty:
        return None
    return shapely.union_all(result.district.geometry.to_numpy())


def zone_layer(package: AuditPackage, kind: str, district: shapely.Geometry) -> gpd.GeoDataFrame:
    """One zone's polygons cut to the district (approvals keep their approval date)."""
    if kind not in package.zones:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=package.crs))
    # a district meets a small part of the layer (a cached one decodes only that part)
    frame = zones_near(package.zones, kind, district)
    if frame.empty:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=package.crs))
    keep = [c for c in ("approval_date",) if c in frame.columns]
    clipped = frame[keep].copy()
    clipped = gpd.GeoDataFrame(
        clipped,
        geometry=_only(shapely.intersection(frame.geometry.to_numpy(), district), 2),
        crs=frame.crs,
    )
    return clipped[~clipped.geometry.is_empty]


def coastline_layer(
    package: AuditPackage, vintage: Any, district: shapely.Geometry
) -> gpd.GeoDataFrame | None:
    """Coastline of the vintage (latest at or before it) near the district, by type."""
    layer = package.coastline_at(vintage) if package.coastline else None
    if layer is None:
        return None
    style = map_style()
    zone = shapely.buffer(district, COAST_BUFFER_M)
    frame = layer.frame[layer.frame.intersects(zone)]
    out = gpd.GeoDataFrame(
        {
            "coast_type": frame["coast_type"].astype(str).to_numpy(),
            "coast_class": frame["coast_class"].astype(str).to_numpy(),
        },
        geometry=_only(shapely.intersection(frame.geometry.to_numpy(), zone), 1),
        crs=layer.frame.crs,
    )
    out["coast_label"] = [style.coastline_labels.get(c, c) for c in out["coast_class"]]
    return out[~out.geometry.is_empty]


def tenure_map_layers(
    result: TenureResult, package: AuditPackage | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Every map layer of one tenure, by file name (without ``.geojson``), package CRS.

    Zones and coastline come from ``package`` and are left out without it.
    """
    style = map_style()
    layers: dict[str, gpd.GeoDataFrame] = {}
    if result.district is not None and not result.district.empty:
        layers["district"] = gpd.GeoDataFrame(
            {"code": [result.district_code]},
            geometry=[_district_geometry(result)],
            crs=result.district.crs,
        )
    for key, spec in style.map_themes.items():
        if spec.get("kind") != "landuse":
            continue
        layers[f"start_{key}"] = theme_patches(result.landuse("start"), spec["theme"])
        layers[f"end_{key}"] = theme_patches(result.landuse("end"), spec["theme"])
    layers["changes"] = change_polygons(result.changes)
    district = _district_geometry(result)
    if package is not None and district is not None:
        for kind in ZONE_KINDS:
            if kind in package.zones:
                layers[f"zone_{kind}"] = zone_layer(package, kind, district)
        for side, vintage in (("start", result.start_vintage), ("end", result.end_vintage)):
            coast = coastline_layer(package, vintage, district)
            if coast is not None:
                layers[f"{side}_coastline"] = coast
    return layers


def _lonlat_bounds(frame: gpd.GeoDataFrame) -> list[float] | None:
    """The layer's bounds in lon/lat (its box's corners projected; None when empty)."""
    if frame.empty:
        return None
    corners = gpd.GeoSeries([shapely.box(*frame.total_bounds)], crs=frame.crs).to_crs(4326)
    return [round(float(v), DECIMALS) for v in corners.total_bounds]


def write_map_layers(
    result: TenureResult,
    folder: Path,
    package: AuditPackage | None = None,
    max_features: int | None = MAX_FEATURES,
) -> Path:
    """Write the tenure's map layers into ``folder/map/`` and return that folder.

    Layers with more than ``max_features`` features (None: no limit) other than the
    district and the changes are only listed in the index (``"file": false``).
    """
    out = Path(folder) / MAP_DIR
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, Any]] = {}
    for name, frame in tenure_map_layers(result, package).items():
        too_many = max_features is not None and len(frame) > max_features
        if too_many and name not in ALWAYS_WRITTEN:
            index[name] = {"features": len(frame), "bounds": _lonlat_bounds(frame), "file": False}
            continue
        collection = to_feature_collection(frame)
        text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
        (out / f"{name}.geojson").write_text(text, encoding="utf-8")
        bounds = (
            [round(float(v), DECIMALS) for v in frame.to_crs(4326).total_bounds]
            if len(collection["features"])
            else None
        )
        index[name] = {"features": len(collection["features"]), "bounds": bounds}
    (out / INDEX).write_text(
        json.dumps({"layers": index}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return out


def map_layer_writer(package: AuditPackage | None) -> Callable[[TenureResult, Path], None]:
    """A ``TenureWriter`` writing the map layers (with the package's zones and coastline)."""

    def write(result: TenureResult, folder: Path) -> None:
        write_map_layers(result, folder, package)

    return write


def _index(folder: Path) -> dict[str, dict[str, Any]]:
    path = Path(folder) / MAP_DIR / INDEX
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text("utf-8")).get("layers", {}))


def read_map_index(folder: Path) -> dict[str, dict[str, Any]]:
    """The layers written for a tenure as GeoJSON files (``{}`` when none were written)."""
    return {k: v for k, v in _index(folder).items() if v.get("file", True)}


def unwritten_map_layers(folder: Path) -> dict[str, int]:
    """The tenure's layers left to the vector tiles (too many features): name -> features."""
    return {k: int(v["features"]) for k, v in _index(folder).items() if not v.get("file", True)}


def map_layer_path(folder: Path, name: str) -> Path | None:
    """The file of one map layer of a tenure, or None (unknown or unsafe name, or missing)."""
    if not LAYER_NAME.match(name):
        return None
    path = Path(folder) / MAP_DIR / f"{name}.geojson"
    return path if path.is_file() else None
