"""Zone layers kept as WKB and decoded only where they are needed.

A survey's 永久基本农田 layer has hundreds of thousands of polygons (8 million vertices for
Tianjin's farming districts). Decoding it costs seconds on every load of a validated
package, and an evaluation needs only the polygons near one district at a time. The
validated-package cache (``gisaudit.layers.cache``) therefore keeps each zone layer as an
Arrow IPC file (its attribute columns, the WKB and the bounding box of every feature),
memory-mapped on reading; ``StoredZones`` serves the layers from it:

- ``zones[kind]`` decodes the whole layer into a GeoDataFrame on first use (kept: the web
  map's tiles and the API's layer listing want it whole);
- ``zones_near(zones, kind, area)`` decodes only the features whose box meets ``area`` and
  keeps those that meet it — the same rows, in the same order, as the whole layer's spatial
  index would give.

A package read from its files (not the cache) has plain GeoDataFrames as zones; the
functions here accept both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import CRS

from gisaudit.layers.zone_areas import (
    approved_mask,
    mark_valid,
    parts_of_rows,
    polygons_of,
    zone_parts,
)

WKB = "__wkb"
BOX = ["__xmin", "__ymin", "__xmax", "__ymax"]


def write_zone(path: Path, frame: gpd.GeoDataFrame) -> None:
    """Write a zone layer as an Arrow IPC file: attributes, WKB and boxes (one batch)."""
    geoms = frame.geometry.to_numpy()
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name)).reset_index(drop=True)
    table = pa.Table.from_pandas(attrs, preserve_index=False)
    table = table.append_column(WKB, pa.array(shapely.to_wkb(geoms), type=pa.large_binary()))
    bounds = shapely.bounds(geoms) if len(geoms) else np.zeros((0, 4))
    for i, name in enumerate(BOX):
        table = table.append_column(name, pa.array(bounds[:, i], type=pa.float64()))
    with pa.ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table, max_chunksize=max(len(table), 1))


class StoredZones(Mapping[str, gpd.GeoDataFrame]):
    """A package's zone layers from the cache's Arrow files (module doc), by zone kind.

    The files are memory-mapped when this is made, so the layers stay readable even if the
    cache later evicts the folder. Every geometry was repaired when the package was validated
    (layers come marked valid, ``mark_valid``).
    """

    def __init__(self, paths: Mapping[str, Path], crs: CRS) -> None:
        self._paths = {kind: Path(p) for kind, p in paths.items()}
        self._crs = crs
        self._tables = {kind: _mapped(p) for kind, p in self._paths.items()}
        self._frames: dict[str, gpd.GeoDataFrame] = {}
        self._boxes: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __getitem__(self, kind: str) -> gpd.GeoDataFrame:
        with self._lock:
            if kind not in self._frames:
                table = self._tables[kind]  # KeyError for a kind the package lacks
                rows = np.arange(table.num_rows)
                self._frames[kind] = self._frame(kind, rows, shapely.from_wkb(_wkb(table)))
            return self._frames[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __contains__(self, kind: object) -> bool:
        return kind in self._tables  # without decoding (``Mapping``'s would decode)

    def __reduce__(self) -> tuple:
        return (StoredZones, (self._paths, self._crs))

    def boxes(self, kind: str) -> np.ndarray:
        """The bounding box of every feature of ``kind``: (n, 4) xmin, ymin, xmax, ymax."""
        with self._lock:
            if kind not in self._boxes:
                table = self._tables[kind]
                self._boxes[kind] = np.column_stack([table.column(n).to_numpy() for n in BOX])
            return self._boxes[kind]

    @property
    def decoded(self) -> list[str]:
        """The kinds whose whole layer has been decoded so far."""
        return sorted(self._frames)

    def near(self, kind: str, area: shapely.Geometry) -> gpd.GeoDataFrame:
        """The features of ``kind`` that meet ``area`` (in row order), decoding only those
        whose bounding box meets it; the whole layer's frame when already decoded."""
        if kind in self._frames:
            return _rows_meeting(self._frames[kind], area)
        table = self._tables[kind]
        box = self.boxes(kind)
        rows = _boxes_meeting(box, shapely.bounds(area))
        geoms = shapely.from_wkb(_wkb(table, rows))
        probe = shapely.from_wkb(shapely.to_wkb(area))  # prepared copy: ``area`` is shared
        shapely.prepare(probe)
        hit = shapely.intersects(probe, geoms)
        return self._frame(kind, rows[hit], geoms[hit])

    def _frame(self, kind: str, rows: np.ndarray, geoms: np.ndarray) -> gpd.GeoDataFrame:
        table = self._tables[kind]
        attrs = table.drop_columns([WKB, *BOX])
        if len(rows) != table.num_rows:
            attrs = attrs.take(pa.array(rows, type=pa.int64()))
        frame = gpd.GeoDataFrame(attrs.to_pandas(), geometry=geoms, crs=self._crs)
        if len(rows) != table.num_rows:
            frame.index = pd.Index(rows)
        return mark_valid(frame)


