"""The methods the benchmark compares; each runs in its own process (``run.py`` measures it).

Every method computes, for the same two land-use vintages, the group transition matrix per
district (m², ellipsoidal, ridge deduction split as in spec §3) and writes it as CSV with
columns ``district_code, from_group, to_group, area_m2``.

- ``geopandas``: ``geopandas.overlay(a, b, how="intersection")`` + group-by, areas in a GRS80
  Lambert equal-area projection (what an auditor would script).
- ``postgis``: ``ST_Intersection`` joined on ``ST_Intersects`` with GiST indexes, areas with
  ``ST_Area(geography)`` on the CGCS2000 spheroid; load and query timed apart.
- ``raster``: both vintages rasterised at 10 m, pixel pairs counted (100 m² a pixel).
- ``gisaudit``: the engine: read the vintages the tenure needs, then per district
  ``evaluate_tenure`` (match, overlay, ellipsoidal areas, matrix, indicators, leads).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import yaml

from gisaudit.layers.classes import default_class_table

LAEA = "+proj=laea +lat_0=39.3 +lon_0=117.3 +ellps=GRS80 +units=m +no_defs"
RIDGE = "1203"
FIELDS = ["BSM", "DLBM", "ZLDWDM", "KCXS"]


def manifest(root: Path) -> dict:
    return yaml.safe_load((root / "package.yaml").read_text("utf-8"))


def vintage_path(root: Path, vintage: str) -> Path:
    for item in manifest(root)["landuse"]:
        if str(item["vintage"]) == vintage:
            return root / item["path"]
    raise SystemExit(f"no land-use vintage {vintage} in {root}")


def read_vintage(path: Path) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(path, layer="DLTB", columns=FIELDS, use_arrow=True)
    frame["district_code"] = frame["ZLDWDM"].astype(str).str[:6]
    return frame


def ridge_matrix(
    district: np.ndarray, c1: np.ndarray, c2: np.ndarray, k1: np.ndarray, k2: np.ndarray,
    area: np.ndarray,
) -> pd.DataFrame:
    """Group matrix per district from pieces (codes, KCXS both sides, area m²): monotone split."""
    k1 = np.nan_to_num(np.asarray(k1, dtype=float))
    k2 = np.nan_to_num(np.asarray(k2, dtype=float))
    ridge = np.full(len(c1), RIDGE, dtype=object)
    flows = pd.DataFrame({
        "district_code": np.tile(np.asarray(district, dtype=object), 4),
        "from_code": np.concatenate([c1, c1, ridge, ridge]),
        "to_code": np.concatenate([c2, ridge, c2, ridge]),
        "area_m2": np.concatenate([
            area * np.minimum(1 - k1, 1 - k2), area * np.maximum(0, k2 - k1),
            area * np.maximum(0, k1 - k2), area * np.minimum(k1, k2),
        ]),
    })
    flows = flows[flows["area_m2"] > 0]
    table = default_class_table()
    codes = pd.unique(pd.concat([flows["from_code"], flows["to_code"]]))
    group = dict(zip(codes, table.groups_of(pd.Series(codes, dtype=object)), strict=True))
    flows["from_group"] = flows["from_code"].map(group)
    flows["to_group"] = flows["to_code"].map(group)
    return (flows.groupby(["district_code", "from_group", "to_group"], as_index=False)["area_m2"]
            .sum())


def normalised(codes: pd.Series) -> np.ndarray:
    table = default_class_table()
    values, uniq = pd.factorize(codes.astype(str))
    return np.array([table.normalise(u) for u in uniq], dtype=object)[values]


def run_geopandas(root: Path, start: str, end: str, out: Path) -> dict:
    a = read_vintage(vintage_path(root, start))
    b = read_vintage(vintage_path(root, end))
    pieces = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
    same = (pieces["district_code_1"] == pieces["district_code_2"]).to_numpy()
    pieces = pieces[same]
    area = pieces.geometry.to_crs(LAEA).area.to_numpy()
    m = ridge_matrix(pieces["district_code_1"].to_numpy(), normalised(pieces["DLBM_1"]),
                     normalised(pieces["DLBM_2"]), pieces["KCXS_1"], pieces["KCXS_2"], area)
    m.to_csv(out, index=False)
    return {"pieces": len(pieces), "slivers_lt_1m2": int((area < 1).sum())}


def run_raster(root: Path, start: str, end: str, out: Path, pixel: float = 10.0) -> dict:
    from rasterio import features
    from rasterio.transform import from_origin

    a = read_vintage(vintage_path(root, start))
    b = read_vintage(vintage_path(root, end))
    minx, miny, maxx, maxy = np.minimum(a.total_bounds, b.total_bounds)[:2].tolist() + \
        np.maximum(a.total_bounds, b.total_bounds)[2:].tolist()
    width, height = int(np.ceil((maxx - minx) / pixel)), int(np.ceil((maxy - miny) / pixel))
    transform = from_origin(minx, maxy, pixel, pixel)
    dist_codes = sorted(set(a["district_code"]) | set(b["district_code"]))
    grids = []
    for frame in (a, b):
        codes = normalised(frame["DLBM"])
        uniq, idx = np.unique(codes, return_inverse=True)
        did = np.searchsorted(dist_codes, frame["district_code"].to_numpy())
        value = (idx + 1) * 64 + did  # class id and district id in one int32
        ras = features.rasterize(zip(frame.geometry.values, value.tolist(), strict=True),
                                 out_shape=(height, width), transform=transform, fill=0,
                                 dtype="int32")
        kc = features.rasterize(
            zip(frame.geometry.values, np.nan_to_num(frame["KCXS"].to_numpy(float)).tolist(),
                strict=True), out_shape=(height, width), transform=transform, fill=0,
            dtype="float32")
        grids.append((ras, kc, uniq))
    (ra, ka, ua), (rb, kb, ub) = grids
    ok = (ra > 0) & (rb > 0) & ((ra % 64) == (rb % 64))
    key = pd.DataFrame({"a": ra[ok], "b": rb[ok], "ka": ka[ok], "kb": kb[ok]})
    del ra, rb, ka, kb
    grouped = key.groupby(["a", "b", "ka", "kb"], as_index=False).size()
    area = grouped["size"].to_numpy(float) * pixel * pixel
    m = ridge_matrix(np.array(dist_codes, dtype=object)[grouped["a"].to_numpy() % 64],
                     ua[grouped["a"].to_numpy() // 64 - 1], ub[grouped["b"].to_numpy() // 64 - 1],
                     grouped["ka"].to_numpy(), grouped["kb"].to_numpy(), area)
    m.to_csv(out, index=False)
    return {"pixels": int(ok.sum())}


POSTGIS_QUERY = """
SELECT a.dist, a.code, b.code, a.kcxs, b.kcxs,
       sum(ST_Area(ST_Transform(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3),
                                4490)::geography, true)) AS area_m2,
       count(*) AS pieces
