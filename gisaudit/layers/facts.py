"""Per-patch facts measured once when a package is loaded, reused by every evaluation.

For every patch of every vintage (columns added to its ``PatchTable``):

- ``area_m2``: ellipsoidal area (m², ``gisaudit.geodesy``), the survey's 图斑面积;
- ``inside``: the boundary of its own district (``district_code``) covers it, so the patch
  needs no clipping when that district is evaluated;
- ``zone_<kind>_m2``: its area inside each zone kind of the package (m², zones never
  unioned, see ``gisaudit.layers.zone_areas``); approvals count when approved on or before
  the vintage's date;
- ``xmin``, ``ymin``, ``xmax``, ``ymax``: its bounding box (package CRS);
- ``wkb_key``, ``wkb_check``: two 64-bit hashes of its WKB (``gisaudit.layers.patches``).

And the vintage's boundary pieces (``PatchTable.boundary_pieces``): every patch that is not
``inside`` clipped to each district it meets, with the same facts, so that evaluating a
district never clips: the district's patches are its inside patches plus its pieces.

A survey update leaves most patches as they were, so a patch whose WKB is byte-identical to
one of the previous vintage (same district) takes that patch's facts instead of being
measured again (its boundary pieces are taken over too); approvals are measured afresh only
when approvals were added in between.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.clipping import clip_to_boundary, polygonal
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.patches import (
    BOX,
    KEYS,
    PatchTable,
    plain_strings,
    same_geometry,
    wkb_keys,
)
from gisaudit.layers.zone_areas import area_inside_m2, zone_polygons
from gisaudit.progress import ProgressFn, no_progress


def zone_column(kind: str) -> str:
    """The patch-table column holding the area inside zone ``kind`` (m²)."""
    return f"zone_{kind}_m2"


def measure_patches(package: AuditPackage, progress: ProgressFn = no_progress) -> AuditPackage:
    """The package with the facts of every vintage's patches measured (see module doc)."""
    vintages = []
    previous: tuple[date, PatchTable] | None = None
    total = len(package.landuse)
    for n, vintage in enumerate(package.landuse, start=1):
        progress(f"量算第 {n}/{total} 期图斑面积与所在分区", n - 1, total)
        table = vintage.patches
        if not table.has_facts:
            table = measure_table(table, package, vintage.vintage, previous=previous)
            vintage = vintage.with_patches(table)
        vintages.append(vintage)
        previous = (vintage.vintage, table)
    return replace(package, landuse=tuple(vintages))


def measured(package: AuditPackage, vintage: date) -> PatchTable:
    """The vintage's patch table with its facts (measured now when the package came without)."""
    return package.landuse_at(vintage).measured(
        lambda table: measure_table(table, package, vintage)
    )


def measure_table(
    table: PatchTable,
    package: AuditPackage,
    when: date,
    previous: tuple[date, PatchTable] | None = None,
) -> PatchTable:
    """``table`` with its facts and boundary pieces (see module doc) measured.

    ``previous``: the (date, measured table) of the vintage before, whose identical patches
    lend their facts and pieces.
    """
    keys = wkb_keys(table.wkb)
    same = (
        _same_patches(keys, table.columns["district_code"].to_numpy(), previous[1])
        if previous is not None and len(table)
        else None
    )  # one match against the previous vintage, for the facts and for the pieces
    facts = patch_facts(table, package, when, previous=previous, keys=keys, same=same)
    table = table.with_columns(facts)
    pieces = boundary_pieces(table, package, when, previous=previous, same=same)
    return table.with_boundary_pieces(pieces)


