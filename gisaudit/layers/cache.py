"""A cache of validated packages: validate once, load in seconds afterwards.

Validating a survey-size package (reading every layer, repairing geometries, checking that
each vintage tiles the districts without overlaps or gaps) takes minutes; the evaluation
itself much less. After a package validates, its loaded layers are written here as
GeoParquet files (geometry as WKB: every coordinate bit kept) with a small JSON index;
zone layers as Arrow IPC files of WKB and boxes, memory-mapped and decoded only where an
evaluation needs them (``gisaudit.layers.zone_store``);
land-use vintages as their patch tables (``gisaudit.layers.patches``) with the measured
facts and boundary pieces, in Arrow IPC files that are memory-mapped on reading: the WKB is
neither copied nor decoded until the engine asks for a district's patches. The next
``load_package`` of the same files reads them back instead of validating again.

The key covers everything the loaded package depends on: every file under the package folder
(path, size, modification time), gisaudit's version and its rule tables. Change any file and
the package is validated afresh. Location: ``GISAUDIT_CACHE_DIR``, else
``$XDG_CACHE_HOME/gisaudit/packages`` (``~/.cache/...``); ``GISAUDIT_CACHE_DIR=off`` turns
the cache off. The newest ``KEEP`` packages are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
from pyproj import CRS

from gisaudit import __version__
from gisaudit.concurrency import map_in_threads
from gisaudit.layers.model import AuditPackage, CoastlineVintage, LandUseVintage, RasterRef
from gisaudit.layers.patches import PatchTable, plain_strings
from gisaudit.layers.zone_store import StoredZones, write_zone

CACHE_VERSION = "8"  # bump when the shape of a loaded package changes
KEEP = 3
RULES = Path(__file__).resolve().parent.parent / "rules"
INDEX = "package.json"


def cache_dir() -> Path | None:
    """Where validated packages are kept; None when the cache is off."""
    configured = os.environ.get("GISAUDIT_CACHE_DIR")
    if configured is not None:
        if configured.strip().lower() in ("", "off", "0", "no", "none", "false"):
            return None
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gisaudit" / "packages"


def package_key(root: Path) -> str:
    """A key that changes whenever any file of the package (or a rule table) changes."""
    digest = hashlib.sha256(f"gisaudit {__version__} cache {CACHE_VERSION}\n".encode())
    for path in sorted(RULES.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(files):
            full = os.path.join(dirpath, name)
            st = os.stat(full)
            rel = os.path.relpath(full, root)
            digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def is_cached(root: Path) -> bool:
    """Whether the cache holds a validated copy of these very files (nothing is read)."""
    base = cache_dir()
    return base is not None and (base / package_key(root) / INDEX).is_file()


def load_cached(root: Path) -> AuditPackage | None:
    """The package as validated before, if the cache holds these very files; else None."""
    base = cache_dir()
    if base is None:
        return None
    folder = base / package_key(root)
    index_file = folder / INDEX
    try:
        index = json.loads(index_file.read_text("utf-8"))
        package = _read(folder, index, root)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, half-written or from another version: validate afresh
    os.utime(folder)  # recently used: kept longest
    return package


def store(package: AuditPackage) -> None:
    """Keep a validated package for the next load (errors writing the cache are ignored)."""
    base = cache_dir()
    if base is None:
        return
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = base / package_key(package.root)
        if final.exists():
            return
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=base))
        try:
            _write(tmp, package)
            tmp.rename(final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        _evict(base)
    except OSError:
        return


def _write(folder: Path, package: AuditPackage) -> None:
    def geo(name: str, frame: gpd.GeoDataFrame) -> str:
        # GeoParquet: read column by column, so the WKB buffers are freed once decoded (Feather
        # read as fast here, the WKB decoding dominating, but kept ~0.4 GB a vintage alive)
        frame.reset_index(drop=True).to_parquet(folder / name, index=False)
        return name

    index: dict[str, Any] = {
        "name": package.name,
        "crs": package.crs.to_wkt(),
        "indicator_system": package.indicator_system,
        "fingerprints": package.fingerprints,
        "repaired": package.repaired,
        "districts": geo("districts.parquet", package.districts),
        "landuse": [
            {"vintage": v.vintage.isoformat(), "source": v.source,
             "file": _write_patches(folder / f"landuse-{n}.arrow", v.patches),
             "pieces": _write_patches(folder / f"landuse-{n}-pieces.arrow",
                                      v.patches.boundary_pieces)
             if v.patches.boundary_pieces is not None else None}
            for n, v in enumerate(package.landuse)
        ],
        "zones": {kind: _write_zone(folder / f"zone-{kind}.arrow", f)
                  for kind, f in package.zones.items()},
        "coastline": [
            {"vintage": c.vintage.isoformat(), "source": c.source,
             "file": geo(f"coastline-{n}.parquet", c.frame)}
            for n, c in enumerate(package.coastline)
        ],
        "imagery": [_raster(r) for r in package.imagery],
        "landcover": [_raster(r) for r in package.landcover],
    }  # fmt: skip
    package.tenures.to_pickle(folder / "tenures.pkl")
    package.targets.to_pickle(folder / "targets.pkl")
    (folder / INDEX).write_text(json.dumps(index, ensure_ascii=False), "utf-8")


def _read(folder: Path, index: dict[str, Any], root: Path) -> AuditPackage:
    files = [index["districts"], *(c["file"] for c in index["coastline"])]
    crs = CRS.from_wkt(index["crs"])

    def read_vintage(v: dict[str, Any]) -> PatchTable:
        table = _read_patches(folder / v["file"], crs)
        if v.get("pieces"):
            table = table.with_boundary_pieces(_read_patches(folder / v["pieces"], crs))
        return table

    def read_job(job: str | dict[str, Any]) -> gpd.GeoDataFrame | PatchTable:
        return gpd.read_parquet(folder / job) if isinstance(job, str) else read_vintage(job)

    # one pool for the layers (file names) and the vintages (index entries)
    read = list(map_in_threads(read_job, [*files, *index["landuse"]]))
    frames = dict(zip(files, read[: len(files)], strict=True))
    patches = read[len(files) :]
    root = root.resolve()
    return AuditPackage(
        root=root,
        name=index["name"],
        crs=crs,
        districts=frames[index["districts"]],
        landuse=tuple(
            LandUseVintage(date.fromisoformat(v["vintage"]), source=v["source"], patches=p)
            for v, p in zip(index["landuse"], patches, strict=True)
        ),
        tenures=pd.read_pickle(folder / "tenures.pkl"),
        targets=pd.read_pickle(folder / "targets.pkl"),
        # memory-mapped, decoded where needed (repaired when the package was validated)
        zones=StoredZones({kind: folder / f for kind, f in index["zones"].items()}, crs),
        coastline=tuple(
            CoastlineVintage(date.fromisoformat(c["vintage"]), frames[c["file"]], c["source"])
            for c in index["coastline"]
        ),
        imagery=tuple(_raster_ref(r, root) for r in index["imagery"]),
        landcover=tuple(_raster_ref(r, root) for r in index["landcover"]),
        indicator_system=index["indicator_system"],
        fingerprints=dict(index["fingerprints"]),
        repaired=int(index["repaired"]),
    )


def _write_zone(path: Path, frame: gpd.GeoDataFrame) -> str:
    write_zone(path, frame)
    return path.name


def _write_patches(path: Path, patches: PatchTable) -> str:
    """A vintage's patch table as an Arrow IPC file: its columns plus the WKB (undecoded)."""
    table = pa.Table.from_pandas(patches.columns, preserve_index=False)
    table = table.append_column("wkb", patches.wkb)
    with pa.ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table, max_chunksize=max(len(table), 1))  # one batch: one buffer
    return path.name


def _read_patches(path: Path, crs: CRS) -> PatchTable:
    """Read back without copying the WKB: it stays memory-mapped from the file."""
    table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    wkb = table.column("wkb")
    wkb = wkb.chunk(0) if wkb.num_chunks == 1 else wkb.combine_chunks()
    columns = plain_strings(table.drop_columns(["wkb"]).to_pandas())
    return PatchTable(columns, wkb, crs)


def _raster(ref: RasterRef) -> dict[str, Any]:
    classes = {str(k): v for k, v in ref.classes.items()}
    return {"vintage": ref.vintage.isoformat(), "source": ref.source, "classes": classes}


def _raster_ref(item: dict[str, Any], root: Path) -> RasterRef:
    return RasterRef(
        vintage=date.fromisoformat(item["vintage"]),
        path=root / item["source"],
        source=item["source"],
        classes={int(k): v for k, v in item["classes"].items()},
    )


def _evict(base: Path) -> None:
    entries = sorted(
        (p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