FROM bench_a a JOIN bench_b b ON ST_Intersects(a.geom, b.geom) AND a.dist = b.dist
GROUP BY 1, 2, 3, 4, 5
"""


def _postgis_load(conn, table: str, frame: gpd.GeoDataFrame) -> None:
    import shapely

    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE UNLOGGED TABLE {table} (code text, kcxs float8, dist text, "
                 "geom geometry(Geometry, 4527))")
    geoms = shapely.set_srid(frame.geometry.to_numpy(), 4527)
    hexes = shapely.to_wkb(geoms, hex=True, include_srid=True)
    codes = normalised(frame["DLBM"])
    kcxs = np.nan_to_num(frame["KCXS"].to_numpy(float))
    with conn.cursor().copy(f"COPY {table} (code, kcxs, dist, geom) FROM STDIN") as copy:
        for row in zip(codes, kcxs, frame["district_code"], hexes, strict=True):
            copy.write_row(row)
    conn.execute(f"CREATE INDEX ON {table} USING gist (geom)")
    conn.execute(f"ANALYZE {table}")


def run_postgis(root: Path, start: str, end: str, out: Path, url: str) -> dict:
    import psycopg

    a = read_vintage(vintage_path(root, start))
    b = read_vintage(vintage_path(root, end))
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        t0 = time.perf_counter()
        _postgis_load(conn, "bench_a", a)
        _postgis_load(conn, "bench_b", b)
        load_s = time.perf_counter() - t0
        del a, b
        conn.execute("SET max_parallel_workers_per_gather = 2")
        conn.execute("SET work_mem = '256MB'")
        t0 = time.perf_counter()
        rows = conn.execute(POSTGIS_QUERY).fetchall()
        query_s = time.perf_counter() - t0
        conn.execute("DROP TABLE IF EXISTS bench_a; DROP TABLE IF EXISTS bench_b")
    g = pd.DataFrame(rows, columns=["dist", "c1", "c2", "k1", "k2", "area", "pieces"])
    m = ridge_matrix(g["dist"].to_numpy(), g["c1"].to_numpy(), g["c2"].to_numpy(),
                     g["k1"].to_numpy(), g["k2"].to_numpy(), g["area"].to_numpy(float))
    m.to_csv(out, index=False)
    return {"load_s": load_s, "query_s": query_s, "pieces": int(g["pieces"].sum())}


def run_gisaudit(root: Path, start: str, end: str, out: Path, all_tenures: bool) -> dict:
    """The engine: ``engine_package`` reads what the tenures need, then ``evaluate_tenure``."""
    from benchmarks.engine import engine_package, tenure_table
    from gisaudit.concurrency import default_threads
    from gisaudit.evaluation.parallel import evaluate_tenures
    from gisaudit.evaluation.processes import can_fork
    from gisaudit.indicators import load_indicator_system

    # districts on forked processes (as ``gisaudit evaluate --processes N``) where the
    # system forks; GISAUDIT_BENCH_PROCESSES=0 measures the thread path instead
    wanted = os.environ.get("GISAUDIT_BENCH_PROCESSES", "").strip()
    processes = (int(wanted) if wanted.isdigit() else default_threads()) if can_fork() else 0
    t0 = time.perf_counter()
    tenures = None if all_tenures else tenure_table(root, date.fromisoformat(start),
                                                    date.fromisoformat(end))
    package, source = engine_package(root, tenures)
    read_s = time.perf_counter() - t0
    system = load_indicator_system()
    rows, leads, overlays = [], 0, set()
    ids = package.tenures["id"].astype(str).tolist()
    for result in evaluate_tenures(package, ids, system, processes=processes or None):
        leads += len(result.leads)
        overlays.add((result.district_code, result.start_vintage, result.end_vintage))
        if not all_tenures:
            t = result.transitions.copy()
            t["district_code"] = result.district_code
            t["area_m2"] = t["area_ha"] * 1e4
            rows.append(t[["district_code", "from_group", "to_group", "area_m2"]])
    if rows:
        pd.concat(rows).to_csv(out, index=False)
    return {"read_s": read_s, "tenures": len(package.tenures), "leads": leads,
            "overlays": len(overlays), "threads": default_threads(),
            "processes": processes if processes > 1 else 0, "source": source}


def main() -> None:
    method, root, start, end, out = sys.argv[1:6]
    extra = sys.argv[6:]
    root_p, out_p = Path(root), Path(out)
    t0 = time.perf_counter()
    if method == "geopandas":
        info = run_geopandas(root_p, start, end, out_p)
    elif method == "raster":
        info = run_raster(root_p, start, end, out_p)
    elif method == "postgis":
        info = run_postgis(root_p, start, end, out_p, extra[0])
    elif method in ("gisaudit", "gisaudit-all"):
        info = run_gisaudit(root_p, start, end, out_p, method == "gisaudit-all")
    else:
        raise SystemExit(f"unknown method {method}")
    info["inner_s"] = time.perf_counter() - t0
    out_p.with_suffix(".json").write_text(json.dumps(info), "utf-8")


if __name__ == "__main__":
    main()
    # the process ends without tearing the interpreter down (freeing every object of the
    # run one by one: up to a second after a survey-size run). The same for every method:
    # the work is measured, not the clean-up the operating system does anyway.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
