"""Evaluations as jobs; scorecards (JSON, xlsx, printable report), transitions, asset accounts."""

from __future__ import annotations

import csv
import uuid
from dataclasses import asdict
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import FileResponse, JSONResponse

from api.auditlog import record
from api.auth import require_role
from api.deps import ReaderDep, ServicesDep, SessionDep, UserDep
from api.jobs import Job
from api.pipeline import ACCOUNT_CSV, RunOptions
from api.routes import link, problems
from api.schemas import (
    AccountRow,
    EvaluationList,
    EvaluationOut,
    EvaluationRequest,
    Link,
    TenureResultOut,
    TransitionCell,
)
from gisaudit.errors import NotFoundError
from gisaudit.storage.models import Evaluation, TenureResultRow
from gisaudit.storage.repository import (
    get_evaluation,
    get_tenure_result,
    latest_tenure_results,
    list_evaluations,
)

router = APIRouter(prefix="/api", tags=["评价"])
EvalId = Annotated[uuid.UUID, Path(description="评价编号（即评价任务编号）")]
TenureId = Annotated[str, Path(min_length=1, max_length=64)]
FILES = {
    "scorecard.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "report.html": "text/html; charset=utf-8",
    "report.pdf": "application/pdf",
}


def tenure_links(request: Request, eid: str, tid: str) -> list[Link]:
    base = f"/api/evaluations/{eid}/tenures/{tid}"
    return [
        link(request, f"{base}/scorecard", "scorecard", "application/json", "评分卡 JSON"),
        link(
            request, f"{base}/scorecard.xlsx", "scorecard-xlsx", FILES["scorecard.xlsx"], "评分表"
        ),
        link(request, f"{base}/report.html", "report", "text/html", "评价报告（网页）"),
        link(request, f"{base}/report.pdf", "report-pdf", "application/pdf", "评价报告（PDF）"),
        link(request, f"{base}/transitions", "transitions", "application/json", "转移矩阵"),
        link(request, f"{base}/account", "account", "application/json", "资产账户"),
        link(request, "/api/leads", "leads", "application/json", "疑点", tenure_id=tid),
    ]


def tenure_result_out(request: Request, row: TenureResultRow) -> TenureResultOut:
    eid = str(row.evaluation_id)
    return TenureResultOut(
        tenure_id=row.tenure_id,
        district_code=row.tenure.district_code if row.tenure else None,
        start_vintage=row.start_vintage,
        end_vintage=row.end_vintage,
        total_score=row.total_score,
        grade=row.grade,
        vetoes=list(row.vetoes or []),
        lead_count=row.lead_count,
        links=tenure_links(request, eid, row.tenure_id),
    )


def job_out(request: Request, job: Job) -> EvaluationOut:
    data = asdict(job)
    data.pop("options")
    data.pop("tenure_ids")
    data["indicator_system_id"] = data.pop("indicator_system")
    links = [link(request, f"/api/evaluations/{job.id}", "self", "application/json")]
    return EvaluationOut(**data, links=links)


def evaluation_out(request: Request, ev: Evaluation, job: Job | None) -> EvaluationOut:
    out = job_out(request, job) if job is not None else EvaluationOut(id=str(ev.id), state="done")
    out.state = "done"
    out.package_name = ev.package_name
    out.package_id = out.package_id or (ev.parameters or {}).get("package_id")
    out.indicator_system_id = ev.indicator_system_id
    out.indicator_system_version = ev.indicator_system_version
    out.created_at = out.created_at or ev.created_at.isoformat(timespec="seconds")
    out.tenures = [tenure_result_out(request, r) for r in ev.tenure_results]
    out.links = [link(request, f"/api/evaluations/{ev.id}", "self", "application/json")]
    return out


@router.post(
    "/evaluations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EvaluationOut,
    responses=problems(401, 403, 404, 422),
)
def start_evaluation(
    request: Request, body: EvaluationRequest, principal: UserDep, services: ServicesDep
) -> JSONResponse:
    """提交评价任务（复核人员、管理员）：立即返回 202 与任务地址（Location），后台评价并入库。"""
    require_role(principal, ["reviewer", "admin"], "发起评价")
    job = services.jobs.submit(
        body.package_id,
        body.tenure_ids,
        body.indicator_system,
        principal.name,
        RunOptions(reports=body.reports, lead_sheets=body.lead_sheets),
    )
    record(
        services.settings,
        principal.name,
        "evaluation.submit",
        job.id,
        package_id=body.package_id,
        tenure_ids=body.tenure_ids,
    )
    out = job_out(request, job)
    location = f"/api/evaluations/{job.id}"
    return JSONResponse(
        out.model_dump(mode="json"), status_code=202, headers={"Location": location}
    )


