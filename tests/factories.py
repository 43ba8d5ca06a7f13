"""Small, real, VALID data packages written as real files, for tests of every module.

Geometry is hand-computable: in EPSG:4527 (CGCS2000 GK zone 39, central meridian 117°E), each
district is a ``DISTRICT_SIDE`` (2000 m) square placed side by side eastwards from ``ORIGIN``
(≈117°E, 39°N); each district is cut into ``grid`` × ``grid`` square patches (default 2 × 2,
so 4 patches of 1000 m × 1000 m = 100 ha planar). Patch ``i`` (row-major from the south-west)
gets ``codes[v][i % len(codes[v])]`` at vintage ``v``: by default the first patch turns from
0101 水田 to 0702 农村宅基地 at the second vintage, everything else stays.

Usage::

    root = make_package(tmp_path)                      # GeoPackage, 2 districts, 2 vintages
    root = make_package(tmp_path, fmt="shp", encoding="GBK", cpg=False)
    m = read_manifest(root); m["landuse"].reverse(); write_manifest(root, m)

Layers written: districts (code, name), landuse/<year>.<fmt> (BSM, DLBM, DLMC, ZLDWDM, TBMJ,
KCXS), zones/pbf, zones/redline, zones/approvals (PZRQ), coastline/<year> (AXLX),
tenures.csv, targets.csv and, with ``rasters=True``, imagery/landcover GeoTIFFs.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
import yaml

CRS = "EPSG:4527"
ORIGIN = (39_500_000.0, 4_320_000.0)  # x, y in EPSG:4527: about 117.0°E, 39.0°N
DISTRICT_SIDE = 2000.0  # m
DEFAULT_DISTRICTS = ("120110", "120111")
DEFAULT_VINTAGES = ("2018-12-31", "2023-12-31")
DEFAULT_CODES = (("0101", "0301", "0702", "1101"), ("0702", "0301", "0702", "1101"))
NAMES = {
    "120110": "东丽区", "120111": "西青区", "120112": "津南区", "120113": "北辰区",
    "120114": "武清区", "120115": "宝坻区", "120116": "滨海新区", "120117": "宁河区",
    "120118": "静海区", "120119": "蓟州区",
}  # fmt: skip
DLMC = {"0101": "水田", "0301": "乔木林地", "0702": "农村宅基地", "1101": "河流水面",
        "1105": "沿海滩涂", "0102": "水浇地", "1203": "田坎"}  # fmt: skip
SUFFIX = {"gpkg": ".gpkg", "shp": ".shp", "zip": ".zip", "gdb": ".gdb", "parquet": ".parquet",
          "geojson": ".geojson"}  # fmt: skip


def district_box(k: int) -> shapely.Polygon:
    """Square of the k-th district (EPSG:4527)."""
    x0 = ORIGIN[0] + k * DISTRICT_SIDE
    return shapely.box(x0, ORIGIN[1], x0 + DISTRICT_SIDE, ORIGIN[1] + DISTRICT_SIDE)


def districts_frame(districts: Sequence[str] = DEFAULT_DISTRICTS) -> gpd.GeoDataFrame:
    """The districts layer: fields ``code``, ``name``."""
    return gpd.GeoDataFrame(
        {"code": list(districts), "name": [NAMES[c] for c in districts]},
        geometry=[district_box(k) for k in range(len(districts))],
        crs=CRS,
    )


def patch_boxes(k: int, grid: int = 2) -> list[shapely.Polygon]:
    """The grid × grid patches of district k, row-major from the south-west corner."""
    x0, y0 = ORIGIN[0] + k * DISTRICT_SIDE, ORIGIN[1]
    s = DISTRICT_SIDE / grid
    return [
        shapely.box(x0 + c * s, y0 + r * s, x0 + (c + 1) * s, y0 + (r + 1) * s)
        for r in range(grid)
        for c in range(grid)
    ]


def landuse_frame(
    districts: Sequence[str] = DEFAULT_DISTRICTS,
    codes: Sequence[str] = DEFAULT_CODES[0],
    grid: int = 2,
    year: str = "2018",
    kcxs: float = 0.0,
) -> gpd.GeoDataFrame:
    """One land-use vintage: BSM, DLBM, DLMC, ZLDWDM, TBMJ, KCXS (kcxs on farmland 01xx)."""
    rows: list[dict[str, Any]] = []
    geoms = []
    for k, code in enumerate(districts):
        for i, box in enumerate(patch_boxes(k, grid)):
            dlbm = codes[i % len(codes)]
            rows.append(
                {
                    "BSM": f"{code}{year}{i:05d}",
                    "DLBM": dlbm,
                    "DLMC": DLMC.get(dlbm, ""),
                    "ZLDWDM": f"{code}001001",
                    "TBMJ": float(box.area),
                    "KCXS": kcxs if dlbm.startswith("01") else 0.0,
                }
            )
            geoms.append(box)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def write_layer(
    frame: gpd.GeoDataFrame,
    root: Path,
    stem: str,
    fmt: str = "gpkg",
    layer: str | None = None,
    encoding: str | None = None,
    cpg: bool = True,
) -> dict[str, Any]:
    """Write ``frame`` to ``root/stem.<fmt>`` through a real driver; return its manifest entry.

    fmt: gpkg, shp, zip (zipped Shapefile), gdb (FileGDB via OpenFileGDB), parquet, geojson.
    ``encoding`` (Shapefile only) is the .dbf encoding; ``cpg=False`` deletes the .cpg.
    """
    path = root / (stem + SUFFIX[fmt])
    path.parent.mkdir(parents=True, exist_ok=True)
    entry: dict[str, Any] = {"path": path.relative_to(root).as_posix()}
    if fmt == "gpkg":
        pyogrio.write_dataframe(frame, path, layer=layer or path.stem, driver="GPKG")
        if layer:
            entry["layer"] = layer
    elif fmt in ("shp", "zip"):
        shp = path.with_suffix(".shp")
        pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding=encoding)
        if not cpg:
            shp.with_suffix(".cpg").unlink(missing_ok=True)
        if fmt == "zip":
            sidecars = sorted(shp.parent.glob(shp.stem + ".*"))
            with zipfile.ZipFile(path, "w") as zf:
                for f in sidecars:
                    if f.suffix != ".zip":
                        zf.write(f, f.name)
            for f in sidecars:
                if f.suffix != ".zip":
                    f.unlink()
    elif fmt == "gdb":
        if path.exists():
            shutil.rmtree(path)
        pyogrio.write_dataframe(frame, path, layer=layer or "DLTB", driver="OpenFileGDB")
        entry["layer"] = layer or "DLTB"
    elif fmt == "parquet":
        frame.to_parquet(path)
    elif fmt == "geojson":
        pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    else:
        raise ValueError(fmt)
    return entry


def _rasters(root: Path, vintages: Sequence[str], n_districts: int) -> dict[str, list]:
    import rasterio
    from rasterio.transform import from_origin

    width, height = int(n_districts * DISTRICT_SIDE / 100), int(DISTRICT_SIDE / 100)
    transform = from_origin(ORIGIN[0], ORIGIN[1] + DISTRICT_SIDE, 100, 100)
    out: dict[str, list] = {"imagery": [], "landcover": []}
    for v in vintages:
        year = v[:4]
        for kind, count, dtype in (("imagery", 3, "uint8"), ("landcover", 1, "uint8")):
            path = root / kind / f"{year}.tif"
            path.parent.mkdir(parents=True, exist_ok=True)
            data = np.full((count, height, width), 1, dtype=dtype)
            with rasterio.open(
                path, "w", driver="GTiff", width=width, height=height, count=count,
                dtype=dtype, crs=CRS, transform=transform,
            ) as dst:  # fmt: skip
                dst.write(data)
            entry: dict[str, Any] = {"vintage": v, "path": f"{kind}/{year}.tif"}
            if kind == "landcover":
                entry["classes"] = {1: "0101", 2: "0301"}
            out[kind].append(entry)
    return out


def make_package(
    tmp_path: Path,
    *,
    districts: Sequence[str] = DEFAULT_DISTRICTS,
    vintages: Sequence[str] = DEFAULT_VINTAGES,
    codes: Sequence[Sequence[str]] = DEFAULT_CODES,
    grid: int = 2,
    fmt: str = "gpkg",
    encoding: str | None = None,
    cpg: bool = True,
    crs: str | None = None,
    kcxs: float = 0.0,
    zones: bool = True,
    coastline: bool = True,
    targets: bool = True,
    rasters: bool = False,
    name: str = "pkg",
) -> Path:
    """Write a valid package in ``tmp_path/name`` and return its folder.

    ``codes[v]`` are the patch codes of vintage v (cycled over each district's patches; the last
    entry is reused for extra vintages). ``fmt``/``encoding``/``cpg`` choose how the land-use
    layers are written (see :func:`write_layer`); ``crs`` reprojects them before writing.
    """
    root = Path(tmp_path) / name
    root.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"name": "测试数据包", "crs": CRS}
    dist = write_layer(districts_frame(districts), root, "districts")
    manifest["districts"] = {**dist, "code_field": "code", "name_field": "name"}
    manifest["landuse"] = []
    for v, vintage in enumerate(vintages):
        year = vintage[:4]
        frame = landuse_frame(districts, codes[min(v, len(codes) - 1)], grid, year, kcxs)
        if crs:
            frame = frame.to_crs(crs)
        entry = write_layer(frame, root, f"landuse/{year}", fmt, encoding=encoding, cpg=cpg)
        manifest["landuse"].append({"vintage": vintage, **entry, "class_field": "DLBM"})
    if zones:
        first = patch_boxes(0, grid)[0]
        pbf = gpd.GeoDataFrame({"BSM": ["P1"]}, geometry=[first], crs=CRS)
        red = gpd.GeoDataFrame({"BSM": ["R1"]}, geometry=[patch_boxes(0, grid)[-1]], crs=CRS)
        appr = gpd.GeoDataFrame(
            {"BSM": ["A1"], "PZRQ": ["2020-05-01"]}, geometry=[first.buffer(-100)], crs=CRS
        )
        manifest["zones"] = {
            "pbf": write_layer(pbf, root, "zones/pbf"),
            "redline": write_layer(red, root, "zones/redline"),
            "approvals": {**write_layer(appr, root, "zones/approvals"), "date_field": "PZRQ"},
        }
    if coastline:
        k = len(districts) - 1
        x0, y0 = ORIGIN[0] + k * DISTRICT_SIDE, ORIGIN[1]
        lines = [
            shapely.LineString([(x0, y0), (x0 + 1000, y0)]),
            shapely.LineString([(x0 + 1000, y0), (x0 + 2000, y0)]),
        ]
        manifest["coastline"] = []
        for vintage in vintages:
            frame = gpd.GeoDataFrame({"AXLX": ["淤泥质岸线", "人工岸线"]}, geometry=lines, crs=CRS)
            entry = write_layer(frame, root, f"coastline/{vintage[:4]}")
            manifest["coastline"].append({"vintage": vintage, **entry, "type_field": "AXLX"})
    if rasters:
        manifest.update(_rasters(root, vintages, len(districts)))
    rows = ["id,district_code,official,position,start,end"]
    for n, code in enumerate(districts):
        rows.append(f"T{code}a,{code},张{n},区委书记,2018-06-01,2023-12-31")
        rows.append(f"T{code}b,{code},李{n},区长,2019-03-15,")
    (root / "tenures.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    manifest["tenures"] = "tenures.csv"
    if targets:
        (root / "targets.csv").write_text(
            "district_code,indicator,value\n"
            f"{districts[0]},farmland_target_attainment,100\n"
            f"{districts[0]},natural_coastline_rate,5.5\n",
            encoding="utf-8",
        )
        manifest["targets"] = "targets.csv"
    manifest["indicator_system"] = "default"
    write_manifest(root, manifest)
    return root


def read_manifest(root: Path) -> dict[str, Any]:
    """The package's manifest as a dict (dates as strings)."""
    return yaml.safe_load((root / "package.yaml").read_text("utf-8"))


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` as ``root/package.yaml`` (UTF-8)."""
    (root / "package.yaml").write_text(
        yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
