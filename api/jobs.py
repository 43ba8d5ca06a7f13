"""Evaluation jobs: queued, run in a background thread, stored with ``save_evaluation``.

A job's id is also the id of the evaluation it stores. Its state lives in memory and in
``<data dir>/evaluations/<id>/job.json`` (so finished jobs survive a restart; a job that was
queued or running when the server stopped is marked failed). Outputs are written into
``<data dir>/evaluations/<id>/out/``.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from api.errors import scrub_paths
from api.packages import PackageStore, return_free_memory
from api.pipeline import RunOptions, run_evaluation
from api.systems import SystemStore
from gisaudit.errors import GisAuditError, InputError, NotFoundError, StorageError
from gisaudit.evaluation.outputs import resolve_system
from gisaudit.storage.repository import save_evaluation

log = logging.getLogger("gisaudit.api.jobs")
JobState = Literal["queued", "running", "done", "failed"]
JOB_FILE = "job.json"
OUT = "out"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    """One evaluation job."""

    id: str
    package_id: str
    tenure_ids: list[str] | None
    indicator_system: str | None
    user: str
    options: dict[str, bool]
    state: JobState = "queued"
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    progress: dict[str, Any] = field(
        default_factory=lambda: {"message": "排队等待", "done": 0, "total": 0}
    )
    error: dict[str, str] | None = None


class JobManager:
    """Runs evaluation jobs one (or ``workers``) at a time in background threads."""

    def __init__(
        self,
        data_dir: Path,
        engine: Engine,
        packages: PackageStore,
        systems: SystemStore,
        workers: int = 1,
        private_paths: tuple[str, ...] = (),
    ) -> None:
        self.folder = Path(data_dir) / "evaluations"
        self.engine = engine
        self.packages = packages
        self.systems = systems
        self.private_paths = private_paths
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="eval")
        self._recover()

    def _recover(self) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.glob(f"*/{JOB_FILE}"):
            try:
                job = Job(**json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if job.state in ("queued", "running"):
                job.state = "failed"
                job.error = {
                    "code": "interrupted",
                    "detail": "服务重启，评价中断。请重新提交评价。",
                }
                job.finished_at = _now()
                self._write(job)
            self._jobs[job.id] = job

    def _write(self, job: Job) -> None:
        folder = self.folder / job.id
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{JOB_FILE}.tmp"
        tmp.write_text(json.dumps(asdict(job), ensure_ascii=False), "utf-8")
        tmp.replace(folder / JOB_FILE)

    def output_dir(self, job_id: str) -> Path:
        """Where the job's outputs are (``<id>/out``)."""
        return self.folder / str(job_id) / OUT

    def submit(
        self,
        package_id: str,
        tenure_ids: list[str] | None,
        indicator_system: str | None,
        user: str,
        options: RunOptions,
    ) -> Job:
        """Check the request and queue the job (errors are raised now, not in the job)."""
        record = self.packages.get(package_id)
        if tenure_ids is not None:
            known = {str(t["id"]) for t in record.tenures}
            unknown = [t for t in tenure_ids if t not in known]
            if not tenure_ids:
                raise InputError("请至少选择一个任期，或不填 tenure_ids 以评价全部任期。")
            if unknown:
                raise NotFoundError(
                    f"数据包“{record.name}”中没有任期 {'、'.join(unknown)}。"
                    f"可选任期：{'、'.join(sorted(known))}。"
                )
        if indicator_system is not None:
            self.systems.path(indicator_system)  # NotFoundError when unknown
        job = Job(
            id=str(uuid.uuid4()),
            package_id=package_id,
            tenure_ids=tenure_ids,
            indicator_system=indicator_system,
            user=user,
            options=asdict(options),
        )
        with self._lock:
            self._jobs[job.id] = job
            self._write(job)
        self._pool.submit(self._run, job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job, or None when it is not known (e.g. an evaluation stored another way)."""
        with self._lock:
            job = self._jobs.get(str(job_id))
            return None if job is None else Job(**asdict(job))

    def active(self) -> list[Job]:
        """Jobs not finished yet, oldest first."""
        with self._lock:
            jobs = [
                Job(**asdict(j)) for j in self._jobs.values() if j.state in ("queued", "running")
            ]
        return sorted(jobs, key=lambda j: j.created_at)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id]
            for key, value in changes.items():
                setattr(job, key, value)
            self._write(job)

    def _progress(self, job_id: str) -> Any:
        def report(message: str, done: int, total: int) -> None:
            with self._lock:
                self._jobs[job_id].progress = {"message": message, "done": done, "total": total}

        return report

    def _scrub(self, text: str) -> str:
        try:
            named = [r.path for r in self.packages.list()]
        except OSError:
            named = []
        return scrub_paths(text, self.private_paths, named)

    def _run(self, job_id: str) -> None:
        self._update(job_id, state="running", started_at=_now())
        job = self._jobs[job_id]
        try:
            return_free_memory()  # e.g. what validating the package left behind
            package = self.packages.load(job.package_id)
            # the results' maps ask for the package's layers next: decode them meanwhile
            self.packages.layers(job.package_id).warm()
            path = self.systems.path(job.indicator_system) if job.indicator_system else None
            system = resolve_system(package, path)
            progress = self._progress(job_id)
            results = run_evaluation(
                package,
                self.output_dir(job_id),
                tenure_ids=job.tenure_ids,
                indicators=path,
                options=RunOptions(**job.options),
                progress=progress,
            )
            save_evaluation(
                self.engine,
                package.name,
                package.fingerprints,
                system.id,
                system.version,
                results,
                user=job.user,
                progress=progress,
                evaluation_id=job_id,
                parameters={
                    "job_id": job_id,
                    "package_id": job.package_id,
                    "tenure_ids": job.tenure_ids,
                    "options": job.options,
                },
            )
            self._update(
                job_id,
                state="done",
                finished_at=_now(),
                progress={"message": "评价完成", "done": len(results), "total": len(results)},
            )
        except GisAuditError as exc:
            log.warning("evaluation job %s failed: %s", job_id, exc)
            detail = (
                "保存评价结果时数据库读写失败，请稍后重试。"
                if isinstance(exc, StorageError)
                else self._scrub(str(exc))
            )
            self._update(
                job_id,
                state="failed",
                finished_at=_now(),
                error={"code": exc.code, "detail": detail},
            )
        except Exception:
            log.exception("evaluation job %s failed unexpectedly", job_id)
            self._update(
                job_id,
                state="failed",
                finished_at=_now(),
                error={
                    "code": "internal_error",
                    "detail": "评价过程中出现意外错误，结果未保存。请联系技术支持。",
                },
            )

    def shutdown(self) -> None:
        """Stop taking jobs and wait for the running one."""
        self._pool.shutdown(wait=True, cancel_futures=True)
