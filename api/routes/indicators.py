"""Indicator systems (list, fetch, upload), lead rules, the knowledge base and the workflow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, UploadFile, status
from fastapi.responses import PlainTextResponse

from api.auditlog import record
from api.auth import require_role
from api.deps import ServicesDep, UserDep
from api.routes import link, problems
from api.schemas import IndicatorSystemSummary, KnowledgeOut
from gisaudit.errors import NotFoundError
from gisaudit.indicators import IndicatorSystem
from gisaudit.leads import default_knowledge_base, load_lead_rules
from gisaudit.workflow import default_workflow

router = APIRouter(prefix="/api", tags=["指标体系与知识库"])
SystemId = Annotated[str, Path(min_length=1, max_length=64)]


def summary(request: Request, system: IndicatorSystem, builtin: bool) -> IndicatorSystemSummary:
    base = f"/api/indicator-systems/{system.id}"
    return IndicatorSystemSummary(
        id=system.id,
        name=system.name,
        version=system.version,
        builtin=builtin,
        indicators=len(system.indicators),
        links=[
            link(request, base, "self", "application/json"),
            link(request, f"{base}/yaml", "alternate", "application/yaml", "YAML 原文"),
        ],
    )


@router.get("/indicator-systems", response_model=list[IndicatorSystemSummary])
def systems(request: Request, services: ServicesDep) -> list[IndicatorSystemSummary]:
    """评价指标体系：内置的 tianjin-2025 与上传的自定义体系。"""
    return [summary(request, s, b) for s, b in services.systems.list()]


@router.get(
    "/indicator-systems/{system_id}", response_model=dict[str, Any], responses=problems(404)
)
def system(system_id: SystemId, services: ServicesDep) -> dict[str, Any]:
    """一个指标体系的全部内容（指标、公式、评分、权重、一票否决、等级）。"""
    return services.systems.get(system_id).model_dump(mode="json", by_alias=True)


@router.get(
    "/indicator-systems/{system_id}/yaml",
    response_class=PlainTextResponse,
    responses={**problems(404), 200: {"content": {"application/yaml": {}}}},
)
def system_yaml(system_id: SystemId, services: ServicesDep) -> PlainTextResponse:
    """指标体系的 YAML 原文（复制后修改再上传）。"""
    return PlainTextResponse(services.systems.text(system_id), media_type="application/yaml")


@router.post(
    "/indicator-systems",
    response_model=IndicatorSystemSummary,
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 422),
)
async def upload_system(
    request: Request,
    file: Annotated[UploadFile, File(description="指标体系 YAML 文件")],
    principal: UserDep,
    services: ServicesDep,
) -> IndicatorSystemSummary:
    """上传自定义指标体系（管理员）：先按指标体系规则完整校验，错误指明行号与字段。"""
    require_role(principal, ["admin"], "上传指标体系")
    data = await file.read()
    system = services.systems.add(data, file.filename or "指标体系.yaml")
    record(
        services.settings,
        principal.name,
        "indicator_system.upload",
        system.id,
        version=system.version,
    )
    return summary(request, system, False)


@router.get("/lead-rules", response_model=list[dict[str, Any]])
def lead_rules() -> list[dict[str, Any]]:
    """疑点规则（spec §8）：来源专题、去向专题、区域、最小面积、严重程度。"""
    return [r.model_dump(mode="json", by_alias=True) for r in load_lead_rules()]


def knowledge_out(key: str) -> KnowledgeOut:
    entry = default_knowledge_base().entry(key)
    return KnowledgeOut(
        key=key,
        title=entry.title,
        legal_basis=[b.model_dump() for b in entry.legal_basis],
        audit_steps=list(entry.audit_steps),
    )  # type: ignore[misc]


@router.get("/knowledge-base", response_model=list[KnowledgeOut])
def knowledge_base() -> list[KnowledgeOut]:
    """审计知识库：每条疑点规则的法律依据与核查步骤。"""
    return [knowledge_out(k) for k in default_knowledge_base().entries]


@router.get("/knowledge-base/{key}", response_model=KnowledgeOut, responses=problems(404))
def knowledge_entry(key: Annotated[str, Path(max_length=64)]) -> KnowledgeOut:
    """知识库中的一条。"""
    if key not in default_knowledge_base().entries:
        raise NotFoundError(f"知识库中没有“{key}”。可用条目见 GET /api/knowledge-base。")
    return knowledge_out(key)


@router.get("/workflow", response_model=dict[str, Any])
def workflow() -> dict[str, Any]:
    """疑点核查与整改流程：状态、允许的变更及其必填项、常用排除原因。"""
    flow = default_workflow()
    return {
        "version": flow.version,
        "initial": flow.initial.id,
        "states": [{"id": s.id, "name": s.name} for s in flow.states],
        "transitions": [
            {
                "from": t.source.id,
                "to": t.target.id,
                "action": t.action,
                "requires": sorted(t.requires),
            }
            for t in flow.transitions
        ],
        "reasons": list(flow.reasons),
    }
