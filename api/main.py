"""The composition root: ``create_app(settings)`` builds the whole API (no module-level app).

Run: ``uvicorn --factory api.main:create_app`` or ``gisaudit serve``. On start the database
schema is brought up to date (``upgrade_database``).
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

import gisaudit
from api.auth import load_secret_key
from api.deps import Services
from api.errors import add_exception_handlers
from api.jobs import JobManager
from api.limits import BodyLimitMiddleware
from api.openapi import install_openapi
from api.packages import PackageStore
from api.routes import (
    districts,
    evaluations,
    health,
    indicators,
    leads,
    ogc,
    packages,
    pages,
    tiles,
    users,
)
from api.settings import MB, Settings
from api.systems import SystemStore
from gisaudit.storage import make_engine, upgrade_database

DESCRIPTION = """\
天津市领导干部自然资源资产离任（任中）审计 GIS 平台的接口：数据包、任期评价、评分卡、
疑点核查与整改、OGC API - Features（`/ogc`）和矢量瓦片（`/tiles`）。

登录：`POST /api/token`（用户名、密码）取得令牌，之后以 `Authorization: Bearer <令牌>` 访问；
QGIS / ArcGIS Pro 可直接用 HTTP Basic（用户名和密码）。未登录时只能查看区县、任期、概览、
指标体系、疑点规则和知识库（设置 `GISAUDIT_ANONYMOUS_READ=1` 时可匿名查看全部）。
错误以 `application/problem+json`（RFC 7807）返回，`detail` 说明原因和处理办法。
"""
UPLOAD_PREFIXES = ("/api/packages", "/api/indicator-systems")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    private = tuple(dict.fromkeys([str(data_dir.resolve()), str(data_dir), tempfile.gettempdir()]))
    package_store = PackageStore(settings)
    system_store = SystemStore(data_dir)
    jobs = JobManager(
        data_dir,
        engine,
        package_store,
        system_store,
        workers=settings.evaluation_workers,
        private_paths=private,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()
        engine.dispose()

    app = FastAPI(
        title="gisaudit 自然资源资产离任审计 API",
        version=gisaudit.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.services = Services(
        settings=settings,
        engine=engine,
        secret=load_secret_key(settings),
        packages=package_store,
        systems=system_store,
        jobs=jobs,
    )
    app.state.private_paths = private
    add_exception_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_upload_bytes + MB, prefixes=UPLOAD_PREFIXES
    )
    for module in (health, users, districts, packages, indicators, evaluations, leads, ogc, tiles):
        app.include_router(module.router)
    app.include_router(pages.router)
    install_openapi(app)
    return app
