"""Overlay of two land-use tessellations inside one district: the pieces of change.

How it works
------------
1. Each vintage's patches in the district are taken from its patch table
   (``gisaudit.change.district``): patches lying wholly inside (a fact measured once per
   package, ``gisaudit.layers.facts``) as they are, still as WKB; only patches crossing the
   district boundary are decoded and intersected with it (with the boundary's rectangle clip
   around each patch, not the whole boundary).
2. Identical patches are matched first: a start patch and an end patch with the same WKB
   bytes cover exactly the same ground, so the pair is one piece without any overlay (in a
   survey update most patches are unchanged); it takes the start patch's measured area and
   zone areas and is not even decoded unless its class changed. Among the rest, patches
   whose normalised geometries have the same WKB (another start vertex or ring orientation)
   are matched too. Matching is on the geometry alone: two identical geometries are the same
   ground whatever their BSM.
3. Only the remaining (changed) patches are overlaid: an STRtree query pairs every remaining
   start patch with the remaining end patches whose boxes meet its box; one DE-9IM matrix per
   pair sorts it as apart or touching only (dropped), one inside the other (taken as is) or
   cut (intersected in one vectorised shapely call). Non-polygonal parts (shared edges,
   points) have no area and are dropped.

Slivers
-------
No piece is dropped, however small: float noise along shared edges makes tiny pieces whose
areas add up to what the two tessellations share, and dropping them would lose area from the
transition matrix. Every piece keeps its own (tiny) area and the classes and KCXS of the two
patches it comes from. Minimum areas apply to leads only (spec §8), never here.

Areas are ellipsoidal (``gisaudit.geodesy.ellipsoidal_area_m2``), in m².
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.errors import GEOSException

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.clipping import clip_to_boundary, polygonal, safe_intersection
from gisaudit.layers.patches import same_geometry, same_keys

if TYPE_CHECKING:
    from gisaudit.change.district import DistrictPatches

PIECE_COLUMNS = ["from_bsm", "to_bsm", "from_code", "to_code", "kcxs_from", "kcxs_to", "area_m2"]


def clip_to_district(
    frame: gpd.GeoDataFrame, district: shapely.Geometry, clip: bool = True
) -> gpd.GeoDataFrame:
    """The patches of ``frame`` that lie in ``district``, clipped to its boundary.

    Keeps columns ``bsm``, ``code``, ``kcxs``, ``geometry`` (absent ``bsm``/``kcxs`` become
    "" / 0); the index is reset. ``clip=False``: the patches meeting the district, unclipped.
    """
    if len(frame) == 0:
        return _empty_patches(frame.crs)
    idx = np.sort(frame.sindex.query(district, predicate="intersects"))
    sub = frame.iloc[idx]
    geoms = sub.geometry.to_numpy()
    shapely.prepare(district)
    inside = shapely.covers(district, geoms) if clip else np.ones(len(geoms), dtype=bool)
    geoms = geoms.copy()
    if (~inside).any():
        geoms[~inside] = polygonal(clip_to_boundary(geoms[~inside], district))
    keep = ~shapely.is_empty(geoms)
    out = gpd.GeoDataFrame(
        {
            "bsm": _column(sub, "bsm", "").astype(str).to_numpy()[keep],
            "code": sub["code"].astype(str).to_numpy()[keep],
            "kcxs": _column(sub, "kcxs", 0.0).astype(float).to_numpy()[keep],
        },
        geometry=geoms[keep],
        crs=frame.crs,
    )
    return out


def overlay_tessellations(
    start: gpd.GeoDataFrame,
    end: gpd.GeoDataFrame,
    crs: CRS | str,
    rows: bool = False,
    same_bytes_matched: bool = False,
) -> gpd.GeoDataFrame:
    """Overlay two tessellations already clipped to one district (see ``clip_to_district``).

    Returns one row per piece with ``from_bsm``, ``to_bsm``, ``from_code``, ``to_code``,
    ``kcxs_from``, ``kcxs_to``, ``area_m2`` (ellipsoidal, m²) and ``geometry``; with
    ``rows``, also ``from_row`` / ``to_row``: the position of its start / end patch.
    ``same_bytes_matched``: the caller already took out the patches with identical WKB.
    """
    sg = start.geometry.to_numpy()
    eg = end.geometry.to_numpy()
    # identical patches: the same WKB bytes (cheap), then the same normalised WKB among the
    # rest (the same polygon written from another start vertex or ring orientation)
    if same_bytes_matched:
        s_same = e_same = np.zeros(0, dtype=np.int64)
    else:
        s_same, e_same = same_keys(shapely.to_wkb(sg), shapely.to_wkb(eg))
    s_left = _other_rows(len(sg), s_same)
    e_left = _other_rows(len(eg), e_same)
    if s_left.size and e_left.size:
        # only patches whose bounding box is also a box of the other side can be the same
        # polygon written another way: the others are not normalised at all
        s_box, e_box = _box_keys(sg[s_left]), _box_keys(eg[e_left])
        s_left = s_left[np.isin(s_box, e_box)]
        e_left = e_left[np.isin(e_box, s_box)]
        s2, e2 = same_keys(
            shapely.to_wkb(shapely.normalize(sg[s_left])),
            shapely.to_wkb(shapely.normalize(eg[e_left])),
        )
        s_same = np.concatenate([s_same, s_left[s2]])
        e_same = np.concatenate([e_same, e_left[e2]])
    same_s = np.zeros(len(start), dtype=bool)
    same_s[s_same] = True
    same_e = np.zeros(len(end), dtype=bool)
    same_e[e_same] = True

    s_rest = np.flatnonzero(~same_s)
    e_rest = np.flatnonzero(~same_e)
    if s_rest.size and e_rest.size:
        tree = shapely.STRtree(eg[e_rest])
        # pairs whose boxes meet: the DE-9IM matrix below sorts out the disjoint ones too,
        # cheaper than a separate ``intersects`` test on every pair first
        pairs = tree.query(sg[s_rest])
        s_pair = s_rest[pairs[0]]
        e_pair = e_rest[pairs[1]]
        inter = _pair_intersections(sg[s_pair], eg[e_pair])
        nonempty = ~shapely.is_empty(inter)
        s_pair, e_pair, inter = s_pair[nonempty], e_pair[nonempty], inter[nonempty]
    else:
        s_pair = e_pair = np.zeros(0, dtype=int)
        inter = np.zeros(0, dtype=object)

    s_idx = np.concatenate([s_same, s_pair])
    e_idx = np.concatenate([e_same, e_pair])
    geoms = np.concatenate([sg[s_same], inter]) if len(inter) else sg[s_same]
    area = ellipsoidal_area_m2(geoms, crs) if len(geoms) else np.zeros(0)
    pieces = gpd.GeoDataFrame(
        _piece_columns(start, end, s_idx, e_idx, area),
        geometry=np.asarray(geoms, dtype=object),
        crs=crs,
    )
    if rows:
        pieces["from_row"] = s_idx
        pieces["to_row"] = e_idx
    return pieces


def overlay_district_patches(
    start: DistrictPatches, end: DistrictPatches, crs: CRS | str, zone_kinds: list[str]
) -> gpd.GeoDataFrame:
    """Overlay one district's patches of two vintages (``gisaudit.change.district``).

    Patches with the same WKB bytes in both vintages (found by their hashes, ``KEYS``) are one
    piece each, taken with the
    start patch's measured area and zone areas (approvals: the end patch's, measured against
    the approvals of the end vintage) and without decoding their geometry: ``geometry`` is
    None on such a piece unless its class changed. The rest is decoded and overlaid by
    ``overlay_tessellations``; a piece's zone area (``zone_<kind>_m2``) follows from its
    source patches where one of them lies wholly outside or wholly inside the zone, and is
    NaN otherwise, to be measured against the district's zone polygons. ``from_row`` /
    ``to_row``: the position of a piece's start / end patch in ``start.whole`` / ``end.whole``.
    """
    s_same, e_same = same_geometry(start.whole, end.whole)
    sw, ew = start.whole, end.whole
    area = sw["area_m2"].to_numpy(dtype=float)[s_same]
    matched = pd.DataFrame(_piece_columns(sw, ew, s_same, e_same, area))
    for kind in zone_kinds:
        column = f"zone_{kind}_m2"
        side, rows = (ew, e_same) if kind == "approvals" else (sw, s_same)
        matched[column] = side[column].to_numpy(dtype=float)[rows] if column in side else np.nan
    geoms = np.full(len(matched), None, dtype=object)
    recoded = np.flatnonzero((matched["from_code"] != matched["to_code"]).to_numpy())
    geoms[recoded] = start.whole_geometries(s_same[recoded])

    def rest(side: DistrictPatches, same: np.ndarray) -> tuple[gpd.GeoDataFrame, np.ndarray]:
        left = _other_rows(len(side.whole), same)
        facts = ["area_m2", *(f"zone_{k}_m2" for k in zone_kinds if f"zone_{k}_m2" in side.whole)]
        frame = gpd.GeoDataFrame(
            side.whole[["bsm", "code", "kcxs", *facts]].iloc[left].reset_index(drop=True),
            geometry=side.whole_geometries(left),
            crs=side.crs,
        )
        return frame, left

    (s_rest, s_left), (e_rest, e_left) = rest(start, s_same), rest(end, e_same)
    overlaid = overlay_tessellations(s_rest, e_rest, crs, rows=True, same_bytes_matched=True)
    for kind in zone_kinds:
        overlaid[f"zone_{kind}_m2"] = _zone_by_source(overlaid, s_rest, e_rest, kind)
    overlaid["from_row"] = s_left[overlaid["from_row"].to_numpy(dtype=np.int64)]
    overlaid["to_row"] = e_left[overlaid["to_row"].to_numpy(dtype=np.int64)]
    matched["from_row"], matched["to_row"] = s_same, e_same
    pieces = pd.concat(
        [gpd.GeoDataFrame(matched, geometry=geoms, crs=crs), overlaid], ignore_index=True
    )
    return gpd.GeoDataFrame(pieces, geometry="geometry", crs=crs)


def _zone_by_source(
    pieces: gpd.GeoDataFrame, s_rest: pd.DataFrame, e_rest: pd.DataFrame, kind: str
) -> np.ndarray:
    """Area (m²) of each overlaid piece inside zone ``kind`` where its source patches tell:
    a piece lies in both its start and end patch, so it is wholly outside the zone when
    either patch is (measured zone area 0) and wholly inside when either is wholly inside
    (zone area = patch area). NaN elsewhere. Approvals are dated: only the end patch tells."""
    column = f"zone_{kind}_m2"
    out = np.full(len(pieces), np.nan)
    area = pieces["area_m2"].to_numpy(dtype=float)
    sides = [(e_rest, pieces["to_row"].to_numpy())]
    if kind != "approvals":
        sides.append((s_rest, pieces["from_row"].to_numpy()))
    for side, rows in sides:
        if column not in side or len(rows) == 0:
            continue
        zone = side[column].to_numpy(dtype=float)[rows]
        whole = side["area_m2"].to_numpy(dtype=float)[rows]
        out[zone == 0] = 0.0
        inside = (zone == whole) & np.isnan(out)
        out[inside] = area[inside]
    return out


def _box_keys(geoms: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each geometry's bounding box (its four floats, bit for bit)."""
    bounds = pd.DataFrame(shapely.bounds(geoms))
    return pd.util.hash_pandas_object(bounds, index=False).to_numpy()