def patch_facts(
    table: PatchTable,
    package: AuditPackage,
    when: date,
    previous: tuple[date, PatchTable] | None = None,
    keys: pd.DataFrame | None = None,
    same: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The facts of ``table``'s patches (one row per patch, see module doc).

    ``previous``: the (date, measured table) of the vintage before, whose identical patches
    lend their facts. ``keys`` (``wkb_keys`` of the table) and ``same`` (rows here and there
    of the identical patches) when the caller has them already.
    """
    n = len(table)
    cols = table.columns
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["area_m2"] = np.nan
    out["inside"] = False
    for c in BOX:
        out[c] = np.nan
    kinds = list(package.zones)
    for kind in kinds:
        out[zone_column(kind)] = np.nan

    keys = wkb_keys(table.wkb) if keys is None else keys
    for c in KEYS:
        out[c] = keys[c].to_numpy()
    lent = np.zeros(n, dtype=bool)
    if previous is not None and n:
        before_date, before = previous
        here_rows, there_rows = (
            _same_patches(keys, cols["district_code"].to_numpy(), before)
            if same is None
            else same
        )
        lent[here_rows] = True
        copy = ["area_m2", "inside", *BOX]
        copy += [
            zone_column(k) for k in kinds if not _approvals_changed(package, k, before_date, when)
        ]
        for c in copy:
            if c in before.columns.columns:
                values = out[c].to_numpy().copy()
                values[here_rows] = before.columns[c].to_numpy()[there_rows]
                out[c] = values

    new = np.flatnonzero(~lent)
    geoms = table.geometries(new)
    area = ellipsoidal_area_m2(geoms, table.crs) if len(new) else np.zeros(0)
    out.loc[new, "area_m2"] = area
    out.loc[new, BOX] = shapely.bounds(geoms) if len(new) else np.zeros((0, 4))
    inside = out["inside"].to_numpy(dtype=bool).copy()
    inside[new] = _inside(geoms, cols["district_code"].to_numpy()[new], package)
    out["inside"] = inside
    for kind in kinds:
        column = zone_column(kind)
        todo = np.flatnonzero(out[column].isna().to_numpy())
        out.loc[todo, column] = _zone_m2(table, todo, out, package.zones[kind], kind, when)
    return out


def boundary_pieces(
    table: PatchTable,
    package: AuditPackage,
    when: date,
    previous: tuple[date, PatchTable] | None = None,
    same: tuple[np.ndarray, np.ndarray] | None = None,
) -> PatchTable:
    """The patches of ``table`` (with its facts) that are not ``inside``, each clipped to every
    district it meets: one row per non-empty piece, with ``bsm``, ``code``, ``kcxs`` of the
    patch, ``district_code`` of the district, ``patch_row``, and the facts of the piece
    (``area_m2`` in m², ``inside`` true, zone areas, box). Clipping is what
    ``gisaudit.change.overlay.clip_to_district`` does to a vintage. ``same``: the identical
    patches' rows (here, there), when the caller has matched them already."""
    cols = table.columns
    kinds = list(package.zones)
    boundary = ~cols["inside"].to_numpy(dtype=bool)
    parts: list[tuple[pd.DataFrame, pa.Array]] = []
    lent = np.zeros(len(table), dtype=bool)
    if previous is not None and previous[1].boundary_pieces is not None and len(table):
        before_date, before = previous
        here, there = (
            _same_patches(cols[KEYS], cols["district_code"].to_numpy(), before)
            if same is None
            else same
        )
        keep = boundary[here]
        here, there = here[keep], there[keep]
        lent[here] = True
        old = before.boundary_pieces
        assert old is not None
        lookup = np.full(len(before), -1, dtype=np.int64)
        lookup[there] = here
        taken = np.flatnonzero(lookup[old.columns["patch_row"].to_numpy()] >= 0)
        facts = old.columns.iloc[taken].reset_index(drop=True)
        facts["patch_row"] = lookup[facts["patch_row"].to_numpy()]
        for kind in kinds:
            stale = _approvals_changed(package, kind, before_date, when)
            if stale or zone_column(kind) not in facts:
                facts[zone_column(kind)] = np.nan
        parts.append((facts, old.wkb.take(pa.array(taken))))
    new = np.flatnonzero(boundary & ~lent)
    parts.append(_clipped_pieces(table, new, package))
    facts = pd.concat([p[0] for p in parts], ignore_index=True)
    wkb = pa.concat_arrays([p[1] for p in parts])
    # attributes from this vintage (an identical patch may have been recoded), in patch order
    rows = facts["patch_row"].to_numpy()
    for c in ("bsm", "code", "kcxs"):
        facts[c] = cols[c].to_numpy()[rows]
    order = np.argsort(rows, kind="stable")
    facts = facts.iloc[order].reset_index(drop=True)
    facts["district_code"] = facts["district_code"].astype(str)
    pieces = PatchTable(plain_strings(facts), wkb.take(pa.array(order)), table.crs)
    for kind in kinds:
        column = zone_column(kind)
        values = pieces.columns[column].to_numpy(dtype=float).copy()
        todo = np.flatnonzero(np.isnan(values))
        values[todo] = _zone_m2(pieces, todo, pieces.columns, package.zones[kind], kind, when)
        pieces.columns[column] = values
    return pieces


def _clipped_pieces(
    table: PatchTable, rows: np.ndarray, package: AuditPackage
) -> tuple[pd.DataFrame, pa.Array]:
    """Patches ``rows`` clipped to each district they meet: (facts without zone areas, WKB)."""
    geoms = table.geometries(rows)
    districts = package.districts.geometry.to_numpy()
    codes = package.districts["district_code"].astype(str).to_numpy()
    g, d = shapely.STRtree(districts).query(geoms, predicate="intersects")
    order = np.lexsort((d, g))
    g, d = g[order], d[order]
    pieces = geoms[g].copy()
    for k in np.unique(d):
        mine = np.flatnonzero(d == k)
        boundary = districts[k]
        shapely.prepare(boundary)
        cut = mine[~shapely.covers(boundary, pieces[mine])]
        if len(cut):
            pieces[cut] = polygonal(clip_to_boundary(pieces[cut], boundary))
    keep = ~shapely.is_empty(pieces)
    g, d, pieces = g[keep], d[keep], pieces[keep]
    wkb = shapely.to_wkb(pieces)
    facts = pd.DataFrame({"patch_row": rows[g].astype(np.int64), "district_code": codes[d]})
    facts[KEYS] = wkb_keys(wkb).to_numpy() if len(pieces) else np.zeros((0, 2), dtype=np.uint64)
    facts["area_m2"] = ellipsoidal_area_m2(pieces, table.crs) if len(pieces) else np.zeros(0)
    facts["inside"] = True
    facts[BOX] = shapely.bounds(pieces) if len(pieces) else np.zeros((0, 4))
    for kind in package.zones:
        facts[zone_column(kind)] = np.nan
    return facts, pa.array(wkb, type=pa.large_binary())


def _same_patches(
    keys: pd.DataFrame, codes: np.ndarray, before: PatchTable
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (here, there) of patches with the same WKB bytes (by their ``KEYS``) and the same
    district in both vintages; ``keys`` / ``codes``: this vintage's."""
    rows, other = same_geometry(keys, before.columns)
    same_district = codes[rows] == before.columns["district_code"].to_numpy()[other]
    return rows[same_district], other[same_district]


def _approvals_changed(package: AuditPackage, kind: str, before: date, when: date) -> bool:
    """Whether zone ``kind`` differs between the two dates (only approvals are dated)."""
    if kind != "approvals":
        return False
    frame = package.zones[kind]
    if "approval_date" not in frame.columns or len(frame) == 0:
        return False
    dates = pd.to_datetime(frame["approval_date"], errors="coerce").dt.date
    return bool(((dates > before) & (dates <= when)).fillna(False).any())


def _inside(geoms: np.ndarray, codes: np.ndarray, package: AuditPackage) -> np.ndarray:
    """Whether each patch's own district covers it and no other district's interior meets it
    (district boundaries may overlap a little: such patches are clipped as boundary ones)."""
    inside = np.zeros(len(geoms), dtype=bool)
    districts = package.districts.geometry.to_numpy()
    district_codes = package.districts["district_code"].astype(str).to_numpy()
    for code, boundary in zip(district_codes, districts, strict=True):
        mine = np.flatnonzero(codes == code)
        if len(mine):
            shapely.prepare(boundary)
            inside[mine] = shapely.covers(boundary, geoms[mine])
    rows = np.flatnonzero(inside)
    if len(rows) and len(districts) > 1:
        g, d = shapely.STRtree(districts).query(geoms[rows])
        other = district_codes[d] != codes[rows[g]]
        g, d = g[other], d[other]
        overlap = shapely.relate_pattern(districts[d], geoms[rows[g]], "2********")
        inside[rows[g[overlap]]] = False
    return inside


def _zone_m2(
    table: PatchTable,
    rows: np.ndarray,
    facts: pd.DataFrame,
    zone: gpd.GeoDataFrame,
    kind: str,
    when: date,
) -> np.ndarray:
    """Area (m²) inside zone ``kind`` of the patches ``rows`` (only those near it decoded)."""
    out = np.zeros(len(rows))
    if len(rows) == 0:
        return out
    parts = zone_polygons(zone, kind, when)[0]
    if len(parts) == 0:
        return out
    boxes = shapely.box(*facts[BOX].to_numpy()[rows].T)
    near = np.unique(shapely.STRtree(parts).query(boxes)[0])
    if len(near) == 0:
        return out
    geoms = table.geometries(rows[near])
    whole = facts["area_m2"].to_numpy()[rows[near]]
    out[near] = area_inside_m2(geoms, whole, parts, table.crs)
    return out