def zones_near(
    zones: Mapping[str, gpd.GeoDataFrame], kind: str, area: shapely.Geometry
) -> gpd.GeoDataFrame:
    """The features of zone layer ``kind`` that meet ``area``, in row order, as a frame
    (stored layers decode only these; see module doc). KeyError if the kind is absent."""
    if isinstance(zones, StoredZones):
        return zones.near(kind, area)
    return _rows_meeting(zones[kind], area)


def zone_parts_near(
    zones: Mapping[str, gpd.GeoDataFrame], kind: str, area: shapely.Geometry | None, end: date
) -> np.ndarray:
    """The zone's single polygons meeting ``area`` (all when None), approvals approved by
    ``end`` (``gisaudit.layers.zone_areas.zone_parts``), decoding only what is needed."""
    if area is None or not isinstance(zones, StoredZones):
        return zone_parts(zones[kind], area, kind, end)
    return parts_of_rows(zones.near(kind, area), kind, end)


class ZoneParts:
    """One zone's single polygons meeting a district, as ``zone_parts`` gives them
    (approvals: approved by the end date), asked for near some geometries.

    ``near(geoms)`` gives every polygon whose feature's box meets a box of ``geoms`` (all that
    can meet them), in the zone's order; ``all()`` every one. This one holds them decoded;
    ``StoredZoneParts`` decodes them from a stored layer only where asked.
    """

    def __init__(self, parts: np.ndarray) -> None:
        self._parts = np.asarray(parts, dtype=object)

    def near(self, geoms: np.ndarray) -> np.ndarray:
        """The polygons that can meet ``geoms`` (here: all of them)."""
        return self._parts

    def all(self) -> np.ndarray:
        """Every polygon of the zone meeting the district."""
        return self._parts


class StoredZoneParts(ZoneParts):
    """``ZoneParts`` of a stored layer (``StoredZones``): a feature is decoded, and checked
    against the district, the first time a geometry asked for lies near it."""

    def __init__(self, zones: StoredZones, kind: str, district: shapely.Geometry, end: date):
        table = zones._tables[kind]
        box = zones.boxes(kind)
        rows = _boxes_meeting(box, shapely.bounds(district))
        if kind == "approvals":
            names = set(table.column_names)
            dates = (
                table.select(["approval_date"]).take(pa.array(rows, type=pa.int64())).to_pandas()
                if "approval_date" in names
                else pd.DataFrame(index=range(len(rows)))
            )
            rows = rows[approved_mask(dates, end)]
        self._table = table
        self._rows = rows
        self._boxes = box[rows]
        self._geoms = np.full(len(rows), None, dtype=object)
        self._meets = np.zeros(len(rows), dtype=bool)  # decoded and meeting the district
        self._decoded = np.zeros(len(rows), dtype=bool)
        self._district = shapely.from_wkb(shapely.to_wkb(district))  # prepared copy
        shapely.prepare(self._district)
        self._lock = threading.Lock()

    def near(self, geoms: np.ndarray) -> np.ndarray:
        """The polygons whose feature's box meets a box of ``geoms``, decoded now if need be."""
        geoms = np.asarray(geoms, dtype=object)
        if len(self._rows) == 0 or len(geoms) == 0:
            return np.empty(0, dtype=object)
        return self._parts_of(boxes_near(self._boxes, shapely.bounds(geoms)))

    def all(self) -> np.ndarray:
        """Every polygon of the zone meeting the district (all decoded)."""
        return self._parts_of(np.arange(len(self._rows)))

    def _parts_of(self, positions: np.ndarray) -> np.ndarray:
        with self._lock:
            todo = positions[~self._decoded[positions]]
            if len(todo):
                geoms = shapely.from_wkb(_wkb(self._table, self._rows[todo]))
                self._geoms[todo] = geoms
                self._meets[todo] = shapely.intersects(self._district, geoms)
                self._decoded[todo] = True
            keep = positions[self._meets[positions]]
            return polygons_of(self._geoms[keep], valid=True)


