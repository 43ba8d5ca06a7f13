"""Health and version."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

import gisaudit
from api.deps import SessionDep
from api.routes import problems
from api.schemas import Health, Version

router = APIRouter(prefix="/api", tags=["服务状态"])
API_VERSION = "1"


@router.get("/health", response_model=Health, responses=problems(503))
def health(session: SessionDep) -> Health:
    """服务与数据库是否可用。"""
    session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")


@router.get("/version", response_model=Version, response_model_by_alias=True)
def version() -> Version:
    """软件与接口版本。"""
    return Version(gisaudit=gisaudit.__version__, api=API_VERSION, schema="gisaudit.scorecard/1")
