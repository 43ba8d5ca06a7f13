"""One vintage's patches inside one district, taken from the vintage's patch table.

Patches that lie wholly inside their district (the ``inside`` fact, measured once per
package by ``gisaudit.layers.facts``) are taken as they are, still as WKB with their measured
area and zone areas; only the patches crossing a district boundary are decoded and clipped
(``gisaudit.change.overlay.clip_to_district``). The result is what clipping the whole
vintage to the district gives, without touching the geometry of the rest.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import CRS

from gisaudit.change.overlay import clip_to_district
from gisaudit.layers.patches import BOX, PatchTable, text_columns


@dataclass(eq=False)
class DistrictPatches:
    """A vintage's patches in one district.

    ``whole``: the rows (attributes and facts, see ``gisaudit.layers.patches``) of the patches
    lying wholly inside; their WKB is ``source`` at positions ``rows`` (the vintage's own
    array, shared, not copied); ``clipped``: the boundary patches clipped to the district
    (``bsm``, ``code``, ``kcxs``, ``geometry``).
    """

    whole: pd.DataFrame
    source: pa.Array
    rows: np.ndarray
    clipped: gpd.GeoDataFrame
    crs: CRS
    _frame: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.whole) + len(self.clipped)

    def __getstate__(self) -> dict:
        # the compact form travels (e.g. back from a Dask worker): only this district's WKB,
        # no lock, no decoded frame
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_frame")}
        state["source"] = self._take(np.arange(len(self.rows)))
        state["rows"] = np.arange(len(self.rows))
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock(), _frame=None)

    def _take(self, rows: np.ndarray) -> pa.Array:
        return self.source.take(pa.array(self.rows[np.asarray(rows, dtype=np.int64)]))

    def wkb(self) -> np.ndarray:
        """The WKB bytes of the whole patches, in ``whole``'s order (object array)."""
        return self._take(np.arange(len(self.rows))).to_numpy(zero_copy_only=False)

    def whole_geometries(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Decoded geometries of the whole patches (``rows`` of ``whole``, or all)."""
        if rows is None:
            return shapely.from_wkb(self.wkb())
        return shapely.from_wkb(self._take(rows).to_numpy(zero_copy_only=False))

    def frame(self) -> gpd.GeoDataFrame:
        """All the district's patches decoded: ``bsm``, ``code``, ``kcxs``, ``geometry``."""
        with self._lock:
            if self._frame is None:
                whole = gpd.GeoDataFrame(
                    text_columns(self.whole[["bsm", "code", "kcxs"]].reset_index(drop=True)),
                    geometry=self.whole_geometries(),
                    crs=self.crs,
                )
                self._frame = pd.concat([whole, self.clipped], ignore_index=True)
            return self._frame

    def landuse(self) -> gpd.GeoDataFrame:
        """A copy of the decoded patches with ``code`` and ``geometry`` only (for maps)."""
        return self.frame()[["code", "geometry"]].copy()

    def codes_at(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For points in the district: (index of each point found, code of a patch holding it).

        One patch per point (a point on a shared edge touches two: either will do).
        """
        found_p, found_c = [], []
        # boxes first (from the measured bounding boxes), then the exact test on decoded rows
        p, rows = boxes_holding(self.whole[BOX].to_numpy(), shapely.get_coordinates(points))
        if len(p):
            unique, inverse = np.unique(rows, return_inverse=True)
            geoms = self.whole_geometries(unique)[inverse]
            hit = shapely.intersects(geoms, points[p])
            found_p.append(p[hit])
            found_c.append(self.whole["code"].to_numpy()[rows[hit]])
        if len(self.clipped):
            p, rows = self.clipped.sindex.query(points, predicate="intersects")
            found_p.append(p)
            found_c.append(self.clipped["code"].astype(str).to_numpy()[rows])
        if not found_p:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=object)
        first = pd.Series(np.concatenate(found_c)).groupby(np.concatenate(found_p)).first()
        return first.index.to_numpy(), first.to_numpy()


def boxes_holding(boxes: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, box) where box ``[xmin, ymin, xmax, ymax]`` holds point ``xy``.

    A hash grid in numpy: each box is listed in the grid cells it spans, each point in its
    cell, and the pairs sharing a cell are checked — no geometry objects are built.
    """
    if len(boxes) == 0 or len(xy) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
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


def district_patches(
    patches: PatchTable, district_code: str, district: shapely.Geometry, clip: bool = True
) -> DistrictPatches:
    """The patches of one vintage in ``district`` (needs the facts of ``gisaudit.layers.facts``).

    ``clip=False`` leaves the boundary patches meeting the district whole: enough to look up
    points inside the district (dating), and much cheaper.
    """
    cols = patches.columns
    inside = cols["inside"].to_numpy(dtype=bool)
    whole = np.flatnonzero(inside & (cols["district_code"] == district_code).to_numpy())
    xmin, ymin, xmax, ymax = district.bounds
    box = cols[BOX].to_numpy()
    near = ~inside & (box[:, 0] <= xmax) & (box[:, 2] >= xmin)
    near &= (box[:, 1] <= ymax) & (box[:, 3] >= ymin)
    candidates = patches.frame(np.flatnonzero(near))
    return DistrictPatches(
        whole=cols.iloc[whole].reset_index(drop=True),
        source=patches.wkb,
        rows=whole,
        clipped=clip_to_district(candidates, district, clip=clip),
        crs=patches.crs,
    )
