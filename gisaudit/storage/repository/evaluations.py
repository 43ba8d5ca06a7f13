"""Saving an evaluation (all of it in one transaction) and reading districts, tenures, results."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

import gisaudit
from gisaudit.errors import InputError, NotFoundError
from gisaudit.evaluation.result import TenureResult
from gisaudit.progress import ProgressFn
from gisaudit.storage.db import session_scope
from gisaudit.storage.models import (
    District,
    Evaluation,
    IndicatorResult,
    Tenure,
    TenureResultRow,
    TransitionRow,
)
from gisaudit.storage.repository._common import (
    SYSTEM_USER,
    Page,
    begin_write,
    plain,
    storage_errors,
    to_date,
    to_float,
)
from gisaudit.storage.repository.lead_sync import sync_leads
from gisaudit.storage.types import utcnow
from gisaudit.workflow import Workflow, default_workflow


@storage_errors
def save_evaluation(
    target: Session | Engine,
    package_name: str,
    fingerprints: Mapping[str, str],
    indicator_system_id: str,
    version: str,
    results: Sequence[TenureResult],
    *,
    parameters: Mapping[str, Any] | None = None,
    user: str = SYSTEM_USER,
    workflow: Workflow | None = None,
    progress: ProgressFn | None = None,
    evaluation_id: uuid.UUID | str | None = None,
) -> str:
    """Store one evaluation and return its id (a UUID string).

    Districts and tenures are upserted; the evaluation (``fingerprints``: input file -> sha256,
    ``version``: the indicator system's version), each tenure's result, indicator results,
    transitions and leads are stored. Leads are matched by their stable id: a re-run updates
    their figures and keeps state, notes and history; leads of a tenure that are not found
    again are marked ``present=False`` (never deleted); ``TenureResult.leads=None`` leaves that
    tenure's leads untouched. Given an Engine, everything happens in one committed transaction;
    given a Session, in the caller's transaction (the caller commits). ``evaluation_id`` fixes
    the new evaluation's id (e.g. the id of the job that computed it); default: a new UUID.
    """
    args = (package_name, fingerprints, indicator_system_id, version, results)
    options = {
        "parameters": parameters,
        "user": user,
        "workflow": workflow,
        "progress": progress,
        "evaluation_id": _as_uuid(evaluation_id) if evaluation_id is not None else uuid.uuid4(),
    }
    if isinstance(target, Engine):
        with session_scope(target) as session:
            return _save(session, *args, **options)
    return _save(target, *args, **options)


def _save(
    session: Session,
    package_name: str,
    fingerprints: Mapping[str, str],
    indicator_system_id: str,
    version: str,
    results: Sequence[TenureResult],
    *,
    parameters: Mapping[str, Any] | None,
    user: str,
    workflow: Workflow | None,
    progress: ProgressFn | None,
    evaluation_id: uuid.UUID,
) -> str:
    begin_write(session)
    now = utcnow()
    if session.get(Evaluation, evaluation_id) is not None:
        raise InputError(f"评价编号“{evaluation_id}”已存在，不能重复保存。")
    evaluation = Evaluation(
        id=evaluation_id,
        package_name=package_name,
        created_at=now,
        indicator_system_id=indicator_system_id,
        indicator_system_version=str(version),
        fingerprints=plain(dict(fingerprints)),
        gisaudit_version=gisaudit.__version__,
        parameters=plain(dict(parameters or {})),
    )
    session.add(evaluation)
    session.flush()
    seen: set[str] = set()
    for result in results:
        if result.tenure_id in seen:
            raise InputError(f"同一次评价中任期“{result.tenure_id}”出现了两次，请检查任期表。")
        seen.add(result.tenure_id)
        _upsert_district(session, result)
        _upsert_tenure(session, result)
        _add_tenure_result(session, evaluation, result)
        if result.leads is not None:
            sync_leads(
                session,
                result.leads,
                tenure_id=result.tenure_id,
                district_code=result.district_code,
                evaluation_id=evaluation.id,
                now=now,
                user=user,
                workflow=workflow or default_workflow(),
                progress=progress,
            )
    session.flush()
    return str(evaluation.id)


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise InputError(f"评价编号“{value}”格式不正确：应为 UUID。") from exc


def _district_geometry(result: TenureResult) -> shapely.Geometry | None:
    frame = result.district
    if frame is None or frame.empty:
        return None
    if frame.crs is None:
        raise InputError(
            f"区 {result.district_code} 的边界没有坐标系，无法保存。请为边界图层设置坐标系。"
        )
    geoms = gpd.GeoSeries(frame.geometry, crs=frame.crs).to_crs(4326)
    return shapely.union_all(geoms.values)


def _upsert_district(session: Session, result: TenureResult) -> None:
    card = result.scorecard.get("district", {})
    district = session.get(District, result.district_code) or District(code=result.district_code)
    district.name = str(card.get("name") or district.name or result.district_code)
    district.area_ha = to_float(card.get("area_ha"))
    geometry = _district_geometry(result)
    if geometry is not None:
        district.geometry = geometry
        district.minx, district.miny, district.maxx, district.maxy = (
            float(v) for v in geometry.bounds
        )
    session.add(district)
    session.flush()


def _upsert_tenure(session: Session, result: TenureResult) -> None:
    card = result.scorecard.get("tenure", {})
    tenure = session.get(Tenure, result.tenure_id) or Tenure(id=result.tenure_id)
    tenure.district_code = result.district_code
    tenure.official = str(card.get("official", ""))
    tenure.position = str(card.get("position", ""))
    start = to_date(card.get("start"))
    if start is None:
        raise InputError(f"任期“{result.tenure_id}”缺少开始日期，请检查任期表。")
    tenure.start = start
    tenure.end = to_date(card.get("end"))
    session.add(tenure)
    session.flush()


def _add_tenure_result(session: Session, evaluation: Evaluation, result: TenureResult) -> None:
    card = result.scorecard
    row = TenureResultRow(
        evaluation_id=evaluation.id,
        tenure_id=result.tenure_id,
        start_vintage=to_date(result.start_vintage),
        end_vintage=to_date(result.end_vintage),
        total_score=to_float(card.get("total_score")),
        grade=card.get("grade"),
        vetoes=plain(list(card.get("vetoes", []))),
        scorecard=plain(card),
        lead_count=None if result.leads is None else len(result.leads),
    )
    session.add(row)
    session.flush()
    session.add_all(
        IndicatorResult(
            tenure_result_id=row.id,
            indicator_id=str(item["id"]),
            name=str(item.get("name", item["id"])),
            unit=str(item.get("unit", "")),
            value=to_float(item.get("value")),
            start=to_float(item.get("start")),
            end=to_float(item.get("end")),
            target=to_float(item.get("target")),
            score=to_float(item.get("score")),
            weight=to_float(item.get("weight")) or 0.0,
            applicable=bool(item.get("applicable", False)),
            veto=bool(item.get("veto", False)),
            note=item.get("note") or None,
        )
        for item in card.get("indicators", [])
    )
    transitions = result.transitions
    if transitions is not None and not transitions.empty:
        cells = transitions[["from_group", "to_group", "area_ha"]].itertuples(index=False)
    else:
        cells = ((t["from"], t["to"], t["area_ha"]) for t in card.get("transitions", []))
    session.add_all(
        TransitionRow(tenure_result_id=row.id, from_group=str(f), to_group=str(t), area_ha=float(a))
        for f, t, a in cells
    )
    session.flush()


# -- reading --------------------------------------------------------------------------------


@storage_errors
def list_districts(session: Session) -> list[District]:
    """All districts, by code."""
    return list(session.scalars(select(District).order_by(District.code)))


@storage_errors
def get_district(session: Session, code: str) -> District:
    """One district, or NotFoundError."""
    district = session.get(District, code)
    if district is None:
        raise NotFoundError(f"未找到区“{code}”。请先评价包含该区的数据包。")
    return district


@storage_errors
def list_tenures(session: Session, district_code: str | None = None) -> list[Tenure]:
    """Tenures (optionally of one district), by district then start date."""
    query = select(Tenure).order_by(Tenure.district_code, Tenure.start, Tenure.id)
    if district_code is not None:
        query = query.where(Tenure.district_code == district_code)
    return list(session.scalars(query))


@storage_errors
def get_tenure(session: Session, tenure_id: str) -> Tenure:
    """One tenure, or NotFoundError."""
    tenure = session.get(Tenure, tenure_id)
    if tenure is None:
        raise NotFoundError(f"未找到任期“{tenure_id}”。")
    return tenure


@storage_errors
def list_evaluations(session: Session, *, limit: int = 50, offset: int = 0) -> Page[Evaluation]:
    """Evaluations, newest first."""
    total = session.scalar(select(func.count()).select_from(Evaluation)) or 0
    query = (
        select(Evaluation)
        .order_by(Evaluation.created_at.desc(), Evaluation.id)
        .limit(limit)
        .offset(offset)
    )
    return Page(list(session.scalars(query)), total, limit, offset)


@storage_errors
def get_evaluation(session: Session, evaluation_id: str | uuid.UUID) -> Evaluation:
    """One evaluation with its tenure results, or NotFoundError."""
    try:
        key = evaluation_id if isinstance(evaluation_id, uuid.UUID) else uuid.UUID(evaluation_id)
    except ValueError as exc:
        raise NotFoundError(f"评价编号“{evaluation_id}”格式不正确。") from exc
    query = (
        select(Evaluation)
        .where(Evaluation.id == key)
        .options(selectinload(Evaluation.tenure_results))
    )
    evaluation = session.scalars(query).one_or_none()
    if evaluation is None:
        raise NotFoundError(f"未找到评价“{evaluation_id}”。")
    return evaluation


@storage_errors
def latest_tenure_results(
    session: Session, *, district_code: str | None = None, tenure_id: str | None = None
) -> list[TenureResultRow]:
    """Each tenure's result from the newest evaluation that covered it (with indicators and
    transitions loaded), by district and tenure."""
    ranked = (
        select(
            TenureResultRow.id.label("id"),
            func.row_number()
            .over(
                partition_by=TenureResultRow.tenure_id,
                order_by=(Evaluation.created_at.desc(), TenureResultRow.id.desc()),
            )
            .label("rank"),
        )
        .join(Evaluation, Evaluation.id == TenureResultRow.evaluation_id)
        .subquery()
    )
    query = (
        select(TenureResultRow)
        .join(ranked, ranked.c.id == TenureResultRow.id)
        .join(Tenure, Tenure.id == TenureResultRow.tenure_id)
        .where(ranked.c.rank == 1)
        .options(
            selectinload(TenureResultRow.indicators),
            selectinload(TenureResultRow.transitions),
            selectinload(TenureResultRow.tenure),
        )
        .order_by(Tenure.district_code, Tenure.start, Tenure.id)
    )
    if district_code is not None:
        query = query.where(Tenure.district_code == district_code)
    if tenure_id is not None:
        query = query.where(TenureResultRow.tenure_id == tenure_id)
    return list(session.scalars(query))


@storage_errors
def get_tenure_result(
    session: Session, evaluation_id: str | uuid.UUID, tenure_id: str
) -> TenureResultRow:
    """One tenure's result within one evaluation (indicators, transitions and tenure loaded),
    or NotFoundError."""
    key = get_evaluation(session, evaluation_id).id
    query = (
        select(TenureResultRow)
        .where(TenureResultRow.evaluation_id == key, TenureResultRow.tenure_id == tenure_id)
        .options(
            selectinload(TenureResultRow.indicators),
            selectinload(TenureResultRow.transitions),
            selectinload(TenureResultRow.tenure),
        )
    )
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFoundError(f"评价“{evaluation_id}”中没有任期“{tenure_id}”的结果。")
    return row
