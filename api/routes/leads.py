"""Leads (疑点): filtered lists and GeoJSON, one lead with evidence, history and legal basis,
workflow changes with optimistic concurrency (ETag / If-Match), exports, rectification rates.

Auditors see only the leads of their districts: every query here is cut to them.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, status
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from api.auth import Principal, check_lead_visible, check_lead_work, scoped_districts
from api.deps import ReaderDep, ServicesDep, SessionDep, UserDep, WriteSessionDep
from api.query import etag, parse_bbox, parse_if_match
from api.routes import link, problems
from api.schemas import (
    EventOut,
    KnowledgeOut,
    LeadDetail,
    LeadOut,
    LeadPage,
    Link,
    NextState,
    NoteIn,
    Rate,
    StateChange,
)
from api.shape import GEOJSON, lead_feature, lead_properties, leads_frame
from gisaudit.errors import InputError, WorkflowError
from gisaudit.leads import default_knowledge_base, load_lead_rules
from gisaudit.leads.checklist import write_checklist
from gisaudit.leads.outputs import write_gpkg
from gisaudit.storage.models import Lead
from gisaudit.storage.repository import (
    Page,
    add_lead_note,
    change_lead_state,
    get_lead,
    list_districts,
    list_leads,
    list_tenures,
    rectification_rates,
)
from gisaudit.workflow import default_workflow

router = APIRouter(prefix="/api", tags=["疑点"])
LeadId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")]
Codes = Annotated[list[str] | None, Query(max_length=20)]
EXPORT_LIMIT = 100_000
EVIDENCE = ("before", "after")
LEAD_ERRORS = problems(401, 404, 422)


class LeadFilters:
    """The filters of a lead listing, from the query string."""

    def __init__(
        self,
        district_code: Annotated[
            list[str] | None, Query(max_length=20, description="区代码，可重复")
        ] = None,
        tenure_id: Codes = None,
        rule: Codes = None,
        severity: Annotated[
            list[Literal["critical", "high", "medium", "low"]] | None, Query(max_length=4)
        ] = None,
        state: Codes = None,
        bbox: Annotated[
            str | None, Query(max_length=200, description="最小经度,最小纬度,最大经度,最大纬度")
        ] = None,
        include_gone: Annotated[bool, Query(description="包括重新评价后未再发现的疑点")] = False,
    ) -> None:
        self.district_code = district_code
        self.tenure_id = tenure_id
        self.rule = rule
        self.severity = severity
        self.state = state
        self.bbox = bbox
        self.include_gone = include_gone

    def query(self, principal: Principal) -> dict[str, Any]:
        """Keyword arguments of ``list_leads``, cut to the user's districts."""
        flow = default_workflow()
        for value in self.state or []:
            try:
                flow.state(value)
            except WorkflowError as exc:
                raise InputError(f"筛选条件 state：{exc}") from exc
        return {
            "district_code": scoped_districts(principal, self.district_code),
            "tenure_id": self.tenure_id,
            "rule": self.rule,
            "severity": self.severity,
            "state": self.state,
            "bbox": parse_bbox(self.bbox),
            "present": None if self.include_gone else True,
        }

    def params(self) -> dict[str, Any]:
        return {
            "district_code": self.district_code,
            "tenure_id": self.tenure_id,
            "rule": self.rule,
            "severity": self.severity,
            "state": self.state,
            "bbox": self.bbox,
            "include_gone": "true" if self.include_gone else None,
        }


