"""One vintage's land-use patches as columns, geometry kept as WKB and decoded where needed.

A survey vintage has about a million patches; as shapely objects that is over a gigabyte,
and an evaluation touches the geometry of only the few percent that changed. A
``PatchTable`` keeps the attributes in a DataFrame and every geometry as its WKB bytes in one
Arrow array (no per-object overhead); ``geometries(rows)`` decodes just those rows.

Columns: ``bsm``, ``code``, ``district_code``, ``kcxs`` (see ``LandUseVintage``) and, once
measured (``gisaudit.layers.facts``), the per-patch facts: ``area_m2`` (ellipsoidal),
``inside`` (its district's boundary covers it), ``zone_<kind>_m2`` (area inside each zone
kind of the package), the bounding box ``xmin``, ``ymin``, ``xmax``, ``ymax`` and ``KEYS``
(hashes of the WKB, to find identical patches without reading the geometry); and its
``boundary_pieces``: every patch not lying wholly inside its district, clipped to each district
it meets (a table of its own, with the same facts, ``district_code`` being the district it was
clipped to and ``patch_row`` the row of the patch it comes from).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import CRS

ATTRIBUTES = ["bsm", "code", "district_code", "kcxs"]
BOX = ["xmin", "ymin", "xmax", "ymax"]
KEYS = ["wkb_key", "wkb_check"]  # two independent 64-bit hashes of the WKB bytes
_HASH_KEYS = ("gisaudit-wkb-key", "gisaudit-wkb-chk")  # SipHash keys (16 characters each)


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Class and district codes as categoricals: selecting rows of strings, or turning them
    into NumPy, costs milliseconds per call, which adds up over a survey's districts and
    vintages. Identifiers (``bsm``) keep the type they come with (Arrow-backed strings from
    the cache: no million Python strings made on loading; rows are taken Arrow to Arrow)."""
    for c in ("code", "district_code"):
        if c in frame.columns and not isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype("category")
    return frame


