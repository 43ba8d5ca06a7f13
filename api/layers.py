"""Layers of a stored package (land-use vintages, zones, coastline vintages) and of a job's
change polygons, spatially indexed for vector tiles and OGC API Features.

Built for survey size (a million patches a vintage): a layer keeps the package's own frame
(geometry in the package CRS, properties as columns) and an STRtree over it, built on first
use. A request reprojects only what it returns: the tile's or page's features to Web
Mercator (EPSG:3857) or lon/lat (EPSG:4326), and their properties become dicts only then.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely import STRtree

from api.fastproj import MIN_VERTICES, fitted_transform
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.zones import ZONE_NAMES

_log = logging.getLogger(__name__)
LONLAT = CRS.from_epsg(4326)
# Web Mercator (tiles, snapped to a grid of 2 cm or more afterwards) may come from a fitted
# cubic within a millimetre of PROJ; lon/lat (GeoJSON) always comes from PROJ itself.
FIT_TOLERANCE = {3857: 1e-3}


@dataclass
class LayerIndex:
    """One collection of features with a spatial index: ``frame`` holds the properties as
    columns and the geometry in its own CRS (lon/lat when it has none)."""

    id: str
    title: str
    description: str
    frame: gpd.GeoDataFrame
    when: date | None = None  # the vintage, for datetime filters
    _geoms: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._geoms = np.asarray(self.frame.geometry.to_numpy(), dtype=object)

    def __len__(self) -> int:
        return len(self._geoms)

    @functools.cached_property
    def crs(self) -> CRS:
        """The geometry's CRS (EPSG:4326 when the frame has none)."""
        return CRS.from_user_input(self.frame.crs) if self.frame.crs is not None else LONLAT

    @functools.cached_property
    def tree(self) -> STRtree:
        """STRtree over the geometries in their own CRS."""
        return STRtree(self._geoms)

    @property
    def bbox(self) -> list[float]:
        """Extent in lon/lat (minx, miny, maxx, maxy)."""
        if len(self) == 0:
            return [-180.0, -90.0, 180.0, 90.0]
        bounds = shapely.total_bounds(self._geoms)
        if self.crs.equals(LONLAT):
            return [float(v) for v in bounds]
        to = _transformer(self.crs.to_wkt(), 4326)
        return [float(v) for v in to.transform_bounds(*bounds, densify_pts=21)]

    def query(self, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
        """Positions of the features intersecting ``bbox`` (lon/lat), in order."""
        if bbox is None:
            return np.arange(len(self))
        area = shapely.box(*bbox)
        if not self.crs.equals(LONLAT):
            area = _reproject(np.array([shapely.segmentize(area, _step(bbox))]),
                              _transformer(LONLAT.to_wkt(), self.crs.to_wkt()))[0]  # fmt: skip
        return np.sort(self.tree.query(area, predicate="intersects"))

    @functools.cached_property
    def _attributes(self) -> pd.DataFrame:
        return pd.DataFrame(self.frame.drop(columns=self.frame.geometry.name))

    def properties(self, positions: np.ndarray | list[int]) -> list[dict[str, Any]]:
        """The properties of the features at ``positions`` (JSON-ready values)."""
        part = self._attributes.iloc[np.asarray(positions, dtype=int)]
        columns = {str(name): _json_values(part[name]) for name in part.columns}
        if not columns:
            return [{} for _ in range(len(part))]
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def containing(self, x: np.ndarray, y: np.ndarray, epsg: int = 3857) -> np.ndarray:
        """For each point (``x``, ``y`` in EPSG:``epsg``), the position of the feature that
        contains it; -1 where none does (outside, on an edge, or not a finite point)."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if not self.crs.equals(CRS.from_epsg(epsg)):
            x, y = _transformer(epsg, self.crs.to_wkt()).transform(x, y)
        out = np.full(len(x), -1, dtype=np.int64)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if not len(ok) or not len(self):
            return out
        x, y = x[ok], y[ok]
        point, feature = self.tree.query(shapely.points(x, y))  # boxes holding the point
        inside = shapely.contains_xy(self._geoms[feature], x[point], y[point])
        out[ok[point[inside]]] = feature[inside]
        return out

    def geometries(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """The geometries at ``positions`` in the layer's own CRS (not copied)."""
        return self._geoms[np.asarray(positions, dtype=int)]

    def lonlat(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """The geometries at ``positions`` in lon/lat (EPSG:4326)."""
        return self._to(positions, 4326)

    def mercator(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """The geometries at ``positions`` in Web Mercator (EPSG:3857)."""
        return self._to(positions, 3857)

    def _to(self, positions: np.ndarray | list[int], epsg: int) -> np.ndarray:
        geoms = self._geoms[np.asarray(positions, dtype=int)]
        if len(geoms) == 0 or self.crs.equals(CRS.from_epsg(epsg)):
            return geoms
        fit = FIT_TOLERANCE.get(epsg)
        return _reproject(geoms, _transformer(self.crs.to_wkt(), epsg), fit)


@functools.lru_cache(maxsize=64)
def _transformer(source: str | int, target: str | int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def xy_transform(source: CRS, epsg: int) -> Callable[[Any, Any], tuple[Any, Any]]:
    """A function mapping x, y arrays from ``source`` to EPSG:``epsg`` (x east, y north)."""
    return _transformer(source.to_wkt(), epsg).transform


def _reproject(geoms: np.ndarray, transformer: Transformer, fit: float | None = None) -> np.ndarray:
    """``geoms`` through ``transformer``; with ``fit`` (a tolerance in the target's units),
    through a cubic fitted to it over their extent where that is within ``fit``
    (``api.fastproj``)."""

    def project(xy: np.ndarray) -> np.ndarray:
        transform = transformer.transform
        if fit is not None and len(xy) >= MIN_VERTICES:
            extent = (*xy[:, :2].min(axis=0), *xy[:, :2].max(axis=0))
            transform = fitted_transform(transform, extent, fit)
        x, y = transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


def _step(bbox: tuple[float, float, float, float]) -> float:
    """Densify a lon/lat box to 16 points a side before reprojecting it."""
    return max(bbox[2] - bbox[0], bbox[3] - bbox[1], 1e-9) / 16


def _json_values(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: NaN → None, dates → ISO text, numpy → Python."""
    values = column.tolist()
    if pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return values
    if pd.api.types.is_float_dtype(column.dtype):
        missing = column.isna().to_numpy()
        if not missing.any():
            return values
        return [None if m else v for v, m in zip(values, missing, strict=True)]
    if all(type(v) is str for v in values):  # text columns: nothing to convert
        return values
    return [_json_value(v) for v in values]


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


class PackageLayers(Mapping[str, LayerIndex]):
    """The package's layers by collection id (``landuse-<pkg>-<date>``, ``zones-<pkg>-<kind>``,
    ``coastline-<pkg>-<date>``), each built on first use (a land-use vintage decodes about a
    million patches: the first tile of one vintage waits for that vintage only, not for the
    other five and the zones). ``warm`` builds the rest on a background thread. ``on_built``:
    called after a layer is built (e.g. to settle the heap)."""

    def __init__(
        self, package_id: str, package: AuditPackage, on_built: Callable[[], None] | None = None
    ) -> None:
        self._id, self._package, self._on_built = package_id, package, on_built
        ids = [
            *(f"landuse-{package_id}-{day.isoformat()}" for day in package.vintages),
            *(f"zones-{package_id}-{kind}" for kind in package.zones),
            *(f"coastline-{package_id}-{c.vintage.isoformat()}" for c in package.coastline),
        ]
        self._locks = {cid: threading.Lock() for cid in ids}  # one per layer: two are built
        self._built: dict[str, LayerIndex] = {}  # at once without waiting for each other
        self._warming: threading.Thread | None = None
        self._guard = threading.Lock()

    def __getitem__(self, collection_id: str) -> LayerIndex:
        return self._get(collection_id, settle=True)

    def _get(self, collection_id: str, settle: bool) -> LayerIndex:
        lock = self._locks[collection_id]  # KeyError: no such layer
        layer = self._built.get(collection_id)
        if layer is not None:
            return layer
        with lock:
            if collection_id not in self._built:
                self._built[collection_id] = _build_layer(self._id, self._package, collection_id)
                if settle and self._on_built is not None:
                    self._on_built()
            return self._built[collection_id]

    def __contains__(self, collection_id: object) -> bool:
        return collection_id in self._locks  # without building it

    def __iter__(self) -> Iterator[str]:
        return iter(self._locks)

    def __len__(self) -> int:
        return len(self._locks)

    @property
    def built(self) -> list[str]:
        """The collection ids built so far, in the order they were built."""
        return list(self._built)

    @property
    def warming(self) -> threading.Thread | None:
        """The thread ``warm`` started (None before it was asked to)."""
        return self._warming

    def warm(self) -> threading.Thread:
        """Build every layer not built yet on one background thread (the newest land-use
        vintage first, then the older ones, zones and coastlines), so that the layers of a
        map are ready when it asks for them (``on_built`` is called once, at the end). Started
        once; returns the thread."""
        with self._guard:
            if self._warming is None:
                self._warming = threading.Thread(
                    target=self._build_rest, name=f"layers-{self._id}", daemon=True
                )
                self._warming.start()
            return self._warming

    def _build_rest(self) -> None:
        landuse = sorted((c for c in self._locks if c.startswith("landuse-")), reverse=True)
        for cid in [*landuse, *(c for c in self._locks if c not in landuse)]:
            try:
                self._get(cid, settle=False)
            except Exception:  # asked for later, it fails again with its own message
                _log.warning("图层 %s 预先构建失败，将在请求时重试", cid, exc_info=True)
        if self._on_built is not None:
            self._on_built()  # once for all of them


def package_layers(package_id: str, package: AuditPackage) -> dict[str, LayerIndex]:
    """Every land-use vintage, zone and coastline vintage of the package as indexed layers, by
    collection id, all built now (``PackageLayers`` builds each on first use)."""
    return dict(PackageLayers(package_id, package))


def _build_layer(package_id: str, package: AuditPackage, collection_id: str) -> LayerIndex:
    kind, rest = collection_id.split("-", 1)
    key = rest[len(package_id) + 1 :]
    if kind == "landuse":
        return landuse_layer(package_id, package, date.fromisoformat(key))
    if kind == "zones":
        return zone_layer(package_id, package, key)
    return coastline_layer(package_id, package, date.fromisoformat(key))


def landuse_layer(package_id: str, package: AuditPackage, day: date) -> LayerIndex:
    """One land-use vintage as an indexed layer (``landuse-<pkg>-<date>``): properties
    ``bsm``, ``dlbm``, ``dlmc`` (class name), ``group``, ``district_code``, ``kcxs``."""
    table = default_class_table()
    vintage = package.landuse_at(day)
    frame = vintage.frame
    codes = frame["code"].astype(str)
    uniq = pd.unique(codes)
    names = dict(zip(uniq, (table.name(c) for c in uniq), strict=True))
    groups = dict(zip(uniq, table.groups_of(pd.Series(uniq)), strict=True))
    props = gpd.GeoDataFrame(
        {
            "bsm": frame["bsm"].astype(str),
            "dlbm": codes,
            "dlmc": codes.map(names),
            "group": codes.map(groups),
            "district_code": frame["district_code"].astype(str),
            "kcxs": frame["kcxs"].astype(float),
        },
        geometry=frame.geometry,
        crs=frame.crs,
    )
    cid = f"landuse-{package_id}-{vintage.vintage.isoformat()}"
    return LayerIndex(
        id=cid,
        title=f"{package.name} 地类图斑 {vintage.vintage.isoformat()}",
        description=(
            f"数据包“{package.name}”{vintage.vintage.year} 年度地类图斑（{vintage.source}）"
        ),
        frame=props,
        when=vintage.vintage,
    )


def zone_layer(package_id: str, package: AuditPackage, kind: str) -> LayerIndex:
    """One zone layer as an indexed layer (``zones-<pkg>-<kind>``): properties ``zone`` and,
    for approvals, ``approval_date``."""
    frame = package.zones[kind]
    keep = [c for c in ("approval_date",) if c in frame.columns]
    props = gpd.GeoDataFrame(frame[keep].copy(), geometry=frame.geometry, crs=frame.crs)
    props.insert(0, "zone", kind)
    name = ZONE_NAMES.get(kind, kind)
    return LayerIndex(
        id=f"zones-{package_id}-{kind}",
        title=f"{package.name} {name}",
        description=f"数据包“{package.name}”的{name}图层",
        frame=props,
    )


def coastline_layer(package_id: str, package: AuditPackage, day: date) -> LayerIndex:
    """One coastline vintage as an indexed line layer (``coastline-<pkg>-<date>``), with
    properties ``axlx`` (the AXLX type as given) and ``coast_class`` (natural / artificial /
    estuary)."""
    coast = next(c for c in package.coastline if c.vintage == day)
    frame = coast.frame
    props = gpd.GeoDataFrame(
        {
            "axlx": frame["coast_type"].astype(str),
            "coast_class": frame["coast_class"].astype(str),
        },
        geometry=frame.geometry,
        crs=frame.crs,
    )
    iso = coast.vintage.isoformat()
    return LayerIndex(
        id=f"coastline-{package_id}-{iso}",
        title=f"{package.name} 海岸线 {iso}",
        description=f"数据包“{package.name}”{coast.vintage.year} 年度海岸线（{coast.source}）",
        frame=props,
        when=coast.vintage,
    )


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
        if len(_CHANGES) > 64:
            _CHANGES.clear()
        _CHANGES[key] = LayerIndex(
            id=f"changes-{tenure_id}", title=f"任期 {tenure_id} 地类变化", description="",
            frame=props,
        )
    return _CHANGES[key]
