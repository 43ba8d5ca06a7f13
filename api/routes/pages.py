"""The web map's pages (HTML) and the little the pages need beyond the REST API.

Pages: ``/`` overview, ``/tenures/{id}``, ``/leads/{id}``, ``/login``; assets under
``/static/`` (Leaflet is vendored: no request ever leaves the server). Pages read the sign-in
token from the ``gisaudit_token`` cookie that the sign-in page sets beside its local copy;
the pages' scripts call the REST API with ``Authorization: Bearer``.

Small endpoints the REST API does not have: ``/map/api/tenures/{id}/layers/{name}.geojson``,
the map layers of a tenure (theme patches at start and end, changes, zones, coastline) that
``web.layers`` writes beside the tenure's other outputs.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path as FsPath
from typing import Annotated, Any
from urllib.parse import quote

import shapely
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.auth import ANONYMOUS, ROLE_NAMES, Principal, check_lead_work, token_subject
from api.deps import ServicesDep, SessionDep
from api.errors import AuthenticationError
from api.shape import lead_properties
from api.tenure_tiles import tenure_tiles, tiles_note
from gisaudit.errors import GisAuditError, NotFoundError
from gisaudit.storage.repository import (
    get_lead,
    get_tenure,
    get_user,
    latest_tenure_results,
    list_districts,
    list_leads,
    rectification_rates,
)
from gisaudit.workflow import default_workflow
from web import pages
from web.assets import STATIC_DIR, basemap_from_env
from web.layers import map_layer_path, read_map_index, unwritten_map_layers

router = APIRouter(include_in_schema=False)
COOKIE = "gisaudit_token"
OPEN_STATES = ("pending", "verifying", "confirmed", "rectifying")
GEOJSON = "application/geo+json"
TenureId = Annotated[str, Path(min_length=1, max_length=64)]
LeadId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")]
REPORT_FILES = (
    ("scorecard.xlsx", "评分表（xlsx）"),
    ("report.html", "评价报告（网页）"),
    ("report.pdf", "评价报告（PDF）"),
)


def page_principal(request: Request, services: ServicesDep, session: SessionDep) -> Principal:
    """The signed-in user from the cookie (or a Bearer header); anonymous when none or invalid."""
    token = request.cookies.get(COOKIE, "")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    if not token:
        return ANONYMOUS
    try:
        user = get_user(session, token_subject(token, services.secret))
    except (AuthenticationError, NotFoundError):
        return ANONYMOUS
    if not user.active:
        return ANONYMOUS
    return Principal(name=user.name, role=user.role, districts=tuple(user.district_codes))


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def _may_read(services: Any, principal: Principal) -> bool:
    return not principal.anonymous or bool(services.settings.anonymous_read)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _user_view(principal: Principal, names: dict[str, str] | None = None) -> dict[str, Any]:
    names = names or {}
    return {
        "name": principal.name,
        "anonymous": principal.anonymous,
        "role_name": ROLE_NAMES.get(principal.role, principal.role),
        "districts": [names.get(c, c) for c in principal.districts]
        if principal.role == "auditor"
        else [],
    }


def _error(status: int, heading: str, message: str, principal: Principal) -> HTMLResponse:
    return HTMLResponse(pages.error_page(heading, message, _user_view(principal)), status)


# -- assets -----------------------------------------------------------------------------------


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    """A file of the web map's assets (Leaflet, styles, scripts); nothing outside them."""
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError(f"没有静态文件“{path}”。")
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media, headers={"Cache-Control": "max-age=3600"})


# -- pages ------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login(next_url: Annotated[str, Query(alias="next", max_length=500)] = "/") -> HTMLResponse:
    """登录页。"""
    return HTMLResponse(pages.login_page(next_url))


