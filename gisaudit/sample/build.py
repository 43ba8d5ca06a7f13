"""Build the deterministic 10-district sample data package (``gisaudit sample DIR``)."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisaudit.errors import InputError
from gisaudit.geodesy import ellipsoidal_area_m2, to_ha
from gisaudit.layers.classes import default_class_table
from gisaudit.progress import ProgressFn, no_progress
from gisaudit.sample import character, coastline, rasters, tables, truth, zones
from gisaudit.sample.changes import DistrictState
from gisaudit.sample.tessellation import tessellate
from gisaudit.sample.timeline import evolve

DEFAULT_PATCHES = 40_000
CRS = "EPSG:4527"
YEARS = [2018, 2019, 2020, 2021, 2022, 2023]
COAST_LOSS_YEARS = [2020, 2022]
MARKER = ".gisaudit-sample.json"
PACKAGE_NAME = "天津市涉农区样例"


def read_districts() -> gpd.GeoDataFrame:
    """The 10 district boundaries shipped with gisaudit, in EPSG:4527 (fields code, name)."""
    path = resources.files("gisaudit.sample").joinpath("data/districts.geojson")
    with resources.as_file(path) as p:
        frame = gpd.read_file(p)
    frame["code"] = frame["code"].astype(str)
    frame = frame[["code", "name", "geometry"]].to_crs(CRS)
    return frame.sort_values("code").reset_index(drop=True)


def _check_target(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise InputError(f"输出位置 {out_dir} 已存在且不是文件夹。处理办法：换一个输出文件夹。")
    if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise InputError(
            f"输出文件夹 {out_dir} 不为空，也不是以前生成的样例数据包，为避免覆盖其中的文件已停止。"
            "处理办法：指定一个不存在或为空的文件夹，或先清空该文件夹。")


def build_sample_package(out_dir: Path, patches: int = DEFAULT_PATCHES, seed: int = 20181231,
                         progress: ProgressFn | None = None, *, pixel_m: float = 10.0,
                         district_codes: list[str] | None = None) -> Path:
    """Write the sample data package (spec §4) into ``out_dir`` and return its path.

    ``patches``: patches per vintage over all 10 districts (split by district area).
    Deterministic per ``seed``. ``pixel_m`` (raster pixel size, m) and ``district_codes`` (a
    subset of districts) exist for quick tests. Written into a temporary folder beside
    ``out_dir`` and renamed at the end, so a failure never leaves a half-written package.
    """
    out_dir = Path(out_dir).resolve()
    if patches < 100:
        raise InputError(f"图斑数 {patches} 太少。处理办法：--patches 至少取 100。")
    _check_target(out_dir)
    report = progress or no_progress
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        _build_into(tmp, patches, seed, report, pixel_m, district_codes)
        (tmp / MARKER).write_text(json.dumps({"patches": patches, "seed": seed}), "utf-8")
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{tmp.name[-8:]}")
            out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report("样例数据包生成完毕", 1, 1)
    return out_dir


def _initial_state(code: str, geom: shapely.Geometry, n: int, coast: shapely.Geometry | None,
                   rng: np.random.Generator) -> tuple[DistrictState, dict]:
    strips = character.make_strips(geom, code, rng)
    tes = tessellate(geom, n, rng, strips)
    ctx = character.patch_context(tes.polygons, code, coast, rng)
    dlbm = character.assign_classes(tes.strip_kind, ctx, code, rng)
    kcxs = character.deduction_coefficients(dlbm, ctx, code, rng)
    zl = character.location_units(tes.polygons, code, rng)
    pbf = zones.pbf_flags(dlbm, tes.polygons, ctx, code, rng)
    redline = ctx["reserve"] != ""
    state = DistrictState(code, geom, tes.polygons, dlbm, np.empty(0, dtype=object), kcxs, zl,
                          pbf, redline, np.zeros(len(dlbm), dtype=bool))
    state.bsm = np.array([state.new_bsm(YEARS[0]) for _ in range(len(dlbm))], dtype=object)
    return state, ctx


def _landuse_frame(snaps: dict[str, dict[str, np.ndarray]]) -> gpd.GeoDataFrame:
    table = default_class_table()
    parts = []
    for code in sorted(snaps):
        s = snaps[code]
        parts.append(pd.DataFrame({"BSM": s["bsm"], "DLBM": s["dlbm"], "ZLDWDM": s["zldwdm"],
                                   "KCXS": s["kcxs"], "geometry": s["geom"]}))
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(2, "DLMC", [table.name(c) for c in frame["DLBM"]])
    geoms = frame["geometry"].to_numpy()
    frame.insert(4, "TBMJ", np.round(ellipsoidal_area_m2(geoms, CRS), 2))
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


def _build_into(root: Path, patches: int, seed: int, report: ProgressFn, pixel_m: float,
                district_codes: list[str] | None) -> None:
    all_districts = read_districts()
    geoms = dict(zip(all_districts["code"], all_districts.geometry, strict=True))
    names = dict(zip(all_districts["code"], all_districts["name"], strict=True))
    coast_line = character.coastline_geometry(geoms)
    coast_code = character.characters()["coast"]["district"]
    codes = sorted(district_codes or geoms)
    unknown = sorted(set(codes) - set(geoms))
    if unknown:
        raise InputError(f"未知区划代码 {'、'.join(unknown)}。处理办法：使用 10 个涉农区的代码。")
    total_area = sum(g.area for g in geoms.values())
    districts = all_districts[all_districts["code"].isin(codes)].reset_index(drop=True)
    districts.to_file(root / "districts.gpkg", layer="districts", driver="GPKG")

    states: dict[str, DistrictState] = {}
    contexts: dict[str, dict] = {}
    for i, code in enumerate(codes, 1):
        report(f"生成 {names[code]} 地类图斑", i - 1, len(codes))
        n = max(20, round(patches * geoms[code].area / total_area))
        rng = np.random.default_rng([seed, int(code)])
        coast = coast_line if code == coast_code else None
        states[code], contexts[code] = _initial_state(code, geoms[code], n, coast, rng)
    report("生成地类图斑", len(codes), len(codes))

    start = {c: (s.geom.copy(), s.bsm.copy(), s.dlbm.copy(), s.pbf.copy(), s.redline.copy())
             for c, s in states.items()}
    snapshots, regions = evolve(states, YEARS, np.random.default_rng([seed, 1]), report)

    (root / "landuse").mkdir()
    farmland_ha: dict[str, float] = {}
    all_codes: set[str] = set()
    for k, year in enumerate(YEARS, 1):
        frame = _landuse_frame(snapshots[year])
        frame.to_file(root / "landuse" / f"{year}.gpkg", layer="DLTB", driver="GPKG",
                      use_arrow=True)
        all_codes |= set(frame["DLBM"])
        if year == YEARS[0]:
            farm = frame["DLBM"].isin(["0101", "0102", "0103"])
            net = frame["TBMJ"] * (1 - frame["KCXS"].fillna(0))
            by = net[farm].groupby(frame["ZLDWDM"].str[:6][farm]).sum()
            farmland_ha = {c: float(to_ha(by.get(c, 0.0))) for c in codes}
        report("写出地类图斑图层", k, len(YEARS))

    (root / "zones").mkdir()
    zones.pbf_frame([(c, g[p], b[p], d[p]) for c, (g, b, d, p, _) in start.items()],
                    CRS).to_file(root / "zones" / "pbf.gpkg", layer="pbf", driver="GPKG")
    zones.redline_frame([(c, g[r], contexts[c]["reserve"][r])
                         for c, (g, _, _, _, r) in start.items() if r.any()],
                        CRS).to_file(root / "zones" / "redline.gpkg", layer="redline",
                                     driver="GPKG")
    zones.approvals_frame(regions, CRS, np.random.default_rng([seed, 2]), geoms).to_file(
        root / "zones" / "approvals.gpkg", layer="approvals", driver="GPKG", use_arrow=True)
    report("写出管控区图层", 1, 1)

    (root / "coastline").mkdir()
    coast_frames, coast_truth = coastline.coast_vintages(
        coast_line, YEARS, COAST_LOSS_YEARS, np.random.default_rng([seed, 3]), CRS)
    if coast_code not in codes:
        coast_frames = {y: f.iloc[0:0] for y, f in coast_frames.items()}
        coast_truth = coast_truth.iloc[0:0]
    for year, frame in coast_frames.items():
        frame.to_file(root / "coastline" / f"{year}.gpkg", layer="coastline", driver="GPKG")
    truth.write_truth(root, truth.truth_frame(regions, CRS), coast_truth)

    values = {code: i for i, code in enumerate(sorted(all_codes), 1)}
    (root / "imagery").mkdir()
    (root / "landcover").mkdir()
    grid = rasters.Grid.covering(tuple(districts.total_bounds), pixel_m, CRS)
    jobs = [(root / "landuse" / f"{y}.gpkg", root / "imagery" / f"{y}.tif",
             root / "landcover" / f"{y}.tif") for y in YEARS]
    rasters.render_all(jobs, grid, values, seed, progress=report)

    rng = np.random.default_rng([seed, 4])
    tables.tenures_frame({c: names[c] for c in codes}, rng).to_csv(
        root / "tenures.csv", index=False, encoding="utf-8")
    coast_rate = None
    if coast_code in codes:
        lengths = coast_frames[YEARS[0]]
        natural = lengths["AXLX"].isin(coastline.NATURAL_TYPES)
        coast_rate = 100 * lengths.geometry.length[natural].sum() / lengths.geometry.length.sum()
    tables.targets_frame(farmland_ha, coast_rate, coast_code, rng).to_csv(
        root / "targets.csv", index=False, encoding="utf-8")
    tables.write_manifest(root, tables.manifest(YEARS, {v: c for c, v in values.items()}))


def vintage_dates() -> list[date]:
    """The vintage dates of the sample package."""
    return [date(y, 12, 31) for y in YEARS]