GRID_CELLS = 512  # cells along the longer side of the asked geometries' extent


def boxes_near(boxes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Positions (ascending) of ``boxes`` (n × 4: xmin, ymin, xmax, ymax) that may meet one
    of the ``query`` boxes (m × 4; NaN rows ignored): every box that meets one, and perhaps
    a few that come within a grid cell of one.

    In NumPy, without geometry objects: the query boxes mark the cells of a grid over their
    extent (a 2-D difference array), and each box is kept when its cell range holds a marked
    cell (a summed-area table). Cell indices come from one monotone formula on both sides,
    so boxes that meet, even at a single point, always share a cell.
    """
    query = query[~np.isnan(query).any(axis=1)]
    if len(query) == 0 or len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x0, y0 = query[:, 0].min(), query[:, 1].min()
    x1, y1 = query[:, 2].max(), query[:, 3].max()
    rows = _boxes_meeting(boxes, (x0, y0, x1, y1))
    if len(rows) == 0:
        return rows
    cell = max(x1 - x0, y1 - y0) / GRID_CELLS or 1.0
    nx = int((x1 - x0) / cell) + 1
    ny = int((y1 - y0) / cell) + 1

    def cells(b: np.ndarray) -> tuple[np.ndarray, ...]:
        ix = np.clip(((b[:, [0, 2]] - x0) / cell).astype(np.int64), 0, nx - 1)
        iy = np.clip(((b[:, [1, 3]] - y0) / cell).astype(np.int64), 0, ny - 1)
        return ix[:, 0], iy[:, 0], ix[:, 1], iy[:, 1]

    qx0, qy0, qx1, qy1 = cells(query)
    marks = np.zeros((nx + 1, ny + 1), dtype=np.int64)
    np.add.at(marks, (qx0, qy0), 1)
    np.add.at(marks, (qx1 + 1, qy0), -1)
    np.add.at(marks, (qx0, qy1 + 1), -1)
    np.add.at(marks, (qx1 + 1, qy1 + 1), 1)
    marked = (marks.cumsum(axis=0).cumsum(axis=1)[:nx, :ny] > 0).astype(np.int64)
    table = np.zeros((nx + 1, ny + 1), dtype=np.int64)
    table[1:, 1:] = marked.cumsum(axis=0).cumsum(axis=1)
    bx0, by0, bx1, by1 = cells(boxes[rows])
    hits = (
        table[bx1 + 1, by1 + 1] - table[bx0, by1 + 1] - table[bx1 + 1, by0] + table[bx0, by0]
    )
    return rows[hits > 0]


def district_zone_parts(
    zones: Mapping[str, gpd.GeoDataFrame], kind: str, district: shapely.Geometry, end: date
) -> ZoneParts:
    """The ``ZoneParts`` of zone ``kind`` in ``district`` (a stored layer decodes lazily)."""
    if isinstance(zones, StoredZones):
        return StoredZoneParts(zones, kind, district, end)
    return ZoneParts(zone_parts(zones[kind], district, kind, end))


def _boxes_meeting(boxes: np.ndarray, bounds: Sequence[float]) -> np.ndarray:
    """Positions of ``boxes`` (n × 4) meeting the box ``bounds`` (xmin, ymin, xmax, ymax)."""
    x0, y0, x1, y1 = bounds
    return np.flatnonzero(
        (boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) & (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0)
    )


def _rows_meeting(frame: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    if len(frame) == 0:
        return frame
    return frame.iloc[np.sort(frame.sindex.query(area, predicate="intersects"))]


def _mapped(path: Path) -> pa.Table:
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()


def _wkb(table: pa.Table, rows: np.ndarray | None = None) -> np.ndarray:
    column = table.column(WKB)
    if rows is not None:
        column = column.take(pa.array(rows, type=pa.int64()))
    return column.to_numpy(zero_copy_only=False)
