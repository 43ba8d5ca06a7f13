"""Districts, tenures and the overview (readable without signing in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.auditlog import record
from api.auth import require_role
from api.deps import PrincipalDep, ServicesDep, SessionDep, UserDep, WriteSessionDep
from api.routes import problems
from api.schemas import (
    DistrictOut,
    DistrictOverview,
    Rate,
    TenureCreate,
    TenureIn,
    TenureOut,
    TenureScore,
)
from api.shape import district_bbox
from gisaudit.storage.models import District, Tenure
from gisaudit.storage.repository import (
    create_tenure,
    get_district,
    get_tenure,
    latest_tenure_results,
    lead_counts,
    list_districts,
    list_tenures,
    rectification_rates,
    update_tenure,
)

router = APIRouter(prefix="/api", tags=["区与任期"])
Code = Annotated[str, Path(pattern=r"^[0-9]{6}$", description="6 位区县代码")]
TenureId = Annotated[str, Path(min_length=1, max_length=64)]


def district_out(d: District) -> DistrictOut:
    return DistrictOut(code=d.code, name=d.name, area_ha=d.area_ha, bbox=district_bbox(d))


def tenure_out(t: Tenure) -> TenureOut:
    return TenureOut(
        id=t.id,
        district_code=t.district_code,
        official=t.official,
        position=t.position,
        start=t.start,
        end=t.end,
    )


@router.get("/districts", response_model=list[DistrictOut])
def districts(session: SessionDep) -> list[DistrictOut]:
    """全部区（已评价或已登记任期的区）。"""
    return [district_out(d) for d in list_districts(session)]


@router.get("/districts/{code}", response_model=DistrictOut, responses=problems(404, 422))
def district(code: Code, session: SessionDep) -> DistrictOut:
    """一个区。"""
    return district_out(get_district(session, code))


@router.get("/overview", response_model=list[DistrictOverview])
def overview(session: SessionDep, principal: PrincipalDep) -> list[DistrictOverview]:
    """各区概览：各任期最新评分与等级；登录后另有疑点数量与整改率（审计人员只含所负责的区）。"""
    results: dict[str, list[TenureScore]] = {}
    for row in latest_tenure_results(session):
        t = row.tenure
        results.setdefault(t.district_code, []).append(
            TenureScore(
                tenure_id=t.id,
                official=t.official,
                position=t.position,
                start=t.start,
                end=t.end,
                evaluation_id=str(row.evaluation_id),
                total_score=row.total_score,
                grade=row.grade,
                vetoes=list(row.vetoes or []),
            )
        )
    signed_in = not principal.anonymous
    scope = principal.lead_scope
    counts = lead_counts(session, district_code=scope) if signed_in else {}
    rates = {r.key: r for r in rectification_rates(session)} if signed_in else {}
    out = []
    for d in list_districts(session):
        visible = signed_in and principal.sees_district(d.code)
        rate = rates.get(d.code) if visible else None
        out.append(
            DistrictOverview(
                code=d.code,
                name=d.name,
                area_ha=d.area_ha,
                tenures=results.get(d.code, []),
                leads_by_severity=counts.get(d.code, {}) if visible else None,
                rectification=Rate(
                    key=rate.key,
                    confirmed=rate.confirmed,
                    rectified=rate.rectified,
                    rate_pct=rate.rate_pct,
                )
                if rate
                else None,
            )
        )
    return out


@router.get("/tenures", response_model=list[TenureOut], responses=problems(422))
def tenures(
    session: SessionDep,
    district_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
) -> list[TenureOut]:
    """任期（可按区筛选）。"""
    return [tenure_out(t) for t in list_tenures(session, district_code)]


@router.get("/tenures/{tenure_id}", response_model=TenureOut, responses=problems(404, 422))
def tenure(tenure_id: TenureId, session: SessionDep) -> TenureOut:
    """一个任期。"""
    return tenure_out(get_tenure(session, tenure_id))


@router.post(
    "/tenures",
    response_model=TenureOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 422),
)
def add_tenure(
    body: TenureCreate, principal: UserDep, services: ServicesDep, session: WriteSessionDep
) -> TenureOut:
    """登记任期（管理员）：结束日期不得早于开始日期，区须为天津市涉农区。"""
    require_role(principal, ["admin"], "登记任期")
    t = create_tenure(
        session, body.id, body.district_code, body.official, body.position, body.start, body.end
    )
    record(
        services.settings, principal.name, "tenure.create", body.id, **body.model_dump(mode="json")
    )
    return tenure_out(t)


@router.put(
    "/tenures/{tenure_id}", response_model=TenureOut, responses=problems(401, 403, 404, 422)
)
def change_tenure(
    tenure_id: TenureId,
    body: TenureIn,
    principal: UserDep,
    services: ServicesDep,
    session: WriteSessionDep,
) -> TenureOut:
    """修改任期（管理员）。"""
    require_role(principal, ["admin"], "修改任期")
    t = update_tenure(session, tenure_id, **body.model_dump())
    record(
        services.settings,
        principal.name,
        "tenure.update",
        tenure_id,
        **body.model_dump(mode="json"),
    )
    return tenure_out(t)