FiltersDep = Annotated[LeadFilters, Depends()]
Limit = Annotated[int, Query(ge=0, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def _page_links(request: Request, path: str, page: Page[Any], filters: LeadFilters) -> list[Link]:
    params = filters.params()
    links = [
        link(request, path, "self", None, None, **params, limit=page.limit, offset=page.offset)
    ]
    if page.offset + page.limit < page.total and page.limit:
        links.append(
            link(
                request,
                path,
                "next",
                None,
                None,
                **params,
                limit=page.limit,
                offset=page.offset + page.limit,
            )
        )
    if page.offset > 0:
        links.append(
            link(
                request,
                path,
                "prev",
                None,
                None,
                **params,
                limit=page.limit,
                offset=max(0, page.offset - page.limit),
            )
        )
    return links


@router.get("/leads", response_model=LeadPage, responses=LEAD_ERRORS)
def leads(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> LeadPage:
    """疑点列表：按区、任期、规则、严重程度、状态、范围筛选，分页（limit/offset，total 为总数）。"""
    page = list_leads(session, **filters.query(principal), limit=limit, offset=offset)
    return LeadPage(
        items=[LeadOut(**lead_properties(x)) for x in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
        links=_page_links(request, "/api/leads", page, filters),
    )


@router.get(
    "/leads.geojson",
    response_class=JSONResponse,
    responses={**LEAD_ERRORS, 200: {"content": {GEOJSON: {}}, "description": "GeoJSON"}},
)
def leads_geojson(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> JSONResponse:
    """疑点 GeoJSON（RFC 7946，经纬度；属性名同规范第 8 节）。"""
    page = list_leads(session, **filters.query(principal), limit=limit, offset=offset)
    body = {
        "type": "FeatureCollection",
        "features": [lead_feature(x) for x in page.items],
        "numberMatched": page.total,
        "numberReturned": len(page.items),
        "links": [
            x.model_dump(exclude_none=True)
            for x in _page_links(request, "/api/leads.geojson", page, filters)
        ],
    }
    return JSONResponse(body, media_type=GEOJSON)


def _evidence(request: Request, services: Any, lead: Lead) -> list[Link]:
    out = []
    folder = _lead_folder(services, lead)
    for kind in EVIDENCE:
        if folder is not None and (folder / f"{lead.id}_{kind}.png").is_file():
            title = "期初影像" if kind == "before" else "期末影像"
            out.append(
                link(
                    request,
                    f"/api/leads/{lead.id}/evidence/{kind}.png",
                    "evidence",
                    "image/png",
                    title,
                )
            )
    for suffix, mime in (("html", "text/html"), ("pdf", "application/pdf")):
        if folder is not None and (folder / f"{lead.id}.{suffix}").is_file():
            out.append(
                link(request, f"/api/leads/{lead.id}/sheet.{suffix}", "sheet", mime, "疑点核查单")
            )
    return out


def _lead_folder(services: Any, lead: Lead) -> FsPath | None:
    if lead.last_evaluation_id is None:
        return None
    return services.jobs.output_dir(str(lead.last_evaluation_id)) / lead.tenure_id / "leads"


def _detail(request: Request, services: Any, principal: Principal, lead: Lead) -> JSONResponse:
    flow = default_workflow()
    rules = {r.id: r for r in load_lead_rules()}
    key = rules[lead.rule].knowledge_key if lead.rule in rules else lead.rule
    entry = default_knowledge_base().entry(key)
    next_states = []
    for t in flow.transitions:
        if t.source.name != lead.state:
            continue
        try:
            check_lead_work(principal, lead.district_code, t.target.id)
            allowed = True
        except Exception:
            allowed = False
        next_states.append(
            NextState(
                id=t.target.id,
                name=t.target.name,
                action=t.action,
                requires=sorted(t.requires),
                allowed=allowed,
            )
        )
    props = lead_properties(lead)
    detail = LeadDetail(
        **props,
        geometry=lead_feature(lead)["geometry"],
        history=[EventOut.model_validate(e, from_attributes=True) for e in lead.events],
        knowledge=KnowledgeOut(
            key=key,
            title=entry.title,
            legal_basis=[b.model_dump() for b in entry.legal_basis],  # type: ignore[misc]
            audit_steps=list(entry.audit_steps),
        ),
        next_states=next_states,
        evidence=_evidence(request, services, lead),
    )
    return JSONResponse(detail.model_dump(mode="json"), headers={"ETag": etag(lead.version)})


@router.get("/leads/{lead_id}", response_model=LeadDetail, responses=LEAD_ERRORS)
def lead(
    request: Request,
    lead_id: LeadId,
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
) -> JSONResponse:
    """一个疑点：属性、几何、核查历史、法律依据与核查步骤、可进行的状态变更、影像证据。
    响应头 ETag 为疑点版本，修改时须放在 If-Match 中。"""
    found = get_lead(session, lead_id)
    check_lead_visible(principal, lead_id, found.district_code)
    return _detail(request, services, principal, found)


@router.get("/leads/{lead_id}/history", response_model=list[EventOut], responses=LEAD_ERRORS)
def history(lead_id: LeadId, principal: ReaderDep, session: SessionDep) -> list[EventOut]:
    """疑点的核查历史（只增不改）：谁、何时、从何状态到何状态、原因、整改期限、备注。"""
    found = get_lead(session, lead_id)
    check_lead_visible(principal, lead_id, found.district_code)
    return [EventOut.model_validate(e, from_attributes=True) for e in found.events]


@router.post(
    "/leads/{lead_id}/state",
    response_model=LeadDetail,
    responses=problems(401, 403, 404, 409, 412, 422, 428),
)
def change_state(
    request: Request,
    lead_id: LeadId,
    body: StateChange,
    principal: UserDep,
    services: ServicesDep,
    session: WriteSessionDep,
    if_match: Annotated[str | None, Header(max_length=64, description="疑点的 ETag")] = None,
) -> JSONResponse:
    """变更疑点状态（须带 If-Match）：过期的版本得到 412，缺少 If-Match 得到 428，均不做修改。
    审计人员只能处理所负责区的疑点，确认与排除需复核人员。"""
    found = get_lead(session, lead_id)
    check_lead_visible(principal, lead_id, found.district_code)
    target = default_workflow().state(body.to)
    check_lead_work(principal, found.district_code, target.id)
    version = parse_if_match(if_match)
    changed = change_lead_state(
        session,
        lead_id,
        target.name,
        user=principal.name,
        expected_version=found.version if version is None else version,
        reason=body.reason,
        deadline=body.deadline,
        note=body.note,
    )
    session.flush()
    session.expire_all()
    return _detail(request, services, principal, get_lead(session, changed.id))


@router.post(
    "/leads/{lead_id}/notes",
    response_model=EventOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 404, 422),
)
def add_note(
    lead_id: LeadId, body: NoteIn, principal: UserDep, session: WriteSessionDep
) -> EventOut:
    """为疑点添加备注（如实地核查情况），不改变状态。"""
    found = get_lead(session, lead_id)
    check_lead_visible(principal, lead_id, found.district_code)
    check_lead_work(principal, found.district_code, None)
    event = add_lead_note(session, lead_id, user=principal.name, note=body.note)
    return EventOut.model_validate(event, from_attributes=True)


def _lead_file(
    services: Any, session: Any, principal: Principal, lead_id: str, name: str
) -> FsPath:
    from gisaudit.errors import NotFoundError

    found = get_lead(session, lead_id)
    check_lead_visible(principal, lead_id, found.district_code)
    folder = _lead_folder(services, found)
    path = folder / name if folder is not None else None
    if path is None or not path.is_file():
        raise NotFoundError(f"疑点“{lead_id}”没有 {name}（数据包无影像，或评价时未生成核查单）。")
    return path


@router.get(
    "/leads/{lead_id}/evidence/{kind}.png",
    response_class=FileResponse,
    responses={**LEAD_ERRORS, 200: {"content": {"image/png": {}}}},
)
def evidence(
    lead_id: LeadId,
    kind: Literal["before", "after"],
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
) -> FileResponse:
    """影像证据：疑点在期初（before）或期末（after）影像上的截图。"""
    return FileResponse(
        _lead_file(services, session, principal, lead_id, f"{lead_id}_{kind}.png"),
        media_type="image/png",
    )


@router.get(
    "/leads/{lead_id}/sheet.{suffix}",
    response_class=FileResponse,
    responses={**LEAD_ERRORS, 200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def sheet(
    lead_id: LeadId,
    suffix: Literal["html", "pdf"],
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
) -> FileResponse:
    """疑点核查单（网页或 PDF）。"""
    path = _lead_file(services, session, principal, lead_id, f"{lead_id}.{suffix}")
    mime = "text/html; charset=utf-8" if suffix == "html" else "application/pdf"
    return FileResponse(path, media_type=mime)


def _export(
    session: Any, principal: Principal, filters: LeadFilters
) -> tuple[list[Lead], dict[str, str]]:
    page = list_leads(session, **filters.query(principal), limit=EXPORT_LIMIT, offset=0)
    names = {d.code: d.name for d in list_districts(session)}
    return page.items, names


def _temp_file(name: str) -> tuple[FsPath, BackgroundTask]:
    folder = FsPath(tempfile.mkdtemp(prefix="gisaudit-export-"))
    return folder / name, BackgroundTask(shutil.rmtree, folder, ignore_errors=True)


@router.get(
    "/exports/leads.gpkg",
    response_class=FileResponse,
    responses={**LEAD_ERRORS, 200: {"content": {"application/geopackage+sqlite3": {}}}},
)
def export_gpkg(
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
) -> FileResponse:
    """导出疑点 GeoPackage（图层 leads，EPSG:4527，含 QGIS 样式），筛选条件同疑点列表。"""
    items, _ = _export(session, principal, filters)
    path, cleanup = _temp_file("leads.gpkg")
    write_gpkg(leads_frame(items), path, "EPSG:4527", load_lead_rules())
    return FileResponse(
        path, media_type="application/geopackage+sqlite3", filename="疑点.gpkg", background=cleanup
    )


@router.get(
    "/exports/leads.xlsx",
    response_class=FileResponse,
    responses={
        **LEAD_ERRORS,
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
    },
)
def export_xlsx(
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
) -> FileResponse:
    """导出疑点问题清单 xlsx（实地核查用），筛选条件同疑点列表。"""
    items, names = _export(session, principal, filters)
    path, cleanup = _temp_file("checklist.xlsx")
    write_checklist(leads_frame(items), path, names)
    return FileResponse(
        path,
        filename="疑点问题清单.xlsx",
        background=cleanup,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.get("/rectification", response_model=list[Rate], responses=problems(401, 422))
def rectification(
    principal: ReaderDep,
    session: SessionDep,
    by: Annotated[Literal["district", "tenure"], Query()] = "district",
) -> list[Rate]:
    """整改率 = 已整改 / 已确认（按区或按任期）；审计人员只看到所负责区。"""
    rates = rectification_rates(session, by)
    scope = principal.lead_scope
    if scope is not None:
        keys = (
            set(scope)
            if by == "district"
            else {t.id for t in list_tenures(session) if t.district_code in scope}
        )
        rates = [r for r in rates if r.key in keys]
    return [
        Rate(key=r.key, confirmed=r.confirmed, rectified=r.rectified, rate_pct=r.rate_pct)
        for r in rates
    ]
