"""Mapbox Vector Tile 2.1 encoding of many shapely geometries at once (numpy + shapely 2).

``encode_layer(name, geoms, properties, bounds)`` writes one tile with one layer: the
geometries' rings and lines are simplified (Douglas-Peucker, ``tolerance`` tile units), mapped
to the tile grid (0..extent, y down) and rounded to integers, repeated points dropped, polygon
rings oriented as the spec wants (exterior: positive shoelace area in y-down tile coordinates,
holes negative), and the MoveTo/LineTo/ClosePath commands (delta + zigzag, the cursor carrying
across the rings and parts of a feature) and the protobuf bytes written, all vectorised. Only
the properties are read feature by feature.

Validity: rounding and the fast simplifier can make a polygon invalid (a spike, a ring touching
itself or crossing); those, and only those, are repaired on the grid (``make_valid``, then
``shapely.set_precision(grid_size=1)`` where that added vertices off the grid). Rings and
lines left with fewer than 3 (rings) or 2 (lines) distinct points are dropped, a polygon goes
with its exterior, and a feature left without geometry is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2

EXTENT = 4096
LINESTRING = 2  # vector_tile.tile.GeomType
POLYGON = 3
_MOVE_TO = (1 << 3) | 1  # command id 1, count 1
_LINE_TO = 2
_CLOSE_PATH = (1 << 3) | 7
_MULTI = (4, 5, 6, 7)  # MultiPoint, MultiLineString, MultiPolygon, GeometryCollection
_INT64 = (-(2**63), 2**63)
Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class Paths:
    """The rings and lines of many features in integer tile coordinates: path ``p`` is
    ``xy[offsets[p]:offsets[p + 1]]`` (rings without their closing point), of feature
    ``feature[p]`` (increasing), a ring when ``ring[p]``, the exterior of its polygon when
    ``exterior[p]``; ``part[p]`` numbers the polygons and lines."""

    xy: np.ndarray
    offsets: np.ndarray
    feature: np.ndarray
    part: np.ndarray
    ring: np.ndarray
    exterior: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        """Vertices of each path."""
        return np.diff(self.offsets)

    def take(self, order: np.ndarray) -> Paths:
        """The paths at positions ``order``, in that order."""
        counts = self.counts[order]
        offsets = np.concatenate([[0], np.cumsum(counts)])
        src = np.repeat(self.offsets[order] - offsets[:-1], counts) + np.arange(offsets[-1])
        rest = (a[order] for a in (self.feature, self.part, self.ring, self.exterior))
        return Paths(self.xy[src], offsets, *rest)

    def concat(self, other: Paths) -> Paths:
        """These paths, then ``other``'s."""
        offsets = np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]])
        mine = (self.xy, self.feature, self.part, self.ring, self.exterior)
        theirs = (other.xy, other.feature, other.part, other.ring, other.exterior)
        xy, *rest = (np.concatenate([a, b]) for a, b in zip(mine, theirs, strict=True))
        return Paths(xy, offsets, *rest)


def _paths(
    geoms: np.ndarray, grid: tuple[np.ndarray, np.ndarray] | None, tolerance: float
) -> Paths:
    """Rings and lines of ``geoms`` simplified by ``tolerance`` (their own units,
    Douglas-Peucker; 0: none), mapped by ``grid`` (origin, scale; None: already in tile
    units), rounded, repeated points and collapsed rings or lines dropped. Points, and the lines
    of a geometry that has polygons (what clipping leaves on a polygon's edge), are dropped."""
    parts, feature = geoms, np.arange(len(geoms))
    while len(parts) and np.isin(shapely.get_type_id(parts), _MULTI).any():  # open multi-parts
        parts, sub = shapely.get_parts(parts, return_index=True)
        feature = feature[sub]
    types = shapely.get_type_id(parts)
    keep = ~shapely.is_empty(parts)
    polys = np.flatnonzero(keep & (types == 3))
    lines = np.flatnonzero(keep & ((types == 1) | (types == 2)))
    lines = lines[~np.isin(feature[lines], feature[polys])]
    rings, ring_of = shapely.get_rings(parts[polys], return_index=True)
    geom = np.concatenate([rings, parts[lines]])
    part = np.concatenate([polys[ring_of], lines])
    is_ring = np.arange(len(geom)) < len(rings)
    order = np.argsort(part, kind="stable")  # polygons and lines in input order, rings in theirs
    geom, part, is_ring = geom[order], part[order], is_ring[order]
    exterior = is_ring & np.concatenate([[True], part[1:] != part[:-1]])
    if tolerance > 0 and len(geom):
        geom = shapely.simplify(geom, tolerance, preserve_topology=False)
    xy, path = shapely.get_coordinates(geom, return_index=True)
    if grid is not None:
        xy = (xy - grid[0]) * grid[1]
    xy = np.rint(xy).astype(np.int64)
    # repeated points after rounding, then the closing point of each ring
    key = (xy[:, 0] << 32) + xy[:, 1]  # one integer per point (|x|, |y| < 2**31)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = (path[1:] != path[:-1]) | (key[1:] != key[:-1])
    counts = np.bincount(path[keep], minlength=len(geom))
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    at = np.flatnonzero(keep)
    closing = is_ring & (counts > 1)
    closing[closing] = key[at[last[closing]]] == key[at[first[closing]]]
    keep[at[last[closing]]] = False
    xy, path = xy[keep], path[keep]
    counts -= closing
    # collapsed rings and lines; a polygon goes with its exterior
    ok = counts >= np.where(is_ring, 3, 2)
    ok &= ~np.isin(part, part[exterior & ~ok])
    offsets = np.concatenate([[0], np.cumsum(counts[ok])])
    return Paths(xy[ok[path]], offsets, feature[part[ok]], part[ok], is_ring[ok], exterior[ok])


def _polygons(paths: Paths) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the polygonal features of ``paths`` and their (Multi)Polygons."""
    sub = paths if paths.ring.all() else paths.take(np.flatnonzero(paths.ring))
    if not len(sub.counts):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    ring_id = np.repeat(np.arange(len(sub.counts)), sub.counts)
    rings = shapely.linearrings(sub.xy.astype(float), indices=ring_id)
    polys = shapely.polygons(rings, indices=np.cumsum(sub.exterior) - 1)
    owner = sub.feature[sub.exterior]  # the feature of each polygon, increasing
    first = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]]))
    geoms = polys[first]
    multi = np.flatnonzero(np.diff(np.append(first, len(owner))) > 1)
    if len(multi):
        many = np.isin(owner, owner[first[multi]])
        _, which = np.unique(owner[many], return_inverse=True)
        geoms[multi] = shapely.multipolygons(polys[many], indices=which)
    return owner[first], geoms


def _repair(geoms: np.ndarray) -> np.ndarray:
    """Valid polygons on the integer grid from invalid ones on it: ``make_valid`` (collapsed
    parts dropped), then ``set_precision(grid_size=1)`` where that added vertices off the grid
    (where edges crossed)."""
    fixed = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    xy, which = shapely.get_coordinates(fixed, return_index=True)
    off = np.unique(which[(xy != np.rint(xy)).any(axis=1)])
    if len(off):
        fixed[off] = shapely.set_precision(fixed[off], 1.0)
    return fixed


def _orient(paths: Paths) -> Paths:
    """Rings reversed where needed: exteriors positive (shoelace, y down), holes negative."""
    n = len(paths.xy)
    if not n:
        return paths
    counts = paths.counts
    path = np.repeat(np.arange(len(counts)), counts)
    nxt = np.arange(1, n + 1)
    nxt[paths.offsets[1:] - 1] = paths.offsets[:-1]
    x, y = paths.xy[:, 0], paths.xy[:, 1]
    area2 = np.add.reduceat(x * y[nxt] - x[nxt] * y, paths.offsets[:-1])
    flip = paths.ring & ((area2 > 0) != paths.exterior)
    if not flip.any():
        return paths
    local = np.arange(n) - paths.offsets[path]
    src = np.where(flip[path], paths.offsets[path] + counts[path] - 1 - local, np.arange(n))
    return replace(paths, xy=paths.xy[src])


@dataclass(frozen=True)
class EncodedGeometries:
    """MVT geometry commands of many features: feature ``i`` is input geometry
    ``index[i]``, of type ``types[i]`` (2 line, 3 polygon), with the commands
    ``commands[offsets[i]:offsets[i + 1]]`` (uint32)."""

    index: np.ndarray
    types: np.ndarray
    offsets: np.ndarray
    commands: np.ndarray


def _commands(paths: Paths) -> EncodedGeometries:
    """MoveTo/LineTo/ClosePath command integers of every feature of ``paths``."""
    counts = paths.counts
    size = 2 * counts + 2 + paths.ring  # MoveTo x y, LineTo (x y)*, ClosePath
    start = np.cumsum(size) - size
    path = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(len(paths.xy)) - paths.offsets[path]
    out = np.zeros(int(size.sum()), dtype=np.int64)
    out[start] = _MOVE_TO
    out[start + 3] = ((counts - 1) << 3) | _LINE_TO
    out[(start + size - 1)[paths.ring]] = _CLOSE_PATH
    feature_of = paths.feature[path]
    first = np.ones(len(path), dtype=bool)
    first[1:] = feature_of[1:] != feature_of[:-1]
    delta = paths.xy.copy()
    delta[1:] -= paths.xy[:-1]
    delta[first] = paths.xy[first]  # the cursor starts at (0, 0) in every feature
    zigzag = (delta << 1) ^ (delta >> 63)
    at = start[path] + 1 + 2 * local + (local > 0)
    out[at] = zigzag[:, 0]
    out[at + 1] = zigzag[:, 1]
    first_path = np.flatnonzero(np.diff(paths.feature, prepend=-1))
    index = paths.feature[first_path]
    offsets = np.append(start[first_path], len(out))
    types = np.where(paths.ring[first_path], POLYGON, LINESTRING)
    return EncodedGeometries(index, types, offsets, out.astype(np.uint32))


def encode_geometries(
    geoms: np.ndarray, bounds: Bounds, extent: int = EXTENT, tolerance: float = 0.0
) -> EncodedGeometries:
    """MVT geometry commands of ``geoms`` (Polygon, MultiPolygon, LineString,
    MultiLineString, collections of them) on the ``extent`` grid of the square tile ``bounds``
    (same CRS; geometries clipped to it or its buffer), simplified by ``tolerance`` tile
    units."""
    geoms = np.asarray(geoms, dtype=object)
    minx, miny, maxx, maxy = bounds  # to tile coordinates: (xy - origin) * scale, y down
    scale = np.array([extent / (maxx - minx), -extent / (maxy - miny)])
    paths = _paths(geoms, (np.array([minx, maxy]), scale), tolerance / scale[0])
    features, polygons = _polygons(paths)
    invalid = ~shapely.is_valid(polygons)
    if invalid.any():
        bad = features[invalid]
        fixed = _paths(_repair(polygons[invalid]), None, 0.0)
        both = paths.concat(
            replace(fixed, feature=bad[fixed.feature], part=fixed.part + len(geoms))
        )
        kept = np.flatnonzero(np.concatenate([~np.isin(paths.feature, bad), fixed.ring | True]))
        paths = both.take(kept[np.argsort(both.feature[kept], kind="stable")])
    return _commands(_orient(paths))


# --- protobuf -------------------------------------------------------------------------------


def _varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Protobuf varint bytes of non-negative ``values`` (< 2**35), and each value's length."""
    values = np.asarray(values, dtype=np.uint64)
    if not len(values) or values.max() < 0x80:
        return values.astype(np.uint8), np.ones(len(values), dtype=np.int64)
    lengths = np.ones(len(values), dtype=np.int64)
    for bits in (7, 14, 21, 28):
        lengths += values >= (1 << bits)
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    start = np.cumsum(lengths) - lengths
    for i in range(int(lengths.max())):
        more = np.flatnonzero(lengths > i)
        byte = (values[more] >> np.uint64(7 * i)) & np.uint64(0x7F)
        byte[lengths[more] > i + 1] |= np.uint64(0x80)
        out[start[more] + i] = byte
    return out, lengths


def _group(lengths: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sum of ``lengths`` over consecutive groups of sizes ``groups``."""
    ends = np.concatenate([[0], np.cumsum(lengths)])[np.cumsum(groups)]
    return np.diff(ends, prepend=0)


def _interleave(chunks: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Bytes of chunk 0 of item 0, chunk 1 of item 0, …, chunk 0 of item 1, …: each chunk is
    ``(bytes, length per item)``."""
    lengths = np.stack([lens for _, lens in chunks], axis=1)  # (items, chunks)
    starts = (np.cumsum(lengths.ravel()) - lengths.ravel()).reshape(lengths.shape)
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    for k, (data, lens) in enumerate(chunks):
        if (lens == 1).all():
            out[starts[:, k]] = data
            continue
        shift = starts[:, k] - (np.cumsum(lens) - lens)  # from the chunk's data to the output
        out[np.repeat(shift, lens) + np.arange(len(data))] = data
    return out


def _prefix(key: int, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bytes of a length-delimited field's key and length for each of ``lengths``."""
    data, lens = _varints(lengths)
    ones = np.ones(len(lengths), dtype=np.int64)
    return _interleave([(np.full(len(lengths), key, dtype=np.uint8), ones), (data, lens)]), lens + 1


def _features_bytes(geometry: EncodedGeometries, tags: np.ndarray, tag_counts: np.ndarray) -> bytes:
    """``layer.features`` (field 2) serialised as protobuf writes them: tags (field 2, packed,
    left out when empty), type (3), geometry (4, packed)."""
    n = len(geometry.index)
    if not n:
        return b""
    geom_bytes, geom_lens = _varints(geometry.commands)
    geom_len = _group(geom_lens, np.diff(geometry.offsets))
    geom_head, geom_head_len = _prefix(0x22, geom_len)
    tag_bytes, tag_lens = _varints(tags)
    tag_len = _group(tag_lens, tag_counts)
    has_tags = tag_counts > 0
    tag_head, head_len = _prefix(0x12, tag_len[has_tags])
    tag_head_len = np.zeros(n, dtype=np.int64)
    tag_head_len[has_tags] = head_len
    type_bytes = np.stack([np.full(n, 0x18), geometry.types], axis=1).astype(np.uint8).ravel()
    body = tag_head_len + tag_len + 2 + geom_head_len + geom_len
    feat_head, feat_head_len = _prefix(0x12, body)
    return _interleave(
        [
            (feat_head, feat_head_len),
            (tag_head, tag_head_len),
            (tag_bytes, tag_len),
            (type_bytes, np.full(n, 2)),
            (geom_head, geom_head_len),
            (geom_bytes, geom_len),
        ]
    ).tobytes()


_KINDS = (str, bool, int, float)


def _plain(value: Any) -> str | bool | int | float | None:
    """A value of a subclass of str, bool, int or float (numpy scalars too) as the plain type;
    None for anything else."""
    if isinstance(value, np.generic):
        value = value.item()
    for kind in _KINDS:
        if isinstance(value, kind):
            return kind(value)
    return None


def _tags(
    properties: Sequence[dict[str, Any]], positions: list[int]
) -> tuple[dict[str, int], list[tuple[type, Any]], np.ndarray, np.ndarray]:
    """Keys table, values table (kind, value), all tags and tags per feature of the
    ``properties`` at ``positions``: keys and values deduplicated, None and values of other
    types than str, bool, int, float left out."""
    keys: dict[str, int] = {}
    tables: dict[type, dict[Any, int]] = {kind: {} for kind in _KINDS}
    values: list[tuple[type, Any]] = []
    tags: list[int] = []
    ends: list[int] = []
    for position in positions:
        for key, value in properties[position].items():
            if value is None:
                continue
            table = tables.get(type(value))
            if table is None:
                value = _plain(value)
                if value is None:
                    continue
                table = tables[type(value)]
            k = keys.get(key)
            if k is None:
                k = keys[key] = len(keys)
            v = table.get(value)
            if v is None:
                v = table[value] = len(values)
                values.append((type(value), value))
            tags.append(k)
            tags.append(v)
        ends.append(len(tags))
    return (
        keys,
        values,
        np.asarray(tags, dtype=np.int64),
        np.diff(np.array(ends, dtype=np.int64), prepend=0),
    )


def _table(keys: dict[str, int], values: list[tuple[type, Any]], extent: int) -> bytes:
    """The layer's keys (3), values (4, typed), extent (5) and version (15), serialised."""
    layer = vector_tile_pb2.tile.layer()
    layer.keys.extend(keys)
    for kind, value in values:
        cell = layer.values.add()
        if kind is str:
            cell.string_value = value
        elif kind is bool:
            cell.bool_value = value
        elif kind is float or not _INT64[0] <= value < 2**64:
            cell.double_value = float(value)
        elif value < 0:
            cell.sint_value = value
        elif value < _INT64[1]:
            cell.int_value = value
        else:
            cell.uint_value = value
    layer.extent = extent
    layer.version = 2
    return layer.SerializePartialToString()


def encode_layer(
    name: str,
    geoms: Sequence[shapely.Geometry | None] | np.ndarray,
    properties: Sequence[dict[str, Any]],
    bounds: Bounds,
    *,
    extent: int = EXTENT,
    tolerance: float = 0.0,
) -> bytes:
    """An MVT tile (bytes) with one layer ``name`` (version 2, ``extent``) of ``geoms`` in the
    tile ``bounds`` (same CRS; see ``encode_geometries``) and their ``properties`` (str, bool,
    int, float values; None and others left out). Features left without geometry are left out.
    """
    geoms = np.asarray(geoms if isinstance(geoms, np.ndarray) else list(geoms), dtype=object)
    if len(geoms) != len(properties):
        raise ValueError(f"几何 {len(geoms)} 个而属性 {len(properties)} 组，两者数目应相同。")
    encoded = encode_geometries(geoms, bounds, extent, tolerance) if len(geoms) else _NOTHING
    keys, values, tags, counts = _tags(properties, encoded.index.tolist())
    head = vector_tile_pb2.tile.layer()
    head.name = name
    layer = (
        head.SerializePartialToString()
        + _features_bytes(encoded, tags, counts)
        + _table(keys, values, extent)
    )
    size, _ = _varints(np.array([len(layer)]))
    return b"\x1a" + size.tobytes() + layer


_NOTHING = EncodedGeometries(*(np.zeros(n, dtype=np.int64) for n in (0, 0, 1)), np.zeros(0))
