"""Validate and load a whole data package (spec §4): every problem at once, never half-loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gisaudit.concurrency import map_in_threads
from gisaudit.errors import PackageError, Problem
from gisaudit.layers.cache import load_cached, store
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.coastline import read_coastline
from gisaudit.layers.common import Issues
from gisaudit.layers.districts import read_districts
from gisaudit.layers.facts import measure_patches
from gisaudit.layers.geometry import crs_label, parse_crs
from gisaudit.layers.io import fingerprint
from gisaudit.layers.landuse import read_landuse
from gisaudit.layers.manifest import (
    MANIFEST,
    LandUseSpec,
    Manifest,
    check_paths,
    load_manifest,
)
from gisaudit.layers.model import AuditPackage, LandUseVintage
from gisaudit.layers.rasters import check_raster
from gisaudit.layers.report import render_report, summarise
from gisaudit.layers.tenures import TARGET_COLUMNS, indicator_ids, read_targets, read_tenures
from gisaudit.layers.zones import read_zones
from gisaudit.progress import ProgressFn, no_progress


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating a package: every problem, or the loaded package."""

    problems: list[Problem]
    package: AuditPackage | None  # None when there are problems
    repaired: int  # geometries repaired with make_valid
    notes: list[str] = field(default_factory=list)  # information (reprojections, repairs)
    _summary: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when the package has no problem."""
        return not self.problems and self.package is not None

    def summary(self) -> pd.DataFrame:
        """Per district and vintage: patch count, total and boundary area (ha, ellipsoidal),
        difference (%) and class-group shares (%). Empty when the package is invalid."""
        if self._summary is None:
            return pd.DataFrame()
        return self._summary.copy()

    def render(self) -> str:
        """The Chinese text ``gisaudit validate`` prints."""
        return render_report(self.problems, self.package, self.repaired, self.notes, self._summary)


def _vintage_order(manifest: Manifest, issues: Issues) -> None:
    """Vintages must be unique in every list, and land-use vintages in increasing order."""
    lists = {
        "landuse": manifest.landuse,
        "coastline": manifest.coastline,
        "imagery": manifest.imagery,
        "landcover": manifest.landcover,
    }
    for key, items in lists.items():
        seen: set = set()
        for n, item in enumerate(items, start=1):
            if item.vintage in seen:
                issues.add(
                    MANIFEST,
                    f"{key} 中期次 {item.vintage} 重复。",
                    "每个期次只能出现一次：请删除重复项或改正日期。",
                    feature=f"{key}[{n}]",
                )
            elif key == "landuse" and n > 1 and item.vintage < items[n - 2].vintage:
                issues.add(
                    MANIFEST,
                    f"landuse 的期次未按时间先后排列：{item.vintage} 排在 "
                    f"{items[n - 2].vintage} 之后。",
                    "请把 landuse 各期按日期从早到晚排列。",
                    feature=f"landuse[{n}]",
                )
            seen.add(item.vintage)


def _check(root: Path, progress: ProgressFn) -> tuple[Issues, AuditPackage | None]:
    issues = Issues(progress=progress)
    progress("读取数据包清单 package.yaml", 0, 0)
    manifest = load_manifest(root, issues)
    if manifest is None:
        return issues, None
    crs = parse_crs(manifest.crs)
    if crs is None:
        issues.add(
            MANIFEST,
            f"数据包坐标系 crs “{manifest.crs}” 无法识别。",
            "请写成 EPSG:4527 这样的标准坐标系编号。",
            feature="crs",
        )
        return issues, None
    if not crs.is_projected:
        issues.add(
            MANIFEST,
            f"数据包坐标系 {crs_label(crs)} 不是投影坐标系，无法做平面几何运算。",
            "请使用 CGCS2000 高斯-克吕格投影，如 EPSG:4527。",
            feature="crs",
        )
        return issues, None
    _vintage_order(manifest, issues)
    skip = check_paths(root, manifest, issues)
    if (
        manifest.indicator_system != "default"
        and manifest.indicator_system not in skip
        and not (root / manifest.indicator_system).is_file()
    ):
        issues.add(
            manifest.indicator_system,
            "指标体系文件不存在。",
            "请检查 package.yaml 中 indicator_system 的路径，或改为 default。",
        )
    table = default_class_table()
    progress("读取区县边界", 0, 0)
    districts = None
    if manifest.districts.path not in skip:
        districts = read_districts(root, manifest.districts, crs, issues)
    codes = set(districts["district_code"]) if districts is not None else None
    landuse = []
    specs = [spec for spec in manifest.landuse if spec.path not in skip]

    def read_one(spec: LandUseSpec) -> tuple[LandUseVintage | None, Issues]:
        own = Issues()  # per vintage: problems are merged below in the manifest's order
        return read_landuse(root, spec, crs, districts, table, own), own

    progress(f"校验第 1/{len(specs)} 期地类图斑", 0, len(specs))
    for n, (vintage, own) in enumerate(map_in_threads(read_one, specs), start=1):
        progress(f"校验第 {n}/{len(specs)} 期地类图斑", n, len(specs))
        issues.problems += own.problems
        issues.notes += own.notes
        issues.repaired += own.repaired
        landuse.append(vintage)
    zones = read_zones(root, manifest.zones, crs, issues, skip)
    coastline = [
        read_coastline(root, s, crs, issues) for s in manifest.coastline if s.path not in skip
    ]
    imagery = [
        check_raster(root, s, "imagery", table, issues)
        for s in manifest.imagery
        if s.path not in skip
    ]
    landcover = [
        check_raster(root, s, "landcover", table, issues)
        for s in manifest.landcover
        if s.path not in skip
    ]
    progress("校验任职表与目标值", 0, 0)
    tenures = (
        read_tenures(root, manifest.tenures, codes, issues)
        if manifest.tenures not in skip
        else None
    )
    targets = pd.DataFrame(columns=TARGET_COLUMNS).astype({"value": float})
    if manifest.targets and manifest.targets not in skip:
        ids = indicator_ids(root, manifest.indicator_system)
        targets = read_targets(root, manifest.targets, codes, ids, issues)
    if issues.problems or districts is None or tenures is None or targets is None:
        return issues, None
    progress("计算文件指纹", 0, 0)
    fingerprints = {MANIFEST: fingerprint(root, MANIFEST)}
    fingerprints.update({p: fingerprint(root, p) for p in manifest.paths()})
    package = AuditPackage(
        root=root.resolve(),
        name=manifest.name or root.resolve().name,
        crs=crs,
        districts=districts,
        landuse=tuple(v for v in landuse if v is not None),
        tenures=tenures,
        targets=targets,
        zones=zones,
        coastline=tuple(c for c in coastline if c is not None),
        imagery=tuple(r for r in imagery if r is not None),
        landcover=tuple(r for r in landcover if r is not None),
        indicator_system=manifest.indicator_system,
        fingerprints=fingerprints,
        repaired=issues.repaired,
    )
    return issues, package


def validate_package(root: Path | str, progress: ProgressFn | None = None) -> ValidationReport:
    """Check every layer and table of the package at ``root``; report every problem at once.

    When there is no problem the report carries the loaded package and its summary.
    """
    progress = progress or no_progress
    issues, package = _check(Path(root), progress)
    summary = None
    if package is not None:
        package = measure_patches(package, progress)
        store(package)  # the next load_package of these very files skips validation
        progress("汇总各区县各期面积", 0, 0)
        summary = summarise(package)
    progress("校验完成", 1, 1)
    return ValidationReport(
        problems=list(issues.problems),
        package=package,
        repaired=issues.repaired,
        notes=list(issues.notes),
        _summary=summary,
    )


def load_package(root: Path | str, progress: ProgressFn | None = None) -> AuditPackage:
    """Load a valid package; raise PackageError listing every problem otherwise (nothing loaded)."""
    progress = progress or no_progress
    cached = load_cached(Path(root))
    if cached is not None:
        progress("读取已校验过的数据包（文件未变，免于重复校验）", 1, 1)
        return cached
    issues, package = _check(Path(root), progress)
    if package is None:
        raise PackageError(issues.problems, root=str(root))
    package = measure_patches(package, progress)
    store(package)
    return package