@router.get("/", response_class=HTMLResponse, response_model=None)
def overview(
    request: Request, principal: PagePrincipal, services: ServicesDep, session: SessionDep
) -> Response:
    """总览：各区按等级（或任一指标得分）着色，最近一次评价的各任期。"""
    if not _may_read(services, principal):
        return _login_redirect(request)
    districts = list_districts(session)
    names = {d.code: d.name for d in districts}
    results = latest_tenure_results(session)
    rates = {r.key: r.rate_pct for r in rectification_rates(session, "tenure")}
    latest: dict[str, Any] = {}
    indicators: dict[str, str] = {}
    rows = []
    for row in results:
        t = row.tenure
        latest[t.district_code] = row  # ordered by start: the last one is the newest tenure
        for ind in row.indicators:
            indicators.setdefault(ind.indicator_id, ind.name)
        visible = not principal.anonymous and principal.sees_district(t.district_code)
        open_leads = (
            list_leads(session, tenure_id=t.id, state=list(OPEN_STATES), limit=0).total
            if visible
            else None
        )
        names_of = {i.indicator_id: i.name for i in row.indicators}
        rows.append(
            {
                "tenure_id": t.id,
                "district_name": names.get(t.district_code, t.district_code),
                "official": t.official,
                "position": t.position,
                "start": t.start.isoformat(),
                "end": t.end.isoformat() if t.end else None,
                "start_vintage": row.start_vintage.isoformat(),
                "end_vintage": row.end_vintage.isoformat(),
                "total_score": row.total_score,
                "grade": row.grade,
                "vetoes": [names_of.get(v, v) for v in row.vetoes or []],
                "open_leads": open_leads,
                "rectification_pct": rates.get(t.id) if visible else None,
                "url": f"/tenures/{t.id}",
            }
        )
    features = []
    for d in districts:
        if d.geometry is None:
            continue
        row = latest.get(d.code)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(shapely.simplify(d.geometry, 0.0005)),
                "properties": {
                    "code": d.code,
                    "name": d.name,
                    "grade": row.grade if row else None,
                    "total_score": row.total_score if row else None,
                    "url": f"/tenures/{row.tenure_id}" if row else None,
                    "scores": {i.indicator_id: i.score for i in row.indicators} if row else {},
                },
            }
        )
    html = pages.overview_page(
        {"type": "FeatureCollection", "features": features},
        rows,
        [{"id": k, "name": v} for k, v in indicators.items()],
        user=_user_view(principal, names),
        basemap=basemap_from_env(),
    )
    return HTMLResponse(html)


def tenure_folder(services: Any, evaluation_id: Any, tenure_id: str) -> FsPath:
    """Where an evaluation wrote a tenure's outputs."""
    return FsPath(services.jobs.output_dir(str(evaluation_id))) / tenure_id


@router.get("/tenures/{tenure_id}", response_class=HTMLResponse, response_model=None)
def tenure_view(
    request: Request,
    tenure_id: TenureId,
    principal: PagePrincipal,
    services: ServicesDep,
    session: SessionDep,
) -> Response:
    """一个任期：期初、期末对照地图，评分卡，转换图，资产账户，疑点，下载。"""
    if not _may_read(services, principal):
        return _login_redirect(request)
    try:
        tenure = get_tenure(session, tenure_id)
    except NotFoundError as exc:
        return _error(404, "未找到任期", str(exc), principal)
    rows = latest_tenure_results(session, tenure_id=tenure_id)
    if not rows:
        return _error(
            404, "该任期尚无评价结果", f"任期“{tenure_id}”还没有评价结果。请先评价。", principal
        )
    row = rows[0]
    names = {d.code: d.name for d in list_districts(session)}
    folder = tenure_folder(services, row.evaluation_id, tenure_id)
    index = read_map_index(folder)
    base = f"/map/api/tenures/{quote(tenure_id)}/layers"
    layers = {k: {**v, "url": f"{base}/{k}.geojson"} for k, v in index.items()}
    bounds = (index.get("district") or {}).get("bounds")
    visible = principal.sees_district(tenure.district_code)
    leads_page = (
        list_leads(session, tenure_id=tenure_id, limit=pages.LEAD_ROWS) if visible else None
    )
    leads = [lead_properties(x) for x in leads_page.items] if leads_page else []
    q = f"tenure_id={quote(tenure_id)}"
    downloads = [
        {
            "url": f"/api/evaluations/{row.evaluation_id}/tenures/{quote(tenure_id)}/{name}",
            "filename": f"{tenure_id}-{name}",
            "label": label,
        }
        for name, label in REPORT_FILES
        if (folder / name).is_file()
    ]
    if visible:
        downloads += [
            {
                "url": f"/api/exports/leads.gpkg?{q}",
                "filename": f"{tenure_id}-疑点.gpkg",
                "label": "疑点 GeoPackage",
            },
            {
                "url": f"/api/exports/leads.xlsx?{q}",
                "filename": f"{tenure_id}-疑点问题清单.xlsx",
                "label": "疑点问题清单（xlsx）",
            },
        ]
    tiles = tenure_tiles(
        services, row.evaluation, folder, tenure.district_code, tenure_id,
        (row.scorecard or {}).get("vintages") or {}, sees_changes=visible,
    )  # fmt: skip
    note = tiles_note(tiles, layers, unwritten_map_layers(folder))
    if not index:
        note = "该任期的评价没有生成地图图层（map/），部分图层无法显示。请重新评价。" + note
    html = pages.tenure_page(
        {
            "id": tenure.id,
            "district_name": names.get(tenure.district_code, tenure.district_code),
            "official": tenure.official,
            "position": tenure.position,
            "start": tenure.start.isoformat(),
            "end": tenure.end.isoformat() if tenure.end else None,
        },
        row.scorecard,
        [
            {"from_group": t.from_group, "to_group": t.to_group, "area_ha": t.area_ha}
            for t in row.transitions
        ],
        layers,
        leads=leads,
        leads_total=leads_page.total if leads_page else 0,
        leads_url=f"/api/leads.geojson?{q}&limit=1000" if visible else None,
        downloads=downloads,
        user=_user_view(principal, names),
        bounds=bounds,
        basemap=basemap_from_env(),
        map_note=note,
        tiles=tiles,
    )
    return HTMLResponse(html)


