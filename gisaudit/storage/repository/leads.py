"""Leads: listing with filters, one lead with its history, workflow changes, rectification rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, selectinload

from gisaudit.errors import InputError, NotFoundError, StaleUpdateError
from gisaudit.storage.models import Lead, LeadEvent
from gisaudit.storage.repository._common import Page, as_list, begin_write, storage_errors
from gisaudit.storage.types import SRID, utcnow
from gisaudit.workflow import Workflow, default_workflow

SEVERITY_ORDER = ("critical", "high", "medium", "low")
BBox = tuple[float, float, float, float]  # minx, miny, maxx, maxy in degrees (EPSG:4326)


def _bbox_filter(session: Session, bbox: BBox) -> ColumnElement[bool]:
    """Leads whose bounding box intersects ``bbox``, exactly, on both databases.

    The bbox columns decide; on PostGIS the GiST ``&&`` (float4 boxes, about 1 m coarse) is
    added in front so the spatial index narrows the search first.
    """
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if minx > maxx or miny > maxy:
        raise InputError(f"范围 {bbox} 不正确：应为 最小经度,最小纬度,最大经度,最大纬度。")
    exact = and_(Lead.minx <= maxx, Lead.maxx >= minx, Lead.miny <= maxy, Lead.maxy >= miny)
    if session.get_bind().dialect.name == "postgresql":
        envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID)
        return and_(Lead.geometry.op("&&")(envelope), exact)
    return exact


@storage_errors
def list_leads(
    session: Session,
    *,
    district_code: str | Sequence[str] | None = None,
    tenure_id: str | Sequence[str] | None = None,
    rule: str | Sequence[str] | None = None,
    severity: str | Sequence[str] | None = None,
    state: str | Sequence[str] | None = None,
    bbox: BBox | None = None,
    present: bool | None = True,
    limit: int = 100,
    offset: int = 0,
    workflow: Workflow | None = None,
    changed_from: date | None = None,
    changed_to: date | None = None,
) -> Page[Lead]:
    """Leads matching every given filter (a filter may list several values), most severe and
    largest first. ``state`` takes Chinese names or English ids; ``present=None`` includes leads
    no longer found by the latest evaluation; ``bbox`` is (minx, miny, maxx, maxy) in degrees;
    ``changed_from`` / ``changed_to`` bound ``change_vintage`` (inclusive)."""
    flow = workflow or default_workflow()
    conditions: list[ColumnElement[bool]] = []
    for column, values in (
        (Lead.district_code, as_list(district_code)),
        (Lead.tenure_id, as_list(tenure_id)),
        (Lead.rule, as_list(rule)),
        (Lead.severity, as_list(severity)),
        (Lead.state, [flow.state(s).name for s in as_list(state) or []] if state else None),
    ):
        if values is not None:
            conditions.append(column.in_(values))
    if present is not None:
        conditions.append(Lead.present.is_(present))
    if bbox is not None:
        conditions.append(_bbox_filter(session, bbox))
    if changed_from is not None:
        conditions.append(Lead.change_vintage >= changed_from)
    if changed_to is not None:
        conditions.append(Lead.change_vintage <= changed_to)
    if limit < 0 or offset < 0:
        raise InputError("分页参数 limit 和 offset 不能为负数。")
    total = session.scalar(select(func.count()).select_from(Lead).where(*conditions)) or 0
    rank = case({s: i for i, s in enumerate(SEVERITY_ORDER)}, value=Lead.severity, else_=99)
    query = (
        select(Lead)
        .where(*conditions)
        .order_by(
            rank, Lead.area_m2.desc().nulls_last(), Lead.length_m.desc().nulls_last(), Lead.id
        )
        .limit(limit)
        .offset(offset)
    )
    return Page(list(session.scalars(query)), total, limit, offset)


@storage_errors
def get_lead(session: Session, lead_id: str) -> Lead:
    """One lead with its history (``lead.events``, oldest first), or NotFoundError."""
    query = select(Lead).where(Lead.id == lead_id).options(selectinload(Lead.events))
    lead = session.scalars(query).one_or_none()
    if lead is None:
        raise NotFoundError(f"未找到疑点“{lead_id}”。")
    return lead


@storage_errors
def lead_history(session: Session, lead_id: str) -> list[LeadEvent]:
    """The lead's history, oldest first."""
    query = select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
    return list(session.scalars(query))


SQLITE_BUSY_SNAPSHOT = 517  # our read snapshot is older than another writer's commit


