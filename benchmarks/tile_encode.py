# ruff: noqa: T201  (a benchmark script prints its table)
"""Vector-tile encoding time: ``api.tiles.encode_tile`` against the former encoder
(``mapbox_vector_tile.encode`` with ``quantize_bounds``), not part of the tests.

``.venv/bin/python -m benchmarks.tile_encode [--polygons 5000] [--vertices 24]
[--repeat 7] [--seed 1]`` from the repository root.

Builds random star-shaped polygons (``--vertices`` vertices, 30–90 tile units across like the
patches of a z12 land-use tile that holds ~5,000 of them; some cross the tile edge) with
land-use-like properties in the z12 tile over Tianjin, encodes them both ways ``--repeat``
times (the former one half as often) and prints the best and median times (ms), the ratio,
the tile sizes and the features and total polygon area of each decoded tile.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely

from api.tiles import BUFFER, EXTENT, SIMPLIFY, encode_tile, tile_bounds

Z, X, Y = 12, 3379, 1565


def random_polygons(n: int, vertices: int, seed: int) -> np.ndarray:
    """``n`` random star-shaped polygons (Web Mercator) in and around tile Z/X/Y."""
    rng = np.random.default_rng(seed)
    minx, _, maxx, maxy = tile_bounds(Z, X, Y)
    unit = (maxx - minx) / EXTENT
    cx = rng.uniform(-30, EXTENT + 30, n)
    cy = rng.uniform(-30, EXTENT + 30, n)
    angle = np.sort(rng.uniform(0, 2 * np.pi, (n, vertices)), axis=1)
    radius = rng.uniform(15, 45, (n, 1)) * rng.uniform(0.7, 1.0, (n, vertices))
    x = minx + (cx[:, None] + radius * np.cos(angle)) * unit
    y = maxy - (cy[:, None] + radius * np.sin(angle)) * unit
    return shapely.polygons(np.stack([x, y], axis=-1))


def random_properties(n: int, seed: int) -> list[dict[str, Any]]:
    """Land-use-like attributes: unique id, class code and name, a share, an area, a flag."""
    rng = np.random.default_rng(seed)
    codes = {"0101": "水田", "0103": "旱地", "0301": "乔木林地", "0702": "农村宅基地"}
    keys = list(codes)
    picks = rng.integers(0, len(keys), n)
    return [
        {
            "bsm": f"1201100{i:08d}",
            "dlbm": keys[p],
            "dlmc": codes[keys[p]],
            "kcxs": round(float(rng.uniform(0, 0.2)), 2),
            "area_m2": float(rng.uniform(100, 5000)),
            "district_code": "120110",
            "pbf": bool(p % 2),
            "note": None,
        }
        for i, p in enumerate(picks)
    ]


def old_encode_tile(layer: str, mercator: np.ndarray, properties: list[dict[str, Any]]) -> bytes:
    """The former ``encode_tile``: clip, simplify, then mapbox_vector_tile's encoder."""
    minx, miny, maxx, maxy = bounds = tile_bounds(Z, X, Y)
    unit = (maxx - minx) / EXTENT
    pad = unit * BUFFER
    clipped = shapely.clip_by_rect(mercator, minx - pad, miny - pad, maxx + pad, maxy + pad)
    simple = shapely.simplify(clipped, unit * SIMPLIFY, preserve_topology=True)
    features = [
        {"geometry": g, "properties": {k: v for k, v in p.items() if v is not None}}
        for g, p in zip(simple, properties, strict=True)
        if g is not None and not g.is_empty
    ]
    return mapbox_vector_tile.encode(
        [{"name": layer, "features": features}],
        default_options={
            "quantize_bounds": bounds,
            "extents": EXTENT,
            "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid,
        },
    )


def timed(fn: Callable[[], bytes], repeat: int) -> tuple[list[float], bytes]:
    """Wall times (ms) of ``repeat`` calls and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        data = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, data


def summary(data: bytes) -> tuple[int, float]:
    """Features and total polygon area (tile units²) of a decoded tile."""
    layer = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["landuse"]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in layer["features"]]
    return len(geoms), float(shapely.area(np.asarray(geoms)).sum())


def main() -> None:
    """Build the polygons, time both encoders, print the comparison."""
    parser = argparse.ArgumentParser(
        description="矢量瓦片编码耗时：新编码器与原 mapbox_vector_tile"
    )
    parser.add_argument("--polygons", type=int, default=5000)
    parser.add_argument("--vertices", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    geoms = random_polygons(args.polygons, args.vertices, args.seed)
    props = random_properties(args.polygons, args.seed)
    new_times, new = timed(lambda: encode_tile("landuse", geoms, props, Z, X, Y), args.repeat)
    old_times, old = timed(
        lambda: old_encode_tile("landuse", geoms, props), max(1, args.repeat // 2)
    )
    print(f"瓦片 {Z}/{X}/{Y}：{args.polygons} 个随机多边形，每个 {args.vertices} 个顶点")
    print(f"{'编码器':<22}{'最快 ms':>10}{'中位 ms':>10}{'字节':>10}{'要素':>8}{'总面积':>14}")
    for label, times, data in (
        ("原 mapbox_vector_tile", old_times, old),
        ("新 api.mvt", new_times, new),
    ):
        count, area = summary(data)
        row = f"{min(times):>10.1f}{statistics.median(times):>10.1f}{len(data):>10}{count:>8}"
        print(f"{label:<22}{row}{area:>14.0f}")
    print(f"加速比（中位）：{statistics.median(old_times) / statistics.median(new_times):.1f} 倍")


if __name__ == "__main__":
    main()