def _other_rows(n: int, taken: np.ndarray) -> np.ndarray:
    """The rows 0..n-1 not in ``taken``, ascending (a mask: no sort, unlike ``setdiff1d``)."""
    keep = np.ones(n, dtype=bool)
    keep[taken] = False
    return np.flatnonzero(keep)


def _piece_columns(
    start: pd.DataFrame,
    end: pd.DataFrame,
    s_idx: np.ndarray,
    e_idx: np.ndarray,
    area_m2: np.ndarray,
) -> dict[str, np.ndarray]:
    """The attribute columns of pieces made of start rows ``s_idx`` and end rows ``e_idx``."""
    # BSM: ``take`` on the column's own array, so Arrow-backed strings stay Arrow (no round
    # trip through Python str objects); codes as plain strings (the two sides' categories
    # differ)
    return {
        "from_bsm": start["bsm"].array.take(s_idx),
        "to_bsm": end["bsm"].array.take(e_idx),
        "from_code": start["code"].to_numpy()[s_idx],
        "to_code": end["code"].to_numpy()[e_idx],
        "kcxs_from": start["kcxs"].to_numpy(dtype=float)[s_idx],
        "kcxs_to": end["kcxs"].to_numpy(dtype=float)[e_idx],
        "area_m2": area_m2,
    }