@router.get("/evaluations", response_model=EvaluationList, responses=problems(401, 422))
def evaluations(
    request: Request,
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> EvaluationList:
    """评价：排队和进行中的任务在前，已完成的按时间从新到旧。"""
    page = list_evaluations(session, limit=limit, offset=offset)
    active = [job_out(request, j) for j in services.jobs.active()] if offset == 0 else []
    done = [evaluation_out(request, e, services.jobs.get(str(e.id))) for e in page.items]
    return EvaluationList(
        items=active + done, total=page.total + len(active), limit=limit, offset=offset
    )


@router.get(
    "/evaluations/{evaluation_id}", response_model=EvaluationOut, responses=problems(401, 404, 422)
)
def evaluation(
    request: Request,
    evaluation_id: EvalId,
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
) -> EvaluationOut:
    """评价任务的状态（queued 排队 / running 进行中 / done 完成 / failed 失败）与进度。

    完成后链接各任期评分卡。
    """
    job = services.jobs.get(str(evaluation_id))
    if job is not None and job.state != "done":
        return job_out(request, job)
    if job is not None:
        # the request's read transaction may predate the job's commit (the sign-in query
        # opened it): start a new one so the just-saved evaluation is visible
        session.commit()
    return evaluation_out(request, get_evaluation(session, evaluation_id), job)


@router.get(
    "/evaluations/{evaluation_id}/tenures/{tenure_id}/scorecard",
    response_model=dict[str, Any],
    responses=problems(401, 404, 422),
)
def scorecard(
    evaluation_id: EvalId, tenure_id: TenureId, principal: ReaderDep, session: SessionDep
) -> dict[str, Any]:
    """评分卡（scorecard.schema.json，gisaudit.scorecard/1）。"""
    return get_tenure_result(session, evaluation_id, tenure_id).scorecard


@router.get(
    "/tenures/{tenure_id}/scorecard",
    response_model=dict[str, Any],
    responses=problems(401, 404, 422),
    tags=["区与任期"],
)
def latest_scorecard(
    tenure_id: TenureId, principal: ReaderDep, session: SessionDep
) -> dict[str, Any]:
    """任期最近一次评价的评分卡。"""
    rows = latest_tenure_results(session, tenure_id=tenure_id)
    if not rows:
        raise NotFoundError(f"任期“{tenure_id}”还没有评价结果。请先发起评价。")
    return rows[0].scorecard


@router.get(
    "/evaluations/{evaluation_id}/tenures/{tenure_id}/transitions",
    response_model=list[TransitionCell],
    responses=problems(401, 404, 422),
)
def transitions(
    evaluation_id: EvalId, tenure_id: TenureId, principal: ReaderDep, session: SessionDep
) -> list[TransitionCell]:
    """地类转移矩阵（按地类分组，公顷，含对角线）。"""
    row = get_tenure_result(session, evaluation_id, tenure_id)
    return [
        TransitionCell(from_group=t.from_group, to_group=t.to_group, area_ha=t.area_ha)
        for t in row.transitions
    ]


def _output_file(services: Any, session: Any, eid: uuid.UUID, tid: str, name: str) -> FsPath:
    get_tenure_result(session, eid, tid)  # NotFoundError when there is no such result
    path = services.jobs.output_dir(str(eid)) / tid / name
    if not path.is_file():
        raise NotFoundError(
            f"评价“{eid}”没有生成任期“{tid}”的 {name}（可能未选择生成报告，或不是由本服务评价）。"
            "请重新发起评价并勾选生成报告。"
        )
    return path


@router.get(
    "/evaluations/{evaluation_id}/tenures/{tenure_id}/account",
    response_model=list[AccountRow],
    responses=problems(401, 404, 422),
)
def account(
    evaluation_id: EvalId,
    tenure_id: TenureId,
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
) -> list[AccountRow]:
    """自然资源资产实物量账户（期初、增加、减少、期末，公顷）。"""
    path = _output_file(services, session, evaluation_id, tenure_id, ACCOUNT_CSV)
    with path.open(encoding="utf-8") as fh:
        return [AccountRow(**row) for row in csv.DictReader(fh)]  # type: ignore[arg-type]


@router.get(
    "/evaluations/{evaluation_id}/tenures/{tenure_id}/{filename}",
    response_class=FileResponse,
    responses={
        **problems(401, 404, 422),
        200: {"content": {m.split(";")[0]: {} for m in FILES.values()}},
    },
)
def tenure_file(
    evaluation_id: EvalId,
    tenure_id: TenureId,
    filename: Annotated[str, Path(pattern=r"^(scorecard\.xlsx|report\.html|report\.pdf)$")],
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
) -> FileResponse:
    """评分表 scorecard.xlsx、评价报告 report.html 或 report.pdf。"""
    path = _output_file(services, session, evaluation_id, tenure_id, filename)
    download = f"{tenure_id}-{filename}"
    disposition = "inline" if filename.endswith(".html") else "attachment"
    return FileResponse(
        path, media_type=FILES[filename], filename=download, content_disposition_type=disposition
    )
