"""Evaluating districts side by side in forked worker processes of this machine.

Threads (``gisaudit.evaluation.parallel``) share one Python lock: the GEOS and PROJ calls run
in parallel, but the table work between them does not, so two threads give about 1.5× on two
cores. Forked processes give every district a whole core. The workers are forked after the
package is loaded, so they share its memory (the validated-package cache is memory-mapped;
everything else is copy-on-write) and nothing is read twice. Each worker evaluates one
district at a time and sends its results back; what travels is small: a result's land-use
patches are not sent but re-derived on demand from the package in this process
(``DistrictLanduse``), and ``extras`` stay behind (they hold the whole change set).

Forking needs a POSIX system; elsewhere, or for one process, the thread path runs instead.
Results are identical to the thread path's: the same functions on the same data.
"""

from __future__ import annotations

import multiprocessing
import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import geopandas as gpd

from gisaudit.errors import AnalysisError
from gisaudit.evaluation.evaluate import EvaluationCache, evaluate_tenure
from gisaudit.evaluation.result import TenureResult
from gisaudit.indicators.config import IndicatorSystem
from gisaudit.layers.model import AuditPackage
from gisaudit.leads import LeadRule

# packages being evaluated by forked workers, by token: a result's land use is re-derived
# from the package in this process (weak: a package no longer used is not kept alive)
_PACKAGES: weakref.WeakValueDictionary[str, AuditPackage] = weakref.WeakValueDictionary()
# what the forked workers inherit: (package, system, rules, token)
_SHARED: tuple[AuditPackage, IndicatorSystem, list[LeadRule] | None, str] | None = None
_FORK_LOCK = threading.Lock()


def can_fork() -> bool:
    """Whether this system can fork worker processes (POSIX)."""
    return "fork" in multiprocessing.get_all_start_methods()


@dataclass(frozen=True)
class DistrictLanduse:
    """A district's land-use patches of one vintage (``code``, ``geometry``), derived when
    called — so a result crossing processes carries a few small values instead of the
    patches. The package is the one this process registered under ``token`` (forked
    workers), else the one at ``root``, loaded (from the validated-package cache) once per
    process (Dask workers and their client)."""

    token: str
    vintage: date
    district_code: str
    root: str | None = None

    def __call__(self) -> gpd.GeoDataFrame:
        from gisaudit.change.district import district_patches
        from gisaudit.layers.facts import measured

        package = _PACKAGES.get(self.token) if self.token else None
        if package is None and self.root is not None:
            package = loaded_package(self.root)
        if package is None:
            raise AnalysisError(
                "评价所用的数据包已释放，无法再取出该区的地类图斑；请重新评价该任期。"
            )
        return district_patches(measured(package, self.vintage), self.district_code).landuse()


def portable(result: TenureResult, token: str = "", root: str | None = None) -> TenureResult:
    """``result`` made small to send to another process: its land use as ``DistrictLanduse``
    references, its extras without the change set (the district's whole overlay)."""
    return replace(
        result,
        start_landuse=DistrictLanduse(token, result.start_vintage, result.district_code, root),
        end_landuse=DistrictLanduse(token, result.end_vintage, result.district_code, root),
        extras={k: v for k, v in result.extras.items() if k != "changeset"},
    )


# per process: the last package loaded by folder, (path, files' key) -> package
_LOADED: dict[tuple[str, str], AuditPackage] = {}
_LOADED_LOCK = threading.Lock()


def loaded_package(root: str) -> AuditPackage:
    """The package at ``root``, loaded once per process (only the last one is kept; any
    changed file under the folder means a fresh load): Dask workers and their client."""
    from gisaudit.layers.cache import package_key
    from gisaudit.layers.package import load_package

    key = (root, package_key(Path(root)))
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED.clear()  # one package per process: keep memory bounded
            _LOADED[key] = load_package(root)
        return _LOADED[key]


def evaluate_in_processes(
    package: AuditPackage,
    by_district: dict[str, list[str]],
    codes: Sequence[str],
    system: IndicatorSystem,
    rules: list[LeadRule] | None,
    processes: int,
) -> Iterator[dict[str, TenureResult]]:
    """Each district's results (tenure id -> result), district by district in ``codes``
    order, evaluated on ``processes`` forked workers. The first error is raised when its
    district is reached; districts not yet started are then cancelled."""
    global _SHARED
    token = uuid.uuid4().hex
    _PACKAGES[token] = package
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=min(processes, len(codes)), mp_context=context)
    try:
        with _FORK_LOCK:  # the workers are forked on the first submit and inherit _SHARED
            _SHARED = (package, system, rules, token)
            try:
                futures = [pool.submit(_evaluate_district, by_district[code]) for code in codes]
            finally:
                _SHARED = None
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _evaluate_district(tenure_ids: list[str]) -> dict[str, TenureResult]:
    """In a worker: one district's tenures, made small enough to send back."""
    assert _SHARED is not None, "forked workers inherit the package"
    package, system, rules, token = _SHARED
    cache = EvaluationCache()
    out: dict[str, TenureResult] = {}
    for tid in tenure_ids:
        result = evaluate_tenure(package, tid, system, cache=cache, rules=rules)
        out[tid] = portable(result, token)
    return out
