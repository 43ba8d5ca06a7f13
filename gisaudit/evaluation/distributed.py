"""Evaluating a package on a Dask distributed cluster, district by district (spec §10).

One task per district: the task loads the package on its worker (once per worker process,
then reused for the worker's other districts), evaluates the district's tenures with the same
code as ``evaluate_package`` (sharing overlays between tenures with the same vintages) and
writes their folders into a temporary folder beside ``out_dir``. When every district succeeded
the client writes ``summary.csv`` and moves everything into place, so a failure writes
nothing, as in the in-process run. Results are identical to ``evaluate_package``: the same
functions run on the same data, only on another process.

Where the cluster runs on several machines, the package folder and the output folder's parent
must be on a file system every worker sees at the same path (NFS, CephFS, a mounted bucket).

Dask is optional (``pip install 'gisaudit[distributed]'``): it is imported only here, lazily.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from gisaudit.errors import AnalysisError, ConfigError, GisAuditError, InputError
from gisaudit.evaluation.outputs import (
    _BAD_ID,
    DEFAULT_WRITERS,
    SUMMARY_COLUMNS,
    _move_into_place,
    evaluate_package,
)
from gisaudit.evaluation.processes import loaded_package, portable
from gisaudit.evaluation.result import TenureResult
from gisaudit.progress import ProgressFn, no_progress


def _dask() -> tuple[Any, Any, Any]:
    """(Client, LocalCluster, as_completed) from dask.distributed, or ConfigError in Chinese."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ConfigError(
            "分布式评价需要 Dask（dask[distributed]），当前环境未安装。"
            "处理办法：运行 pip install 'gisaudit[distributed]'，或去掉 --scheduler/--workers "
            "在本机评价。"
        ) from exc
    return Client, LocalCluster, as_completed

def _district_task(
    root: str,
    tenure_ids: list[str],
    folder: str,
    indicators: str | None,
    rules: str | None,
    lead_pdf: bool,
    standard: bool,
) -> tuple[str, Any]:
    """Evaluate one district's tenures into ``folder`` on a worker.

    Returns ("ok", results without ``extras``) or ("error", (class name, Chinese message)):
    errors travel as text because some of our exceptions do not survive pickling.
    """
    try:
        package = loaded_package(root)
        results = evaluate_package(
            package, Path(folder), tenure_ids=tenure_ids,
            indicators=Path(indicators) if indicators else None,
            rules=Path(rules) if rules else None, lead_pdf=lead_pdf,
            writers=None if standard else DEFAULT_WRITERS,
            threads=1,  # one district per task: the worker's own threads run the tasks
        )
    except GisAuditError as exc:
        return "error", (type(exc).__name__, str(exc))
    # the client gets the results without the district's patches (re-derived there from the
    # package folder if a map asks) and without extras
    return "ok", [replace(portable(r, root=root), extras={}) for r in results]

def _raise(kind: str, message: str) -> None:
    if kind == "AnalysisError":
        raise AnalysisError(message)
    if kind == "ConfigError":
        raise ConfigError(message)
    raise InputError(message)

def _tenures_by_district(root: Path, tenure_ids: list[str] | None) -> dict[str, list[str]]:
    """District code -> tenure ids, from the package's tenure table (read without loading)."""
    from gisaudit.layers.common import Issues
    from gisaudit.layers.manifest import load_manifest
    from gisaudit.layers.tenures import read_tenures

    issues = Issues()
    manifest = load_manifest(root, issues)
    tenures = read_tenures(root, manifest.tenures, None, issues) if manifest else None
    if tenures is None or issues.problems:
        from gisaudit.errors import PackageError

        raise PackageError(issues.problems, root=str(root))
    known = dict(zip(tenures["id"].astype(str), tenures["district_code"].astype(str),
                     strict=True))
    ids = [str(t) for t in (tenure_ids or list(known))]
    unknown = [t for t in ids if t not in known]
    if unknown:
        raise InputError(
            f"任期表中没有编号为 {'、'.join(unknown)} 的任期"
            f"（现有：{'、'.join(list(known)[:20])}）。请检查 --tenure 参数。"
        )
    bad = [t for t in ids if _BAD_ID.search(t)]
    if bad:
        raise InputError(
            f"任期编号不能用作文件夹名：{'、'.join(bad)}。请修改 tenures.csv 中的 id。"
        )
    groups: dict[str, list[str]] = {}
    for t in ids:
        groups.setdefault(known[t], []).append(t)
    return groups

