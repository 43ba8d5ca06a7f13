"""One vintage's patches inside one district, taken from the vintage's patch table.

Patches that lie wholly inside their district (the ``inside`` fact, measured once per
package by ``gisaudit.layers.facts``) are taken as they are, still as WKB with their measured
area and zone areas, and so are the pieces the patches crossing a district boundary were cut
into when the package was measured (``PatchTable.boundary_pieces``). The result is what
clipping the whole vintage to the district gives, without decoding any geometry.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pandas.api.types import union_categoricals
from pyproj import CRS

from gisaudit.layers.patches import BOX, KEYS, KeyIndex, PatchTable, text_columns


@dataclass(eq=False)
class DistrictPatches:
    """A vintage's patches in one district.

    ``whole``: the rows (attributes and facts, see ``gisaudit.layers.patches``) of the patches
    lying wholly inside, followed by the district's boundary pieces (boundary patches
    clipped to it when the package was measured); their WKB is, segment by segment, the
    arrays of ``segments`` at their row positions (the vintage's own arrays, shared, not
    copied).
    """

    whole: pd.DataFrame
    segments: list[tuple[pa.Array, np.ndarray]]
    crs: CRS
    _frame: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _keys: KeyIndex | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.whole)

    def __getstate__(self) -> dict:
        # the compact form travels (e.g. back from a Dask worker): only this district's WKB,
        # no lock, no decoded frame
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_frame", "_keys")}
        wkb = pa.array(self.wkb(), type=pa.large_binary())
        state["segments"] = [(wkb, np.arange(len(wkb)))]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock(), _frame=None, _keys=None)

    def key_index(self) -> KeyIndex:
        """The index of these patches' WKB hashes (built on first use, then kept): dating
        looks up the changed pieces' source patches in each intermediate vintage by it."""
        with self._lock:
            if self._keys is None:
                self._keys = KeyIndex.of(self.whole)
            return self._keys

    def wkb(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The WKB bytes of ``rows`` of ``whole`` (all when None), as an object array."""
        if rows is None:
            return np.concatenate(
                [_take(source, positions) for source, positions in self.segments]
                or [np.zeros(0, dtype=object)]
            )
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=object)
        offset = 0
        for source, positions in self.segments:
            here = (rows >= offset) & (rows < offset + len(positions))
            if here.any():
                out[here] = _take(source, positions[rows[here] - offset])
            offset += len(positions)
        return out

    def whole_geometries(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Decoded geometries of ``rows`` of ``whole`` (all when None)."""
        return shapely.from_wkb(self.wkb(rows))

    def frame(self) -> gpd.GeoDataFrame:
        """All the district's patches decoded: ``bsm``, ``code``, ``kcxs``, ``geometry``."""
        with self._lock:
            if self._frame is None:
                self._frame = gpd.GeoDataFrame(
                    text_columns(self.whole[["bsm", "code", "kcxs"]].reset_index(drop=True)),
                    geometry=self.whole_geometries(),
                    crs=self.crs,
                )
            return self._frame

    def landuse(self) -> gpd.GeoDataFrame:
        """The decoded patches with ``code`` and ``geometry`` only (for maps): a new frame,
        not kept here (the caller decides how long it lives)."""
        if self._frame is not None:
            return self._frame[["code", "geometry"]].copy()
        return gpd.GeoDataFrame(
            {"code": self.whole["code"].astype(str).to_numpy()},
            geometry=self.whole_geometries(),
            crs=self.crs,
        )

    def codes_at(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For points in the district: (index of each point found, code of a patch holding it).

        One patch per point (a point on a shared edge touches two: either will do).
        """
        # boxes first (from the measured bounding boxes), then the exact test on decoded rows
        p, rows = boxes_holding(self.whole[BOX].to_numpy(), shapely.get_coordinates(points))
        if len(p) == 0:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=object)
        unique, inverse = np.unique(rows, return_inverse=True)
        geoms = self.whole_geometries(unique)[inverse]
        hit = shapely.intersects(geoms, points[p])
        codes = self.whole["code"].to_numpy()[rows[hit]]
        first = pd.Series(codes).groupby(p[hit]).first()
        return first.index.to_numpy(), first.to_numpy()


def _take(source: pa.Array, positions: np.ndarray) -> np.ndarray:
    return source.take(pa.array(positions, type=pa.int64())).to_numpy(zero_copy_only=False)


def boxes_holding(boxes: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, box) where box ``[xmin, ymin, xmax, ymax]`` holds point ``xy``.

    A hash grid in numpy: each box is listed in the grid cells it spans, each point in its
    cell, and the pairs sharing a cell are checked — no geometry objects are built. A few
    points are checked against every box instead.
    """
    if len(boxes) == 0 or len(xy) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if len(xy) <= 32:  # a few points: scanning the boxes beats building a grid over them
        found = [
            np.flatnonzero((boxes[:, 0] <= x) & (x <= boxes[:, 2])
                           & (boxes[:, 1] <= y) & (y <= boxes[:, 3]))
            for x, y in xy
        ]  # fmt: skip
        counts = [len(f) for f in found]
        return np.repeat(np.arange(len(xy)), counts), np.concatenate(found).astype(np.int64)
    extent = np.fmax(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cell = max(float(np.median(extent)), 1.0)
    lo = np.floor(boxes[:, :2] / cell).astype(np.int64)
    hi = np.floor(boxes[:, 2:] / cell).astype(np.int64)
    nx, ny = hi[:, 0] - lo[:, 0] + 1, hi[:, 1] - lo[:, 1] + 1
    counts = nx * ny
    rows = np.repeat(np.arange(len(boxes)), counts)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    cx = lo[rows, 0] + k % nx[rows]
    cy = lo[rows, 1] + k // nx[rows]
    cells = pd.DataFrame({"key": cx * 2_000_003 + cy, "row": rows})
    pc = np.floor(xy / cell).astype(np.int64)
    asked = pd.DataFrame({"key": pc[:, 0] * 2_000_003 + pc[:, 1], "point": np.arange(len(xy))})
    pairs = asked.merge(cells, on="key")
    p, r = pairs["point"].to_numpy(), pairs["row"].to_numpy()
    hold = (boxes[r, 0] <= xy[p, 0]) & (xy[p, 0] <= boxes[r, 2])
    hold &= (boxes[r, 1] <= xy[p, 1]) & (xy[p, 1] <= boxes[r, 3])
    return p[hold], r[hold]


# what dating needs of an intermediate vintage: a patch's class, its WKB hashes (identity
# with a start or end patch) and its box (point lookups)
DATING_COLUMNS = ("code", *KEYS, *BOX)


def district_patches(
    patches: PatchTable, district_code: str, columns: Sequence[str] | None = None
) -> DistrictPatches:
    """The patches of one vintage in a district: those lying wholly inside, then the
    district's boundary pieces (needs the facts of ``gisaudit.layers.facts``).

    ``columns``: only these attribute columns (e.g. ``DATING_COLUMNS``); default all."""
    if patches.boundary_pieces is None:
        raise ValueError("district_patches needs a measured patch table (gisaudit.layers.facts)")
    cols = patches.columns
    inside = cols["inside"].to_numpy(dtype=bool)
    whole = np.flatnonzero(inside & (cols["district_code"] == district_code).to_numpy())
    pieces = patches.boundary_pieces
    mine = np.flatnonzero((pieces.columns["district_code"] == district_code).to_numpy())
    frame = pd.DataFrame(
        {
            name: _stacked(cols[name], whole, pieces.columns[name], mine)
            for name in cols.columns
            if name in pieces.columns
            and name not in ("district_code", "inside")
            and (columns is None or name in columns)
        }
    )
    return DistrictPatches(
        whole=frame,
        segments=[(patches.wkb, whole), (pieces.wkb, mine)],
        crs=patches.crs,
    )


def _stacked(a: pd.Series, a_rows: np.ndarray, b: pd.Series, b_rows: np.ndarray) -> object:
    """Rows ``a_rows`` of ``a`` then ``b_rows`` of ``b``, as one column (categoricals stay
    categoricals, over both sides' categories; other columns keep their dtype — Arrow-backed
    strings stay Arrow, never converted to Python objects and back)."""
    if isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype):
        parts = [
            pd.Categorical.from_codes(
                c.cat.codes.to_numpy()[rows],
                pd.Index(c.cat.categories.to_numpy(dtype=object), dtype=object),
            )
            for c, rows in ((a, a_rows), (b, b_rows))
        ]
        return union_categoricals(parts, ignore_order=True)
    return pd.concat([a.iloc[a_rows], b.iloc[b_rows]], ignore_index=True).array
