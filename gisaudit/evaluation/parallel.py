"""Evaluating districts side by side on threads of one process.

Districts share nothing but the package (read-only here), so each district's tenures run on
a worker thread with their own ``EvaluationCache`` (tenures of one district still share
overlays; a finished district's caches are freed with it). The heavy steps — GEOS through
shapely, PROJ through pyproj, GDAL through pyogrio/rasterio — release Python's lock, so
threads use every core without copying the package into other processes. Results come back
in the order of the tenure ids, identical to a one-thread run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from gisaudit.concurrency import default_threads, map_in_threads
from gisaudit.evaluation.evaluate import EvaluationCache, evaluate_tenure
from gisaudit.evaluation.processes import can_fork, evaluate_in_processes
from gisaudit.evaluation.result import TenureResult
from gisaudit.indicators.config import IndicatorSystem
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.zone_store import StoredZones
from gisaudit.leads import LeadRule


def evaluate_tenures(
    package: AuditPackage,
    tenure_ids: Sequence[str],
    system: IndicatorSystem,
    *,
    rules: list[LeadRule] | None = None,
    threads: int | None = None,
    processes: int | None = None,
) -> Iterator[TenureResult]:
    """Evaluate ``tenure_ids`` (areas in ha, see ``evaluate_tenure``), yielded in that order.

    ``threads``: districts evaluated at once (default ``default_threads()``; 1 = in this
    thread). ``processes``: evaluate on that many forked worker processes instead
    (``gisaudit.evaluation.processes``; POSIX only, else threads), faster on several cores.
    The first error (e.g. InputError for an unknown tenure) is raised in id order;
    districts not yet started are then skipped.
    """
    ids = [str(t) for t in tenure_ids]
    by_district: dict[str, list[str]] = {}
    for tid in ids:
        by_district.setdefault(_district_of(package, tid), []).append(tid)
    threads = default_threads() if threads is None else max(1, int(threads))
    if threads > 1 and len(by_district) > 1:
        _build_indexes(package)
    codes = _largest_first(package, list(by_district)) if threads > 1 else list(by_district)
    done: dict[str, TenureResult] = {}
    if processes is not None and processes > 1 and len(by_district) > 1 and can_fork():
        codes = _largest_first(package, list(by_district))
        districts = evaluate_in_processes(package, by_district, codes, system, rules, processes)
    else:
        districts = map_in_threads(
            lambda code: _evaluate_district(package, by_district[code], system, rules),
            codes,
            threads,
        )
    left = Counter(ids)  # an id asked twice is answered twice
    try:
        for tid in ids:
            while tid not in done:  # results arrive district by district, in ``codes`` order
                done.update(next(districts))
            left[tid] -= 1
            yield done[tid] if left[tid] else done.pop(tid)
    finally:
        districts.close()  # a caller that stops early stops the threads' queue too


def _evaluate_district(
    package: AuditPackage,
    tenure_ids: list[str],
    system: IndicatorSystem,
    rules: list[LeadRule] | None,
) -> dict[str, TenureResult]:
    cache = EvaluationCache()
    return {
        tid: evaluate_tenure(package, tid, system, cache=cache, rules=rules) for tid in tenure_ids
    }


def _largest_first(package: AuditPackage, codes: list[str]) -> list[str]:
    """Districts by patch count, largest first: the long ones start at once and the short
    ones fill the threads at the end (no thread left idle behind one big district)."""
    if not package.landuse:
        return codes
    counts = package.landuse[0].patches.columns["district_code"].value_counts()
    return sorted(codes, key=lambda code: -int(counts.get(code, 0)))


def _district_of(package: AuditPackage, tenure_id: str) -> str:
    """The tenure's district code ("" for an unknown id: ``evaluate_tenure`` reports it)."""
    rows = package.tenures[package.tenures["id"].astype(str) == tenure_id]
    return "" if rows.empty else str(rows["district_code"].iloc[0])


def _build_indexes(package: AuditPackage) -> None:
    """Build the spatial indexes the districts query before the threads share them (land-use
    vintages are read from their patch tables, which need none)."""
    if isinstance(package.zones, StoredZones):
        return  # read near each district without an index (``gisaudit.layers.zone_store``)
    for frame in package.zones.values():
        _ = frame.sindex