@router.get("/leads/{lead_id}", response_class=HTMLResponse, response_model=None)
def lead_view(
    request: Request,
    lead_id: LeadId,
    principal: PagePrincipal,
    services: ServicesDep,
    session: SessionDep,
) -> Response:
    """一个疑点：地图、影像、历史；可处理时显示状态变更表单。"""
    if not _may_read(services, principal):
        return _login_redirect(request)
    try:
        lead = get_lead(session, lead_id)
        if not principal.sees_district(lead.district_code):
            raise NotFoundError(f"未找到疑点“{lead_id}”。")
    except NotFoundError as exc:
        return _error(404, "未找到疑点", f"{exc} 该疑点不存在，或不属于您负责的区。", principal)
    flow = default_workflow()
    next_states, refusals = [], []
    for t in flow.transitions:
        if t.source.name != lead.state:
            continue
        try:
            check_lead_work(principal, lead.district_code, t.target.id)
            allowed = True
        except GisAuditError as exc:
            allowed = False
            refusals.append(str(exc))
        next_states.append(
            {
                "id": t.target.id,
                "name": t.target.name,
                "action": t.action,
                "requires": sorted(t.requires),
                "allowed": allowed,
            }
        )
    can_work = any(s["allowed"] for s in next_states)
    names = {d.code: d.name for d in list_districts(session)}
    geometry = shapely.geometry.mapping(lead.geometry) if lead.geometry is not None else None
    feature = {"type": "Feature", "geometry": geometry, "properties": lead_properties(lead)}
    events = [
        {
            "at": e.at,
            "user": e.user,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "reason": e.reason,
            "deadline": e.deadline,
            "note": e.note,
        }
        for e in lead.events
    ]
    html = pages.lead_page(
        feature,
        history=events,
        next_states=next_states,
        can_work=can_work,
        work_note=refusals[0] if refusals else "",
        reasons=list(flow.reasons),
        user=_user_view(principal, names),
        district_name=names.get(lead.district_code, ""),
        district_url=f"/map/api/tenures/{quote(lead.tenure_id)}/layers/district.geojson",
        basemap=basemap_from_env(),
    )
    return HTMLResponse(html)


# -- map layers -------------------------------------------------------------------------------


@router.get("/map/api/tenures/{tenure_id}/layers/{name}.geojson", response_class=FileResponse)
def tenure_layer(
    tenure_id: TenureId,
    name: Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")],
    principal: PagePrincipal,
    services: ServicesDep,
    session: SessionDep,
) -> FileResponse:
    """一个任期的地图图层（GeoJSON，经纬度）：district、start_/end_<专题>、changes、zone_<类型>。"""
    if not _may_read(services, principal):
        raise AuthenticationError("请先登录。")
    get_tenure(session, tenure_id)
    rows = latest_tenure_results(session, tenure_id=tenure_id)
    if not rows:
        raise NotFoundError(f"任期“{tenure_id}”还没有评价结果。")
    path = map_layer_path(tenure_folder(services, rows[0].evaluation_id, tenure_id), name)
    if path is None:
        raise NotFoundError(f"任期“{tenure_id}”没有地图图层“{name}”。请重新评价以生成地图图层。")
    return FileResponse(path, media_type=GEOJSON)
