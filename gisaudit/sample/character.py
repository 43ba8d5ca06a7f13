"""District characters (data/characters.yaml): strips, classes, KCXS and 坐落单位代码 of patches."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import numpy as np
import shapely
import yaml
from pyproj import Transformer

from gisaudit.sample.tessellation import Strip, Warp

WORK_CRS = "EPSG:4527"


@functools.cache
def characters() -> dict[str, Any]:
    """The parsed characters.yaml."""
    text = resources.files("gisaudit.sample").joinpath("data/characters.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@functools.cache
def _to_lonlat() -> Transformer:
    return Transformer.from_crs(WORK_CRS, "EPSG:4490", always_xy=True)


@functools.cache
def _from_lonlat() -> Transformer:
    return Transformer.from_crs("EPSG:4490", WORK_CRS, always_xy=True)


def district_character(code: str) -> dict[str, Any]:
    """Character of one district, with defaults filled in."""
    data = characters()
    merged = dict(data["defaults"])
    merged.update(data["districts"][code])
    return merged


def make_strips(district: shapely.Geometry, code: str,
                rng: np.random.Generator) -> list[Strip]:
    """Roads, ditches, canals and rivers of a district as (strip polygon, class code) pairs."""
    char = district_character(code)
    minx, miny, maxx, maxy = district.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half = 0.5 * float(np.hypot(maxx - minx, maxy - miny)) + 500
    base_angle = rng.uniform(0, np.pi)
    warp = Warp.random(rng, 2500.0, terms=3)
    out: list[Strip] = []
    for spec in char["strips"]:
        count = max(1, round(2 * half / (spec["spacing_km"] * 1000)))
        for i in range(count):
            angle = base_angle + (np.pi / 2 if i % 2 else 0) + rng.normal(0, 0.08)
            offset = rng.uniform(-half, half)
            dx, dy = np.cos(angle), np.sin(angle)
            px, py = cx - dy * offset, cy + dx * offset
            line = shapely.LineString([(px - dx * half, py - dy * half),
                                       (px + dx * half, py + dy * half)])
            line = shapely.transform(shapely.segmentize(line, 150.0), warp)
            if not line.intersects(district):
                continue
            out.append(Strip(line, float(spec["width_m"]), str(spec["kind"])))
    return out


def coastline_geometry(districts: dict[str, shapely.Geometry]) -> shapely.Geometry:
    """The sea-side edge of 滨海新区 (EPSG:4527 LineString): its boundary inside the coast box."""
    spec = characters()["coast"]
    geom = districts[spec["district"]]
    others = shapely.union_all([g for c, g in districts.items() if c != spec["district"]])
    edge = shapely.boundary(geom).difference(others.buffer(300))
    edge = shapely.line_merge(edge.intersection(shapely.box(*spec["box"])))
    parts = shapely.get_parts(edge)
    return parts[np.argmax(shapely.length(parts))]


def smooth_rank(xy: np.ndarray, rng: np.random.Generator, wavelength_m: float) -> np.ndarray:
    """A smooth random field at points ``xy``, as ranks scaled to [0, 1)."""
    warp = Warp.random(rng, wavelength_m / 3, terms=5)
    field = warp(xy)[:, 0] - xy[:, 0]
    order = np.argsort(field, kind="stable")
    ranks = np.empty(len(xy))
    ranks[order] = np.arange(len(xy)) / max(len(xy), 1)
    return ranks


def _km_offsets(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple:
    return (lon - lon0) * np.cos(np.deg2rad(lat0)) * 111.32, (lat - lat0) * 110.57


def _in_reserve(lon: np.ndarray, lat: np.ndarray, res: dict, wobble: np.ndarray) -> np.ndarray:
    if "lat_above" in res:
        return lat > res["lat_above"]
    x, y = _km_offsets(lon, lat, res["lon"], res["lat"])
    a = np.deg2rad(res.get("angle", 0))
    u, v = x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)
    return (u / res["rx"]) ** 2 + (v / res["ry"]) ** 2 <= wobble


def patch_context(polys: np.ndarray, code: str, coast: shapely.Geometry | None,
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-patch location facts: lon, lat, core/ring/reserve/village flags, coast distance."""
    char = district_character(code)
    cent = shapely.centroid(polys)
    xy = shapely.get_coordinates(cent)
    lon, lat = _to_lonlat().transform(xy[:, 0], xy[:, 1])
    noise = smooth_rank(xy, rng, 6000.0)
    wobble = 0.8 + 0.4 * smooth_rank(xy, rng, 4000.0)
    core = np.zeros(len(polys), dtype=bool)
    ring = np.zeros(len(polys), dtype=bool)
    for c_lon, c_lat, radius in char.get("cores", []):
        x, y = _km_offsets(lon, lat, c_lon, c_lat)
        d = np.hypot(x, y) / (radius * wobble)
        core |= d < 1
        ring |= (d >= 1) & (d < 1.6)
    ring &= ~core
    special = np.full(len(polys), -1)
    for i, sp in enumerate(char.get("special", [])):
        x, y = _km_offsets(lon, lat, sp["lon"], sp["lat"])
        special[(np.hypot(x, y) < sp["radius"] * wobble) & (special < 0)] = i
    reserve = np.full(len(polys), "", dtype=object)
    for res in char.get("reserves", []):
        reserve[_in_reserve(np.asarray(lon), np.asarray(lat), res, wobble) & (reserve == "")] = \
            res["name"]
    # villages: discs around random centres
    village = np.zeros(len(polys), dtype=bool)
    area_km2 = float(shapely.area(polys).sum()) / 1e6
    vspec = char["villages"]
    # at coarse sizes (few, large patches) a village per disc centre would swallow the
    # district: villages never take more than 8 % of the patches
    n_vill = min(int(area_km2 * vspec["per_km2"]), int(0.08 * len(polys)))
    if n_vill and len(polys):
        centres = xy[rng.choice(len(xy), size=min(n_vill, len(xy)), replace=False)]
        radii = rng.uniform(*vspec["radius_m"], size=len(centres))
        tree = shapely.STRtree(shapely.buffer(shapely.points(centres), radii, quad_segs=4))
        hit = tree.query(cent, predicate="within")[0]
        village[hit] = True
    coast_km = np.full(len(polys), np.inf)
    if coast is not None:
        coast_km = shapely.distance(cent, coast) / 1000.0
    return {"lon": np.asarray(lon), "lat": np.asarray(lat), "noise": noise, "core": core,
            "core_ring": ring, "special": special, "reserve": reserve, "village": village,
            "coast_km": coast_km}