def _locked_lead(session: Session, lead_id: str) -> Lead:
    """Read the lead for writing: locked, and current (never from an old snapshot).

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite has no row locks: a no-op UPDATE first takes the
    database write lock, and fails at once if this transaction's snapshot is already stale.
    """
    if session.get_bind().dialect.name == "sqlite":
        try:
            session.execute(
                update(Lead)
                .where(Lead.id == lead_id)
                .values(version=Lead.version)
                .execution_options(synchronize_session=False)
            )
        except OperationalError as exc:
            if getattr(exc.orig, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT:
                raise _stale(lead_id, None, None) from exc
            raise
    query = (
        select(Lead)
        .where(Lead.id == lead_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    lead = session.scalars(query).one_or_none()
    if lead is None:
        raise NotFoundError(f"未找到疑点“{lead_id}”。")
    return lead


def _require_user(user: str) -> str:
    if not user or not user.strip():
        raise InputError("必须记录操作人：请提供用户名。")
    return user.strip()


@storage_errors
def change_lead_state(
    session: Session,
    lead_id: str,
    to_state: str,
    *,
    user: str,
    expected_version: int,
    reason: str | None = None,
    deadline: date | None = None,
    note: str | None = None,
    workflow: Workflow | None = None,
) -> Lead:
    """Move a lead to ``to_state`` through the workflow and append the change to its history.

    ``expected_version`` is the version the user saw; if the lead changed since, raises
    StaleUpdateError and changes nothing. A refused transition raises WorkflowError. The caller
    commits the session.
    """
    user = _require_user(user)
    begin_write(session)
    lead = _locked_lead(session, lead_id)
    if lead.version != expected_version:
        raise _stale(lead_id, lead.version, expected_version)
    transition = (workflow or default_workflow()).check(
        lead.state, to_state, reason=reason, deadline=deadline
    )
    now = utcnow()
    values: dict[str, object] = {
        "state": transition.target.name,
        "version": expected_version + 1,
        "updated_at": now,
    }
    if reason:
        values["reason"] = reason.strip()
    if deadline is not None:
        values["deadline"] = deadline
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.version == expected_version)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # changed between our read and write
        session.expire(lead)
        raise _stale(lead_id, None, expected_version)
    session.add(
        LeadEvent(
            lead_id=lead_id,
            at=now,
            user=user,
            from_state=transition.source.name,
            to_state=transition.target.name,
            reason=reason.strip() if reason else None,
            deadline=deadline,
            note=note,
        )
    )
    session.flush()
    return lead


def _stale(lead_id: str, current: int | None, expected: int | None) -> StaleUpdateError:
    now = f"（当前版本 {current}，您看到的是版本 {expected}）" if current is not None else ""
    return StaleUpdateError(f"疑点“{lead_id}”已被他人修改{now}。请刷新后重新操作，您的修改未保存。")


@storage_errors
def add_lead_note(session: Session, lead_id: str, *, user: str, note: str) -> LeadEvent:
    """Append a note to a lead's history without changing its state (e.g. a field-check note)."""
    user = _require_user(user)
    if not note or not note.strip():
        raise InputError("备注不能为空。")
    begin_write(session)
    lead = _locked_lead(session, lead_id)
    event = LeadEvent(
        lead_id=lead_id,
        at=utcnow(),
        user=user,
        from_state=lead.state,
        to_state=lead.state,
        note=note.strip(),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class RectificationRate:
    """Rectified / confirmed for one district or tenure; ``rate_pct`` is None with none confirmed.

    "Confirmed" counts every lead ever confirmed (已确认, 整改中, 已整改), including leads a
    later evaluation no longer finds (rectification often makes a lead disappear).
    """

    key: str
    confirmed: int
    rectified: int

    @property
    def rate_pct(self) -> float | None:
        return 100.0 * self.rectified / self.confirmed if self.confirmed else None


@storage_errors
def rectification_rates(
    session: Session,
    by: Literal["district", "tenure"] = "district",
    *,
    district_code: str | None = None,
    tenure_id: str | None = None,
    workflow: Workflow | None = None,
) -> list[RectificationRate]:
    """Rectification rate per district (``by="district"``) or per tenure, by key."""
    flow = workflow or default_workflow()
    column = {"district": Lead.district_code, "tenure": Lead.tenure_id}.get(by)
    if column is None:
        raise InputError(f"整改率只能按区（district）或任期（tenure）统计，不支持“{by}”。")
    confirmed = func.sum(cast(Lead.state.in_(sorted(flow.confirmed_names)), Integer))
    rectified = func.sum(cast(Lead.state.in_(sorted(flow.rectified_names)), Integer))
    query = select(column, confirmed, rectified).group_by(column).order_by(column)
    if district_code is not None:
        query = query.where(Lead.district_code == district_code)
    if tenure_id is not None:
        query = query.where(Lead.tenure_id == tenure_id)
    return [RectificationRate(k, int(c or 0), int(r or 0)) for k, c, r in session.execute(query)]


@storage_errors
def lead_counts(
    session: Session,
    *,
    district_code: str | Sequence[str] | None = None,
    present: bool | None = True,
) -> dict[str, dict[str, int]]:
    """Number of leads per district and severity: ``{district_code: {severity: n}}``."""
    query = select(Lead.district_code, Lead.severity, func.count()).group_by(
        Lead.district_code, Lead.severity
    )
    codes = as_list(district_code)
    if codes is not None:
        query = query.where(Lead.district_code.in_(codes))
    if present is not None:
        query = query.where(Lead.present.is_(present))
    out: dict[str, dict[str, int]] = {}
    for code, severity, count in session.execute(query):
        out.setdefault(code, {})[severity] = int(count)
    return out
