"""In-memory shapes of a loaded data package: what `gisaudit.layers` hands to the analysis.

All geometries are in the package CRS (default EPSG:4527), already validated and repaired.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from gisaudit.layers.patches import PatchTable

ZONE_KINDS = ("pbf", "redline", "approvals")

COASTLINE_TYPES: dict[str, str] = {
    "基岩岸线": "natural",
    "砂质岸线": "natural",
    "淤泥质岸线": "natural",
    "生物岸线": "natural",
    "人工岸线": "artificial",
    "河口岸线": "estuary",
}


class LandUseVintage:
    """One land-use vintage (地类图斑 tessellation).

    ``frame`` columns: ``bsm`` (str, 标识码), ``code`` (normalised DLBM, e.g. "1104A"),
    ``district_code`` (str, from ZLDWDM's first 6 digits, or by location when absent),
    ``kcxs`` (float, 0 when the layer has no KCXS), ``geometry`` (Polygon/MultiPolygon).

    Held either as that frame or as a ``PatchTable`` (attributes + WKB, see
    ``gisaudit.layers.patches``); each is made from the other on first use, so a vintage
    loaded from the validated-package cache is decoded into shapely objects only if something
    asks for the whole ``frame`` (the evaluation engine reads ``patches`` and decodes only the
    patches it needs).
    """

    def __init__(
        self,
        vintage: date,
        frame: gpd.GeoDataFrame | None = None,
        source: str = "",
        *,
        patches: PatchTable | None = None,
    ) -> None:
        if frame is None and patches is None:
            raise ValueError("LandUseVintage needs a frame or a patch table")
        self.vintage = vintage
        self.source = source  # path relative to the package root
        self._frame = frame
        self._patches = patches
        self._lock = threading.Lock()

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """The whole vintage as a GeoDataFrame (decoded once, on first use)."""
        with self._lock:
            if self._frame is None:
                assert self._patches is not None
                self._frame = self._patches.frame()
            return self._frame

    @property
    def patches(self) -> PatchTable:
        """The vintage as a patch table (attributes + WKB, facts when measured)."""
        with self._lock:
            if self._patches is None:
                assert self._frame is not None
                self._patches = PatchTable.from_frame(self._frame)
            return self._patches

    def measured(self, measure: Callable[[PatchTable], PatchTable]) -> PatchTable:
        """The patch table with its facts: ``measure`` adds them, once, if they are missing."""
        table = self.patches
        if table.has_facts:
            return table
        with self._lock:
            if not self._patches.has_facts:
                self._patches = measure(self._patches)
            return self._patches

    def with_patches(self, patches: PatchTable) -> LandUseVintage:
        """The same vintage with ``patches`` (e.g. with facts added); a decoded frame is kept."""
        return LandUseVintage(self.vintage, self._frame, self.source, patches=patches)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_lock")
        if state["_patches"] is not None:
            state["_frame"] = None  # ship the compact form (e.g. to Dask workers)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LandUseVintage({self.vintage.isoformat()}, {self.source!r})"


@dataclass(frozen=True)
class CoastlineVintage:
    """Coastline of one vintage. ``frame`` columns: ``coast_type`` (AXLX as given),
    ``coast_class`` (natural / artificial / estuary), ``geometry`` (LineString/MultiLineString)."""

    vintage: date
    frame: gpd.GeoDataFrame
    source: str


@dataclass(frozen=True)
class RasterRef:
    """A GeoTIFF of one vintage (imagery or classified land cover), checked readable.

    ``classes`` maps raster values to land-class codes (land cover only; empty for imagery).
    """

    vintage: date
    path: Path  # absolute
    source: str  # relative to the package root
    classes: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditPackage:
    """A fully loaded, validated data package.

    - ``districts``: columns ``district_code`` (str, 6 digits), ``name``, ``area_m2``
      (ellipsoidal), ``geometry``; one row per district, sorted by code.
    - ``landuse``: sorted by vintage, strictly increasing.
    - ``zones``: keys among ``pbf``, ``redline``, ``approvals``; each a GeoDataFrame with
      ``geometry`` (polygons); ``approvals`` also has ``approval_date`` (datetime.date).
      From the cache a ``StoredZones`` mapping that decodes a layer when first asked
      (``gisaudit.layers.zone_store.zones_near`` reads just the part near an area).
    - ``tenures``: columns ``id`` (str), ``district_code`` (str), ``official``, ``position``,
      ``start`` (date), ``end`` (date or None = in office).
    - ``targets``: columns ``district_code`` (str), ``indicator`` (str), ``value`` (float).
    - ``fingerprints``: sha256 of every input file, keyed by path relative to the root.
    - ``repaired``: number of invalid geometries repaired with make_valid on load.
    """

    root: Path
    name: str
    crs: CRS
    districts: gpd.GeoDataFrame
    landuse: tuple[LandUseVintage, ...]
    tenures: pd.DataFrame
    targets: pd.DataFrame
    zones: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    coastline: tuple[CoastlineVintage, ...] = ()
    imagery: tuple[RasterRef, ...] = ()
    landcover: tuple[RasterRef, ...] = ()
    indicator_system: str = "default"
    fingerprints: dict[str, str] = field(default_factory=dict)
    repaired: int = 0

    @property
    def vintages(self) -> list[date]:
        """Land-use vintage dates in order."""
        return [v.vintage for v in self.landuse]

    def landuse_at(self, vintage: date) -> LandUseVintage:
        """The land-use vintage with this date (KeyError if absent)."""
        for v in self.landuse:
            if v.vintage == vintage:
                return v
        raise KeyError(vintage)

    def compact(self) -> AuditPackage:
        """The same package with its land use held only as patch tables (no decoded frames,
        which are decoded again on first use): what a long-lived process should keep after
        validating a survey-size package (the frames are gigabytes)."""
        return replace(
            self,
            landuse=tuple(
                LandUseVintage(v.vintage, source=v.source, patches=v.patches)
                for v in self.landuse
            ),
        )

    def coastline_at(self, vintage: date) -> CoastlineVintage | None:
        """The coastline of this vintage, or None."""
        return next((c for c in self.coastline if c.vintage == vintage), None)
