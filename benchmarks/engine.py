"""The package as the engine sees it after validation, read for the benchmark.

``gisaudit validate`` (or ``load_package``) checks a delivery once: every vintage's
tessellation (overlaps, gaps against the district boundaries) on top of reading it. The
benchmark times what an evaluation does with an already validated package: load it from the
validated-package cache that ``gisaudit validate`` fills (or, when the cache has no copy,
read the layers the tenures need with the library's own readers: code normalisation, KCXS,
geometry checks and repair), then evaluate. ``run.py`` times the validation itself in its
own row (``validate``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from gisaudit.change.vintages import select_vintages
from gisaudit.concurrency import map_in_threads
from gisaudit.layers.cache import load_cached
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.coastline import read_coastline
from gisaudit.layers.common import Issues
from gisaudit.layers.districts import read_districts
from gisaudit.layers.geometry import parse_crs
from gisaudit.layers.landuse import read_landuse
from gisaudit.layers.manifest import load_manifest
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.tenures import indicator_ids, read_targets, read_tenures
from gisaudit.layers.zones import read_zones


def tenure_table(root: Path, start: date, end: date) -> pd.DataFrame:
    """One tenure per district of the package, from ``start`` to ``end``."""
    issues = Issues()
    m = load_manifest(root, issues)
    districts = read_districts(root, m.districts, parse_crs(m.crs), issues)
    codes = districts["district_code"].tolist()
    return pd.DataFrame({
        "id": [f"bench-{c}" for c in codes], "district_code": codes,
        "official": "基准测试", "position": "区长", "start": start, "end": end,
    })


def engine_package(root: Path, tenures: pd.DataFrame | None = None) -> tuple[AuditPackage, str]:
    """The package, and where it came from: ``"cache"`` when ``gisaudit validate`` (or an
    earlier load) left it in the validated-package cache (``gisaudit.layers.cache``), as an
    auditor's evaluations after validation load it; else ``"readers"``: the library's readers
    read only the land-use vintages the tenures need (all tenures by default)."""
    cached = load_cached(root)
    if cached is not None:
        # the land-cover cross-check is not part of the measured engine (as with the readers)
        cached = replace(cached, landcover=(), imagery=())
        return (cached if tenures is None else replace(cached, tenures=tenures)), "cache"
    issues = Issues()
    m = load_manifest(root, issues)
    crs = parse_crs(m.crs)
    districts = read_districts(root, m.districts, crs, issues)
    codes = set(districts["district_code"])
    if tenures is None:
        tenures = read_tenures(root, m.tenures, codes, issues)
    all_vintages = [s.vintage for s in m.landuse]
    needed: set[date] = set()
    for row in tenures.itertuples(index=False):
        end = row.end if isinstance(row.end, date) else None
        sel = select_vintages(all_vintages, row.start, end)
        needed |= {sel.start, sel.end, *sel.intermediate}
    table = default_class_table()
    landuse = tuple(map_in_threads(
        lambda spec: read_landuse(root, spec, crs, None, table, issues),
        [spec for spec in m.landuse if spec.vintage in needed],
    ))  # fmt: skip
    ids = indicator_ids(root, m.indicator_system)
    targets = (read_targets(root, m.targets, codes, ids, issues) if m.targets
               else pd.DataFrame(columns=["district_code", "indicator", "value"]))
    if issues.problems:
        raise SystemExit("\n".join(str(p) for p in issues.problems))
    return AuditPackage(
        root=root.resolve(), name=m.name or root.name, crs=crs, districts=districts,
        landuse=landuse, tenures=tenures, targets=targets,
        zones=read_zones(root, m.zones, crs, issues, set()),
        coastline=tuple(read_coastline(root, s, crs, issues) for s in m.coastline),
    ), "readers"