def same_keys(a_keys: np.ndarray, b_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in ``a``, in ``b``) of equal keys (e.g. WKB bytes); a key repeated within
    ``b`` never matches."""
    return KeyIndex.of_keys(b_keys).find_keys(a_keys)


def wkb_keys(wkb: pa.Array | np.ndarray) -> pd.DataFrame:
    """``KEYS`` of each WKB: two independent 64-bit SipHash digests (uint64). Equal WKB bytes
    give equal keys; different ones the same pair with a chance of about 2⁻¹²⁸."""
    values = wkb.to_numpy(zero_copy_only=False) if isinstance(wkb, pa.Array) else wkb
    return pd.DataFrame(
        {k: pd.util.hash_array(values, hash_key=h, categorize=False)
         for k, h in zip(KEYS, _HASH_KEYS, strict=True)}
    )  # fmt: skip


@dataclass(frozen=True)
class KeyIndex:
    """An index of a table's keys — its WKB hashes (``KEYS``: the first indexed, the second
    checked), or any one key such as the WKB bytes — for finding the rows of other tables
    with the same keys without rebuilding it each time. A key repeated within the indexed
    table never matches."""

    index: pd.Index  # the keys that occur once
    rows: np.ndarray  # their positions in the table
    check: np.ndarray | None = None  # the second key of every row, if any

    @classmethod
    def of_keys(cls, keys: np.ndarray, check: np.ndarray | None = None) -> KeyIndex:
        series = pd.Series(keys)
        unique = series[~series.duplicated(keep=False)]
        return cls(pd.Index(unique.to_numpy()), unique.index.to_numpy(), check)

    @classmethod
    def of(cls, table: pd.DataFrame) -> KeyIndex:
        return cls.of_keys(table[KEYS[0]].to_numpy(), table[KEYS[1]].to_numpy())

    def find_keys(
        self, keys: np.ndarray, check: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions (in ``keys``, in the indexed table) of equal keys (and equal ``check``
        keys, when both sides have them)."""
        pos = self.index.get_indexer(pd.Index(keys))
        rows = np.flatnonzero(pos >= 0)
        there = self.rows[pos[rows]]
        if check is None or self.check is None:
            return rows, there
        same = np.asarray(check)[rows] == self.check[there]
        return rows[same], there[same]

    def find(self, other: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Positions (in ``other``, in the indexed table) of rows with the same WKB bytes."""
        return self.find_keys(other[KEYS[0]].to_numpy(), other[KEYS[1]].to_numpy())


def same_geometry(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in ``a``, in ``b``) of rows with the same WKB bytes, by their ``KEYS``
    (``wkb_keys``) alone: no geometry is read. A geometry repeated within ``b`` never
    matches."""
    return KeyIndex.of(b).find(a)


def text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The inverse of ``plain_strings``: string columns as pandas' plain string type."""
    for c in ("bsm", "code", "district_code"):
        if c in frame.columns:
            frame[c] = frame[c].astype(str)
    return frame


@dataclass(frozen=True, eq=False)
class PatchTable:
    """Patches of one vintage: ``columns`` (one row per patch) and ``wkb`` (same order)."""

    columns: pd.DataFrame
    wkb: pa.Array  # large_binary, ISO WKB as shapely writes it
    crs: CRS
    boundary_pieces: PatchTable | None = None  # measured with the facts (module doc)

    def __len__(self) -> int:
        return len(self.columns)

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> PatchTable:
        """The table of a decoded land-use frame (columns ``ATTRIBUTES`` + geometry)."""
        wkb = pa.array(shapely.to_wkb(frame.geometry.to_numpy()), type=pa.large_binary())
        n = len(frame)
        defaults = {"bsm": "", "code": "", "district_code": "", "kcxs": 0.0}
        # a frame without ``district_code`` (built by hand): its patches are clipped as
        # boundary ones (``inside`` is false), i.e. placed by location
        columns = pd.DataFrame(
            {
                c: frame[c].to_numpy() if c in frame.columns else np.full(n, d, dtype=object)
                for c, d in defaults.items()
            }
        )
        for c in ("bsm", "code", "district_code"):  # blanks read as clipping reads them
            columns[c] = columns[c].fillna("").astype(str)
        columns = plain_strings(columns)
        columns["kcxs"] = columns["kcxs"].astype(float).fillna(0.0)
        crs = CRS.from_user_input(frame.crs) if frame.crs is not None else CRS.from_epsg(4527)
        return cls(columns, wkb, crs)

    @property
    def has_facts(self) -> bool:
        """True once ``gisaudit.layers.facts`` has measured the patches (and clipped the
        boundary ones)."""
        have = self.columns.columns
        return (
            all(c in have for c in ("area_m2", "inside", *KEYS))
            and self.boundary_pieces is not None
        )

    def wkb_of(self, rows: np.ndarray) -> np.ndarray:
        """The WKB bytes of ``rows`` as an object array (comparable, hashable)."""
        return self.wkb.take(pa.array(np.asarray(rows, dtype=np.int64))).to_numpy(
            zero_copy_only=False
        )

    def geometries(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Shapely geometries of ``rows`` (all when None), decoded from WKB."""
        if rows is None:
            return shapely.from_wkb(self.wkb.to_numpy(zero_copy_only=False))
        return shapely.from_wkb(self.wkb_of(rows))

    def frame(self, rows: np.ndarray | None = None) -> gpd.GeoDataFrame:
        """A GeoDataFrame of the attributes and decoded geometry (of ``rows``, or all)."""
        attrs = self.columns[ATTRIBUTES]
        if rows is not None:
            attrs = attrs.iloc[np.asarray(rows, dtype=np.int64)]
        return gpd.GeoDataFrame(
            text_columns(attrs.reset_index(drop=True)), geometry=self.geometries(rows), crs=self.crs
        )

    def with_columns(self, extra: pd.DataFrame) -> PatchTable:
        """The same patches with ``extra`` columns (one row per patch) added or replaced."""
        columns = self.columns.drop(columns=[c for c in extra.columns if c in self.columns])
        joined = pd.concat([columns.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
        # boundary pieces copy the attributes: new attributes make them stale
        stale = any(c in ATTRIBUTES for c in extra.columns)
        return PatchTable(joined, self.wkb, self.crs, None if stale else self.boundary_pieces)

    def with_boundary_pieces(self, pieces: PatchTable) -> PatchTable:
        """The same patches with their ``boundary_pieces`` (see module doc)."""
        return PatchTable(self.columns, self.wkb, self.crs, pieces)
