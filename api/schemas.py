"""Request and response models of the API (the OpenAPI schema is built from these)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["viewer", "auditor", "reviewer", "admin"]
DistrictCode = str


class Problem(BaseModel):
    """RFC 7807 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    problems: list[dict[str, str]] | None = None
    errors: list[dict[str, str]] | None = None


class Link(BaseModel):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class Version(BaseModel):
    gisaudit: str
    api: str
    schema_: str = Field(alias="schema")

    model_config = ConfigDict(populate_by_name=True)


# -- users ------------------------------------------------------------------------------------


class UserOut(BaseModel):
    name: str
    role: Role
    role_name: str
    districts: list[str]
    active: bool = True


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: UserOut


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: Role
    districts: list[str] = Field(default_factory=list, max_length=10)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    districts: list[str] | None = Field(default=None, max_length=10)
    password: str | None = Field(default=None, min_length=1, max_length=256)


# -- districts, tenures, overview -----------------------------------------------------------


class DistrictOut(BaseModel):
    code: str
    name: str
    area_ha: float | None
    bbox: list[float] | None


class TenureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    district_code: str = Field(pattern=r"^[0-9]{6}$")
    official: str = Field(min_length=1, max_length=64)
    position: str = Field(min_length=1, max_length=64)
    start: date
    end: date | None = None


class TenureCreate(TenureIn):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[^\\/:*?\"<>|\x00-\x1f]+$")


class TenureOut(BaseModel):
    id: str
    district_code: str
    official: str
    position: str
    start: date
    end: date | None


class TenureScore(BaseModel):
    tenure_id: str
    official: str
    position: str
    start: date
    end: date | None
    evaluation_id: str
    total_score: float | None
    grade: str | None
    vetoes: list[str]


class Rate(BaseModel):
    key: str
    confirmed: int
    rectified: int
    rate_pct: float | None


class DistrictOverview(BaseModel):
    code: str
    name: str
    area_ha: float | None
    tenures: list[TenureScore]
    leads_by_severity: dict[str, int] | None
    rectification: Rate | None


# -- packages and indicator systems ---------------------------------------------------------


class PackageProblem(BaseModel):
    file: str
    layer: str
    feature: str
    message: str
    action: str


class PackageOut(BaseModel):
    id: str
    name: str
    source: Literal["upload", "folder"]
    created_at: str
    created_by: str
    crs: str
    vintages: list[str]
    zones: list[str]
    districts: list[dict[str, str]]
    tenures: list[dict[str, Any]]
    bbox: list[float]
    repaired: int
    notes: list[str]
    links: list[Link] = Field(default_factory=list)


class ValidationOut(BaseModel):
    ok: bool
    problems: list[PackageProblem]
    repaired: int
    notes: list[str]
    summary: list[dict[str, Any]]
    text: str


class PackageCreated(BaseModel):
    package: PackageOut
    validation: ValidationOut


class FolderRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=4096, description="服务器上数据包文件夹的绝对路径")


class IndicatorSystemSummary(BaseModel):
    id: str
    name: str
    version: str
    builtin: bool
    indicators: int
    links: list[Link]


# -- evaluations ------------------------------------------------------------------------------


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package_id: str = Field(min_length=1, max_length=64)
    tenure_ids: list[str] | None = Field(default=None, description="不填：评价全部任期")
    indicator_system: str | None = Field(default=None, description="不填：数据包指定的指标体系")
    reports: bool = Field(default=True, description="生成评分表 xlsx 与可打印报告（较慢）")
    lead_sheets: bool = Field(default=True, description="生成疑点核查单与影像对比图")


class Progress(BaseModel):
    message: str
    done: int
    total: int


class TenureResultOut(BaseModel):
    tenure_id: str
    district_code: str | None
    start_vintage: date
    end_vintage: date
    total_score: float | None
    grade: str | None
    vetoes: list[str]
    lead_count: int | None
    links: list[Link]


class EvaluationOut(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    package_id: str | None = None
    package_name: str | None = None
    indicator_system_id: str | None = None
    indicator_system_version: str | None = None
    user: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    progress: Progress | None = None
    error: dict[str, str] | None = None
    tenures: list[TenureResultOut] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class EvaluationList(BaseModel):
    items: list[EvaluationOut]
    total: int
    limit: int
    offset: int


class TransitionCell(BaseModel):
    from_group: str
    to_group: str
    area_ha: float


class AccountRow(BaseModel):
    theme: str
    name: str
    opening_ha: float
    additions_ha: float
    reductions_ha: float
    closing_ha: float


# -- leads ------------------------------------------------------------------------------------


class LeadOut(BaseModel):
    """A lead with the spec §8 property names, plus its workflow fields."""

    id: str
    rule: str
    name: str
    severity: str
    district_code: str
    tenure_id: str
    area_m2: float | None
    area_ha: float | None
    area_mu: float | None
    length_m: float | None
    from_codes: dict[str, float]
    to_codes: dict[str, float]
    change_vintage: date | None
    lon: float | None
    lat: float | None
    legal_basis: Any
    state: str
    state_id: str
    version: int
    present: bool
    reason: str | None
    deadline: date | None


class LeadPage(BaseModel):
    items: list[LeadOut]
    total: int
    limit: int
    offset: int
    links: list[Link]


class EventOut(BaseModel):
    id: int
    at: datetime
    user: str
    from_state: str | None
    to_state: str
    reason: str | None
    deadline: date | None
    note: str | None


class NextState(BaseModel):
    id: str
    name: str
    action: str
    requires: list[str]
    allowed: bool


class LegalBasisOut(BaseModel):
    law: str
    article: str
    text: str
    summary: bool


class KnowledgeOut(BaseModel):
    key: str
    title: str
    legal_basis: list[LegalBasisOut]
    audit_steps: list[str]


class LeadDetail(LeadOut):
    geometry: dict[str, Any] | None
    history: list[EventOut]
    knowledge: KnowledgeOut
    next_states: list[NextState]
    evidence: list[Link]


class StateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=32, description="目标状态：中文名或英文 id")
    reason: str | None = Field(default=None, max_length=2000)
    deadline: date | None = None
    note: str | None = Field(default=None, max_length=4000)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=4000)
