"""Dating each change by the first vintage in which it appears (spec §5, ``change_vintage``).

For every changed piece (start code ≠ end code) a point on its surface is looked up in each
intermediate vintage, in date order. The change is dated by the first vintage whose class
there is the end class — or, when the piece changed group, a class of the end group (0101 →
0601 in one year and → 0602 the next is one change to built land, dated the first year).
A piece not found changed in any intermediate vintage is dated by the end vintage.
The point lookup treats a piece as uniform in each intermediate vintage; a piece split by an
intermediate patch boundary is dated by the class at its representative point.

Most lookups need no point: when the piece's start or end patch is found unchanged (same WKB,
by its hashes) among a vintage's patches, the piece lies in that patch there, and that
patch's class is the class at the piece.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisaudit.change.district import DistrictPatches
from gisaudit.layers.classes import LandClassTable


def date_changes(
    pieces: gpd.GeoDataFrame,
    end_vintage: date,
    intermediate: Sequence[tuple[date, gpd.GeoDataFrame | DistrictPatches]],
    table: LandClassTable,
    sources: tuple[DistrictPatches, DistrictPatches] | None = None,
) -> np.ndarray:
    """``change_vintage`` of each piece (object array of date; None where nothing changed).

    ``intermediate``: (vintage date, patches) pairs strictly between the start and end
    vintage, in any order; the patches are a land-use frame (``code``, ``geometry``) or a
    district's patches (``gisaudit.change.district.DistrictPatches``). ``sources``: the
    district's start and end patches, which ``pieces`` (``from_row``, ``to_row``) came from:
    with them, pieces whose source patch is unchanged in a vintage need no point lookup.
    """
    n = len(pieces)
    out = np.full(n, None, dtype=object)
    from_code = pieces["from_code"].astype(str)
    to_code = pieces["to_code"].astype(str)
    changed = np.flatnonzero((from_code != to_code).to_numpy())
    if changed.size == 0:
        return out
    out[changed] = end_vintage
    if not intermediate:
        return out
    to_group = table.groups_of(to_code).to_numpy()
    from_group = table.groups_of(from_code).to_numpy()
    points = shapely.point_on_surface(pieces.geometry.to_numpy()[changed])
    pending = np.ones(changed.size, dtype=bool)
    rows_of = (
        [(side, pieces[column].to_numpy(dtype=np.int64)[changed])
         for side, column in zip(sources, ("from_row", "to_row"), strict=True)]
        if sources is not None and {"from_row", "to_row"} <= set(pieces.columns)
        else []
    )  # fmt: skip
    for vintage, frame in sorted(intermediate, key=lambda item: item[0]):
        if not pending.any() or len(frame) == 0:
            continue
        ask = np.flatnonzero(pending)
        known = np.full(len(ask), None, dtype=object)
        if isinstance(frame, DistrictPatches):
            for side, rows in rows_of:
                found = _codes_by_identity(side, rows[ask], frame)
                known = np.where(pd.isna(known), found, known)
        unknown = np.flatnonzero(pd.isna(known))
        found, codes = _codes_at(frame, points[ask[unknown]])
        found = np.concatenate([np.flatnonzero(~pd.isna(known)), unknown[found]])
        codes = np.concatenate([known[~pd.isna(known)], codes])
        if len(found) == 0:
            continue
        where = ask[found]
        groups = table.groups_of(pd.Series(codes)).to_numpy()
        rows = changed[where]
        same_code = codes == to_code.to_numpy()[rows]
        group_move = (groups == to_group[rows]) & (to_group[rows] != from_group[rows])
        done = same_code | group_move
        out[rows[done]] = vintage
        pending[where[done]] = False
    return out


def _codes_by_identity(
    side: DistrictPatches, rows: np.ndarray, patches: DistrictPatches
) -> np.ndarray:
    """For patches ``rows`` of ``side``: the code of the identical patch (same WKB) among
    ``patches``, or None where it has none."""
    unique, inverse = np.unique(rows, return_inverse=True)
    codes = np.full(len(unique), None, dtype=object)
    # by the vintage's index of WKB hashes, built once for every tenure and side asking
    here, there = patches.key_index().find(side.whole.iloc[unique])
    codes[here] = patches.whole["code"].iloc[there].to_numpy()
    return codes[inverse]


def _codes_at(
    patches: gpd.GeoDataFrame | DistrictPatches, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(index of each point found, the code of a patch holding it) — one patch per point
    (a point on a shared edge touches two: either will do)."""
    if isinstance(patches, DistrictPatches):
        return patches.codes_at(points)
    hits = patches.sindex.query(points, predicate="intersects")
    first = pd.Series(hits[1]).groupby(hits[0]).first()
    return first.index.to_numpy(), patches["code"].astype(str).to_numpy()[first.to_numpy()]