def package_identity(package_dir: Path | str) -> tuple[str, dict[str, str]]:
    """The package's name and input fingerprints (sha256 per file), as ``load_package`` gives
    them, without reading its layers (for storing a distributed run)."""
    from gisaudit.layers.common import Issues
    from gisaudit.layers.io import fingerprint
    from gisaudit.layers.manifest import MANIFEST, load_manifest

    root = Path(package_dir).resolve()
    issues = Issues()
    manifest = load_manifest(root, issues)
    if manifest is None:
        from gisaudit.errors import PackageError

        raise PackageError(issues.problems, root=str(root))
    fingerprints = {MANIFEST: fingerprint(root, MANIFEST)}
    fingerprints.update({p: fingerprint(root, p) for p in manifest.paths()})
    return manifest.name or root.name, fingerprints


def _client(scheduler: str | None, workers: int | None) -> AbstractContextManager[Any]:
    Client, LocalCluster, _ = _dask()
    if scheduler:
        try:
            return Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"无法连接 Dask 调度器 {scheduler}：{exc}。"
                "处理办法：确认调度器已启动（dask scheduler）且地址、端口正确，网络可达。"
            ) from exc
    cluster = LocalCluster(
        n_workers=max(1, int(workers or 1)), processes=True, threads_per_worker=1,
        dashboard_address=":0",
    )
    return _Owned(Client(cluster), cluster)

class _Owned(AbstractContextManager):
    """A client with the local cluster it owns: both closed on exit."""

    def __init__(self, client: Any, cluster: Any) -> None:
        self.client, self.cluster = client, cluster

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.cluster.close()

def evaluate_distributed(
    package_dir: Path | str,
    out_dir: Path | str,
    tenure_ids: list[str] | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    indicators: Path | None = None,
    rules: Path | None = None,
    lead_pdf: bool = False,
    standard_outputs: bool = True,
    progress: ProgressFn | None = None,
    client: Any | None = None,
) -> list[TenureResult]:
    """Evaluate tenures (default: all) on a Dask cluster, one task per district.

    ``scheduler``: address of a running scheduler (``tcp://host:8786``); otherwise a local
    cluster of ``workers`` processes (default 1) is started and closed. ``client``: an
    existing ``dask.distributed.Client`` (wins over both). ``standard_outputs=False`` writes
    only scorecard.json and transitions.csv (``DEFAULT_WRITERS``). Outputs and results are
    those of ``evaluate_package``; results come back without ``extras``.
    """
    progress = progress or no_progress
    root = Path(package_dir).resolve()
    if not (root / "package.yaml").is_file():
        raise InputError(f"{root} 中没有 package.yaml。请指定数据包目录。")
    groups = _tenures_by_district(root, tenure_ids)
    order = [str(t) for t in (tenure_ids or [t for ids in groups.values() for t in ids])]
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        manager = nullcontext(client) if client is not None else _client(scheduler, workers)
        by_id = _run(manager, groups, root, tmp, indicators, rules, lead_pdf, standard_outputs,
                     progress)
        results = [by_id[t] for t in order]
        parts = tmp / "_districts"
        for code in groups:
            for item in sorted((parts / code).iterdir()):
                if item.is_dir():
                    item.rename(tmp / item.name)
        shutil.rmtree(parts)
        write_summary(results, tmp / "summary.csv")
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress("写出结果", len(order), len(order))
    return results

def _run(
    manager: AbstractContextManager[Any],
    groups: dict[str, list[str]],
    root: Path,
    tmp: Path,
    indicators: Path | None,
    rules: Path | None,
    lead_pdf: bool,
    standard: bool,
    progress: ProgressFn,
) -> dict[str, TenureResult]:
    _, _, as_completed = _dask()
    by_id: dict[str, TenureResult] = {}
    with manager as client:
        futures = {
            client.submit(
                _district_task, str(root), ids, str(tmp / "_districts" / code),
                str(Path(indicators).resolve()) if indicators else None,
                str(Path(rules).resolve()) if rules else None, lead_pdf, standard,
                key=f"gisaudit-district-{code}-{tmp.name}", pure=False,
            ): code
            for code, ids in groups.items()
        }
        progress("分布式评价（按区县）", 0, len(futures))
        for done, future in enumerate(as_completed(list(futures)), 1):
            status, payload = future.result()
            if status == "error":
                for other in futures:
                    other.cancel()
                _raise(*payload)
            for r in payload:
                by_id[r.tenure_id] = r
            progress("分布式评价（按区县）", done, len(futures))
    return by_id

def write_summary(results: Sequence[TenureResult], path: Path) -> None:
    """``summary.csv`` from the results' scorecards (same columns as ``evaluate_package``)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(SUMMARY_COLUMNS)
        for r in results:
            card = r.scorecard
            out.writerow([
                r.tenure_id, r.district_code, card["district"]["name"],
                card["tenure"]["official"], card["tenure"]["position"],
                r.start_vintage.isoformat(), r.end_vintage.isoformat(),
                f"{card['total_score']:.2f}", card["grade"], ";".join(card["vetoes"]),
            ])