def _match(where: dict, ctx: dict[str, np.ndarray]) -> np.ndarray:
    ok = np.ones(len(ctx["lat"]), dtype=bool)
    for key, val in where.items():
        if key == "core":
            ok &= ctx["core"] == bool(val)
        elif key == "core_ring":
            ok &= ctx["core_ring"] == bool(val)
        elif key == "reserve":
            ok &= (ctx["reserve"] != "") == bool(val)
        elif key == "village":
            ok &= ctx["village"] == bool(val)
        elif key == "coast_km":
            ok &= ctx["coast_km"] < val
        elif key == "north_of":
            ok &= ctx["lat"] > val
        elif key == "noise_above":
            ok &= ctx["noise"] > val
        else:
            raise KeyError(f"characters.yaml: unknown condition {key!r}")
    return ok


def _draw(mix: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    codes = np.array(list(mix), dtype=object)
    w = np.array(list(mix.values()), dtype=float)
    return codes[rng.choice(len(codes), size=n, p=w / w.sum())]


def assign_classes(strip_kind: np.ndarray, ctx: dict[str, np.ndarray], code: str,
                   rng: np.random.Generator) -> np.ndarray:
    """DLBM code of every patch, following the district's character."""
    char = district_character(code)
    n = len(strip_kind)
    out = np.full(n, "", dtype=object)
    todo = strip_kind == ""
    for i, sp in enumerate(char.get("special", [])):
        sel = todo & (ctx["special"] == i)
        out[sel] = _draw(sp["mix"], int(sel.sum()), rng)
        todo &= ~sel
    for zone in char["zones"]:
        sel = todo & _match(zone["where"], ctx)
        out[sel] = _draw(zone["mix"], int(sel.sum()), rng)
        todo &= ~sel
    strips = strip_kind != ""
    out[strips] = strip_kind[strips]
    urban_road = strips & (strip_kind == "1006") & ctx["core"]
    out[urban_road] = char["urban_road"]
    # no ditches or rural roads out at sea-side flats: they stay tidal flat there
    flats = strips & (ctx["coast_km"] < 1.2) & np.isin(strip_kind, ["1006", "1107"])
    out[flats] = "1105"
    return out


def deduction_coefficients(codes: np.ndarray, ctx: dict[str, np.ndarray], code: str,
                           rng: np.random.Generator) -> np.ndarray:
    """KCXS: ridge-deduction coefficient on farmland patches (0 elsewhere), 2 decimals."""
    char = district_character(code)
    farmland = np.isin(codes, ["0101", "0102", "0103"])
    lo, hi = char["kcxs"]
    kcxs = rng.uniform(lo, hi, len(codes))
    if "mountain_lat" in char:
        mlo, mhi = char["kcxs_mountain"]
        hilly = ctx["lat"] > char["mountain_lat"] - 0.03
        kcxs[hilly] = rng.uniform(mlo, mhi, int(hilly.sum()))
    return np.where(farmland, np.round(kcxs, 2), 0.0)


def location_units(polys: np.ndarray, code: str, rng: np.random.Generator) -> np.ndarray:
    """ZLDWDM: 12-digit 坐落单位代码 (district + 3-digit township + 3-digit village)."""
    cent = shapely.centroid(polys)
    xy = shapely.get_coordinates(cent)
    area_km2 = float(shapely.area(polys).sum()) / 1e6
    n_town = max(3, int(area_km2 / 60))
    n_vill = max(n_town, int(area_km2 / 3))
    towns = xy[rng.choice(len(xy), size=min(n_town, len(xy)), replace=False)]
    vills = xy[rng.choice(len(xy), size=min(n_vill, len(xy)), replace=False)]
    town_tree = shapely.STRtree(shapely.points(towns))
    vill_town = town_tree.query_nearest(shapely.points(vills), all_matches=False)[1]
    # number villages within their township in order of position
    order = np.lexsort((vills[:, 0], vills[:, 1], vill_town))
    vill_no = np.empty(len(vills), dtype=int)
    counts: dict[int, int] = {}
    for i in order:
        t = int(vill_town[i])
        counts[t] = counts.get(t, 0) + 1
        vill_no[i] = counts[t]
    vill_tree = shapely.STRtree(shapely.points(vills))
    nearest = vill_tree.query_nearest(cent, all_matches=False)[1]
    return np.array([f"{code}{vill_town[v] + 1:03d}{vill_no[v]:03d}" for v in nearest],
                    dtype=object)