def _pair_intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Polygonal intersection of each pair (a[i], b[i]) of patches whose boxes meet.

    One DE-9IM matrix per pair (much cheaper than an intersection) sorts the pairs: apart or
    touching only → empty; one patch inside the other → that patch as it is (no float noise); the
    rest are intersected.
    """
    try:
        matrix = shapely.relate(a, b)
    except GEOSException:
        return polygonal(safe_intersection(a, b))
    # the nine DE-9IM characters of each pair as a (pairs, 9) byte array: no string objects
    cells = np.asarray(matrix, dtype="S9").view(np.uint8).reshape(len(a), 9)
    empty = cells == ord("F")
    meet = ~empty[:, 0]
    a_inside = meet & empty[:, 2] & empty[:, 5]
    b_inside = meet & ~a_inside & empty[:, 6] & empty[:, 7]
    out = np.full(len(a), shapely.Polygon(), dtype=object)
    out[a_inside] = a[a_inside]
    out[b_inside] = b[b_inside]
    cut = meet & ~a_inside & ~b_inside
    if cut.any():
        out[cut] = polygonal(safe_intersection(a[cut], b[cut]))
    return out


def overlay_district(
    start: gpd.GeoDataFrame, end: gpd.GeoDataFrame, district: shapely.Geometry, crs: CRS | str
) -> gpd.GeoDataFrame:
    """Clip both vintages to ``district`` and overlay them (see ``overlay_tessellations``)."""
    return overlay_tessellations(
        clip_to_district(start, district), clip_to_district(end, district), crs
    )


def _column(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    if name in frame.columns:
        return frame[name].fillna(default)
    return pd.Series([default] * len(frame), index=frame.index)


def _empty_patches(crs: CRS | str | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"bsm": pd.Series(dtype=str), "code": pd.Series(dtype=str), "kcxs": pd.Series(dtype=float)},
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )
