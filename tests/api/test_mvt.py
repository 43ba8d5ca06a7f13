"""The vectorised MVT encoder (api.mvt via api.tiles.encode_tile) against the former one
(mapbox_vector_tile.encode with quantize_bounds, kept here as the reference)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2

from api.tiles import BUFFER, EXTENT, SIMPLIFY, encode_tile, tile_bounds, to_mercator

pytestmark = pytest.mark.filterwarnings("ignore:The 'shapely.ops.transform:DeprecationWarning")
Z, X, Y = 12, 3380, 1556
DISTRICTS = Path(__file__).resolve().parents[2] / "sample_data" / "districts.geojson"


def reference_tile(layer: str, mercator: list, properties: list[dict], z: int, x: int, y: int):
    """The former encode_tile: clip, simplify (topology-preserving), mapbox_vector_tile."""
    minx, miny, maxx, maxy = bounds = tile_bounds(z, x, y)
    unit = (maxx - minx) / EXTENT
    pad = unit * BUFFER
    geoms = np.asarray(mercator, dtype=object)
    clipped = shapely.clip_by_rect(geoms, minx - pad, miny - pad, maxx + pad, maxy + pad)
    features = []
    for geom, props in zip(shapely.simplify(clipped, unit * SIMPLIFY), properties, strict=True):
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type == "GeometryCollection":
            parts = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            parts = parts or [g for g in geom.geoms if "LineString" in g.geom_type]
            if not parts:
                continue
            geom = shapely.union_all(parts)
        clean = {k: v for k, v in props.items() if v is not None and not isinstance(v, dict)}
        features.append({"geometry": geom, "properties": clean})
    return mapbox_vector_tile.encode(
        [{"name": layer, "features": features}],
        default_options={
            "quantize_bounds": bounds,
            "extents": EXTENT,
            "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid,
        },
    )


def decode(data: bytes, layer: str = "t") -> list[dict[str, Any]]:
    tile = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return tile[layer]["features"]


def shape(feature: dict[str, Any]) -> shapely.Geometry:
    return shapely.geometry.shape(feature["geometry"])


def merc(geom: shapely.Geometry, z: int = Z, x: int = X, y: int = Y) -> shapely.Geometry:
    """A geometry drawn in tile units (0..4096, y down) to Web Mercator."""
    minx, _, maxx, maxy = tile_bounds(z, x, y)
    unit = (maxx - minx) / EXTENT

    def to_merc(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([minx + xy[:, 0] * unit, maxy - xy[:, 1] * unit])

    return shapely.transform(geom, to_merc)


def star(cx: float, cy: float, radius: float, rng: np.random.Generator, n: int = 24):
    angle = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = radius * rng.uniform(0.7, 1.0, n)
    return shapely.Polygon(np.column_stack([cx + r * np.cos(angle), cy + r * np.sin(angle)]))


def assert_like_reference(new: list[dict], old: list[dict]) -> None:
    """Same features in the same order, same properties and geometry types; valid polygons
    whose areas are within 1 % each and 0.5 % in total; line lengths within 1 %."""
    assert [f["properties"] for f in new] == [f["properties"] for f in old]
    assert [f["geometry"]["type"] for f in new] == [f["geometry"]["type"] for f in old]
    new_g = np.array([shape(f) for f in new])
    old_g = np.array([shape(f) for f in old])
    polygonal = np.array(["Polygon" in f["geometry"]["type"] for f in new], dtype=bool)
    if polygonal.any():
        a, b = shapely.area(new_g[polygonal]), shapely.area(old_g[polygonal])
        np.testing.assert_allclose(a, b, rtol=0.01)
        assert a.sum() == pytest.approx(b.sum(), rel=0.005)
        assert shapely.is_valid(new_g[polygonal]).all()
    if (~polygonal).any():
        np.testing.assert_allclose(
            shapely.length(new_g[~polygonal]), shapely.length(old_g[~polygonal]), rtol=0.01
        )


# --- raw command stream ---------------------------------------------------------------------


def raw_layer(data: bytes) -> Any:
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(data)
    assert len(tile.layers) == 1
    return tile.layers[0]


def raw_paths(commands: list[int]) -> list[tuple[list[tuple[int, int]], bool]]:
    """(vertices, closed) of every MoveTo…[ClosePath] path of one feature's commands; asserts
    the stream is well formed (MoveTo count 1, LineTo count ≥ 1, no zero-length LineTo)."""
    paths: list[tuple[list[tuple[int, int]], bool]] = []
    x = y = i = 0
    while i < len(commands):
        cmd, count = commands[i] & 7, commands[i] >> 3
        i += 1
        if cmd == 7:
            assert count == 1 and paths and not paths[-1][1]
            paths[-1] = (paths[-1][0], True)
            continue
        assert cmd in (1, 2) and count >= 1 and (cmd == 2 or count == 1)
        for _ in range(count):
            dx, dy = ((v >> 1) ^ -(v & 1) for v in commands[i : i + 2])
            i += 2
            if cmd == 2:
                assert (dx, dy) != (0, 0), "zero-length LineTo"
            x, y = x + dx, y + dy
            if cmd == 1:
                paths.append(([(x, y)], False))
            else:
                paths[-1][0].append((x, y))
    return paths


def shoelace(ring: list[tuple[int, int]]) -> int:
    """Twice the signed area of a ring (tile coordinates, y down; the spec's formula)."""
    xy = np.array(ring + ring[:1], dtype=np.int64)
    return int((xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]).sum())


def winding(data: bytes) -> list[list[int]]:
    """Per polygon feature: the sign of each ring's area, as the spec computes it."""
    out = []
    for feature in raw_layer(data).features:
        paths = raw_paths(list(feature.geometry))
        if feature.type == vector_tile_pb2.tile.Polygon:
            assert all(closed and len(ring) >= 3 for ring, closed in paths)
            out.append([int(np.sign(shoelace(ring))) for ring, _ in paths])
        else:
            assert all(not closed and len(line) >= 2 for line, closed in paths)
    return out


# --- tests ----------------------------------------------------------------------------------


def test_mixed_features_decode_like_the_former_encoder():
    outer = shapely.box(100, 100, 1500, 1200)
    holed = outer.difference(shapely.box(300, 300, 600, 500)).difference(
        shapely.box(800, 700, 1000, 900)
    )
    holed_part = shapely.box(2000, 200, 2600, 700).difference(shapely.box(2200, 300, 2300, 400))
    multi = shapely.MultiPolygon([holed_part, shapely.box(2800, 200, 3300, 600)])
    edge = shapely.box(3800, 3800, 4400, 4300)  # crosses the tile and its buffer
    line = shapely.LineString([(50, 2000), (1200, 2600.4), (1900, 2100.7), (2500, 2900)])
    multiline = shapely.MultiLineString([[(100, 3000), (900, 3600)], [(1000, 3000), (1800, 3500)]])
    crossing_line = shapely.LineString([(3500, 1000), (4500, 1400)])
    geoms = [holed, multi, edge, line, multiline, crossing_line]
    props = [
        {"id": 0, "dlmc": "水田", "n": -7, "kcxs": 0.25, "ok": True, "none": None},
        {"id": 1, "dlmc": "旱地", "n": 3, "kcxs": 0.0, "ok": False, "meta": {"a": 1}},
        {"id": 2, "dlmc": "水田", "name": "跨界图斑"},
        {"id": 3, "axlx": "人工岸线", "length_m": 1234.5},
        {"id": 4, "axlx": "淤泥质岸线", "n": -7},
        {"id": 5},
    ]
    mercator = [merc(g) for g in geoms]
    new = decode(encode_tile("t", mercator, props, Z, X, Y))
    old = decode(reference_tile("t", mercator, props, Z, X, Y))
    assert len(new) == len(old) == 6
    assert_like_reference(new, old)
    assert new[0]["properties"] == {"id": 0, "dlmc": "水田", "n": -7, "kcxs": 0.25, "ok": True}
    types = ["Polygon", "MultiPolygon", "Polygon", "LineString", "MultiLineString", "LineString"]
    assert [f["geometry"]["type"] for f in new] == types
    assert len(new[0]["geometry"]["coordinates"]) == 3  # exterior and both holes
    assert shape(new[2]).bounds == (3800, 3800, EXTENT + BUFFER, EXTENT + BUFFER)
    assert max(x for x, _ in new[5]["geometry"]["coordinates"]) == EXTENT + BUFFER


def test_rings_follow_the_spec_winding_whatever_the_input_orientation():
    holed = shapely.box(100, 100, 900, 900).difference(shapely.box(300, 300, 500, 500))
    multi = shapely.MultiPolygon([holed, shapely.box(1000, 100, 1500, 600)])
    for exterior_cw in (True, False):
        geoms = [merc(shapely.orient_polygons(g, exterior_cw=exterior_cw)) for g in (holed, multi)]
        data = encode_tile("t", geoms, [{}, {}], Z, X, Y)
        assert winding(data) == [[1, -1], [1, -1, 1]]
        decoded = [shape(f) for f in decode(data)]
        assert shapely.is_valid(decoded).all()
        assert [g.area for g in decoded] == [holed.area, multi.area]


def test_random_polygons_match_the_former_encoder():
    rng = np.random.default_rng(7)
    polys = [star(*rng.uniform(-40, EXTENT + 40, 2), rng.uniform(10, 60), rng) for _ in range(400)]
    props = [{"id": i, "bsm": f"B{i:05d}", "dlbm": ["0101", "0301"][i % 2]} for i in range(400)]
    mercator = [merc(p) for p in polys]
    data = encode_tile("t", mercator, props, Z, X, Y)
    new = decode(data)
    assert len(new) == 400
    assert_like_reference(new, decode(reference_tile("t", mercator, props, Z, X, Y)))
    assert all(signs[0] == 1 and set(signs) <= {1, -1} for signs in winding(data))


def test_polygons_invalid_after_rounding_are_repaired():
    rng = np.random.default_rng(3)
    # tiny polygons (2–6 units across) whose shape the grid changes; none may turn invalid
    polys = [star(*rng.uniform(50, 4000, 2), rng.uniform(2, 6), rng, n=16) for _ in range(300)]
    # two notches whose tips, 0.6 units apart, round to the same grid point
    pinched = shapely.Polygon([(0, 0), (100, 0), (50.2, 50.3), (100, 100), (0, 100), (49.7, 49.8)])
    bowtie = shapely.Polygon([(200, 200), (400, 400), (400, 200), (200, 400)])  # invalid input
    geoms = [merc(g) for g in [*polys, pinched, bowtie]]
    props = [{"id": i} for i in range(len(geoms))]
    data = encode_tile("t", geoms, props, Z, X, Y)
    new = decode(data)
    shapes = np.array([shape(f) for f in new])
    assert len(new) == len(geoms) and shapely.is_valid(shapes).all()
    assert all(signs[0] == 1 for signs in winding(data))
    by_id = {f["properties"]["id"]: g for f, g in zip(new, shapes, strict=True)}
    assert by_id[300].area == pytest.approx(pinched.area, rel=0.01)
    assert by_id[300].geom_type == "MultiPolygon"  # two triangles meeting at one point
    assert by_id[301].area == 2 * (200 * 100 / 2)  # both lobes of the bow tie
    old = decode(reference_tile("t", geoms, props, Z, X, Y))
    old_area = shapely.area([shape(f) for f in old]).sum()
    assert shapely.area(shapes).sum() == pytest.approx(old_area, rel=0.005)


def test_features_below_one_tile_unit_are_dropped():
    geoms = [
        merc(shapely.box(10, 10, 10.3, 10.3)),  # a speck
        merc(shapely.box(500, 500, 900, 500.3)),  # a sliver a third of a unit wide
        merc(shapely.LineString([(20, 20), (20.2, 20.1)])),  # a line shorter than a unit
        merc(shapely.box(1000, 1000, 1100, 1100)),
        None,
        shapely.Polygon(),
    ]
    props = [{"id": i} for i in range(len(geoms))]
    new = decode(encode_tile("t", geoms, props, Z, X, Y))
    assert [f["properties"]["id"] for f in new] == [3]
    assert shape(new[0]).area == 100 * 100


def test_what_clipping_leaves_in_a_lower_dimension_is_dropped():
    poly = shapely.box(100, 100, 300, 300)
    line = shapely.LineString([(400, 400), (600, 400)])
    point = shapely.Point(700, 700)
    geoms = [
        shapely.GeometryCollection([poly, line, point]),  # -> the polygon
        shapely.GeometryCollection([line, point]),  # -> the line
        shapely.GeometryCollection([point]),  # -> nothing
        point,  # -> nothing
        shapely.box(4200, 100, 4400, 300),  # beyond the buffer -> nothing
    ]
    new = decode(encode_tile("t", [merc(g) for g in geoms], [{"id": i} for i in range(5)], Z, X, Y))
    assert [(f["properties"]["id"], f["geometry"]["type"]) for f in new] == [
        (0, "Polygon"),
        (1, "LineString"),
    ]
    assert shape(new[0]).area == poly.area and shape(new[1]).length == line.length


def test_property_values_are_typed_and_deduplicated():
    props = [
        {"s": "水田", "i": 7, "n": -7, "f": 1.5, "b": True, "one": 1, "onef": 1.0},
        {"s": "水田", "i": 7, "n": -7, "big": 2**63, "np": np.int64(5), "npf": np.float32(0.5)},
        {"s": "旱地", "nope": [1, 2], "d": {"x": 1}, "none": None, "t": True},
    ]
    geoms = [merc(shapely.box(100 * i, 0, 100 * i + 50, 50)) for i in range(1, 4)]
    data = encode_tile("t", geoms, props, Z, X, Y)
    layer = raw_layer(data)
    keys = {"s", "i", "n", "f", "b", "one", "onef", "big", "np", "npf", "t"}
    assert sorted(layer.keys) == sorted(keys)
    kinds = {}
    for value in layer.values:
        [(field, got)] = value.ListFields()
        kinds[(field.name, got)] = kinds.get((field.name, got), 0) + 1
    assert all(count == 1 for count in kinds.values())  # deduplicated
    assert ("string_value", "水田") in kinds and ("sint_value", -7) in kinds
    assert ("int_value", 7) in kinds and ("uint_value", 2**63) in kinds
    assert ("bool_value", True) in kinds and ("double_value", 1.5) in kinds
    assert ("int_value", 1) in kinds and ("double_value", 1.0) in kinds  # 1 and 1.0 apart
    decoded = [f["properties"] for f in decode(data)]
    assert decoded[0] == props[0] and type(decoded[0]["onef"]) is float
    assert type(decoded[0]["b"]) is bool and type(decoded[0]["one"]) is int
    assert decoded[1] == {"s": "水田", "i": 7, "n": -7, "big": 2**63, "np": 5, "npf": 0.5}
    assert decoded[2] == {"s": "旱地", "t": True}


def test_the_bytes_are_what_protobuf_itself_writes():
    rng = np.random.default_rng(5)
    geoms = [merc(star(*rng.uniform(0, EXTENT, 2), rng.uniform(20, 400), rng)) for _ in range(50)]
    geoms.append(merc(shapely.LineString([(0, 0), (EXTENT, EXTENT)])))
    props = [{"id": i, "name": "图斑" * (i % 90)} for i in range(50)] + [{}]  # long strings too
    data = encode_tile("t", geoms, props, Z, X, Y)
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(data)
    assert tile.SerializeToString() == data
    layer = tile.layers[0]
    assert (layer.name, layer.version, layer.extent, len(layer.features)) == ("t", 2, 4096, 51)
    assert list(layer.features[-1].tags) == []
    empty = encode_tile("t", [], [], Z, X, Y)
    assert mapbox_vector_tile.decode(empty)["t"]["features"] == []
    with pytest.raises(ValueError):
        encode_tile("t", geoms, props[:-1], Z, X, Y)


@pytest.mark.parametrize(("z", "x", "y"), [(6, 52, 24), (8, 211, 97), (10, 845, 390)])
def test_district_tiles_match_the_former_encoder(z, x, y):
    features = json.loads(DISTRICTS.read_text(encoding="utf-8"))["features"]
    geoms = to_mercator([shapely.geometry.shape(f["geometry"]) for f in features])
    props = [{"code": f["properties"]["code"], "name": f["properties"]["name"]} for f in features]
    new = decode(encode_tile("districts", geoms, props, z, x, y), "districts")
    old = decode(reference_tile("districts", list(geoms), props, z, x, y), "districts")
    assert new, "the tile should hold districts"
    assert_like_reference(new, old)


def test_a_float_sliver_geos_cannot_clip_is_left_out_not_an_error() -> None:
    """Regression (benchmark size): an overlay sliver of 3e-9 m² made clip_by_rect raise."""
    sliver = shapely.from_wkt(
        "MULTIPOLYGON (((13068539.118794393 4735724.816754194, 13068531.734760081 "
        "4735743.866836377, 13068531.734760081 4735743.866836381, 13068539.118794393 "
        "4735724.816754194)))"
    )
    minx, miny, _, _ = tile_bounds(11, 1691, 782)
    square = shapely.box(minx + 100, miny + 100, minx + 500, miny + 500)
    data = encode_tile("changes", [sliver, square], [{"n": 1}, {"n": 2}], 11, 1691, 782)
    features = mapbox_vector_tile.decode(data)["changes"]["features"]
    assert [f["properties"]["n"] for f in features] == [2]
