"""Dependencies shared by the routes: the app's services, a database session, the user."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import ANONYMOUS, Principal, require_signed_in, token_subject
from api.errors import AuthenticationError
from api.settings import Settings
from gisaudit.errors import NotFoundError
from gisaudit.storage import session_scope
from gisaudit.storage.repository import authenticate_user, get_user

if TYPE_CHECKING:
    from api.jobs import JobManager
    from api.packages import PackageStore
    from api.systems import SystemStore


@dataclass
class Services:
    """Everything one app instance owns (built by ``create_app``)."""

    settings: Settings
    engine: Engine
    secret: str
    packages: PackageStore
    systems: SystemStore
    jobs: JobManager


def get_services(request: Request) -> Services:
    """The app's services."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """One transaction per request, committed before the answer is sent."""
    with session_scope(services.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class Utf8Basic(HTTPBasic):
    """HTTP Basic with UTF-8 user names and passwords (RFC 7617 ``charset="UTF-8"``)."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, _, param = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            text = base64.b64decode(param.strip(), validate=True).decode("utf-8")
        except (ValueError, binascii.Error) as exc:
            raise AuthenticationError("HTTP Basic 登录信息格式不正确。") from exc
        name, sep, password = text.partition(":")
        if not sep:
            raise AuthenticationError("HTTP Basic 登录信息格式不正确。")
        return HTTPBasicCredentials(username=name, password=password)


_bearer = HTTPBearer(auto_error=False, description="POST /api/token 取得的令牌")
_basic = Utf8Basic(auto_error=False, description="用户名和密码（便于 QGIS、ArcGIS Pro 直接访问）")


def get_principal(
    services: ServicesDep,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    """The signed-in user (Bearer token or HTTP Basic), or the anonymous visitor."""
    if bearer is not None:
        name = token_subject(bearer.credentials, services.secret)
        try:
            user = get_user(session, name)
        except NotFoundError as exc:
            raise AuthenticationError("登录令牌对应的用户不存在，请重新登录。") from exc
        if not user.active:
            raise AuthenticationError("该用户已停用，请联系管理员。")
    elif basic is not None:
        found = authenticate_user(session, basic.username, basic.password)
        if found is None:
            raise AuthenticationError("用户名或密码错误。")
        user = found
    else:
        return ANONYMOUS
    return Principal(name=user.name, role=user.role, districts=tuple(user.district_codes))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_reader(services: ServicesDep, principal: PrincipalDep) -> Principal:
    """A user allowed to read protected data: signed in, or anyone when anonymous read is on."""
    if not services.settings.anonymous_read:
        require_signed_in(principal)
    return principal


ReaderDep = Annotated[Principal, Depends(get_reader)]


def get_user_principal(principal: PrincipalDep) -> Principal:
    """A signed-in user (anonymous visitors get 401)."""
    require_signed_in(principal)
    return principal


UserDep = Annotated[Principal, Depends(get_user_principal)]


def get_write_session(services: ServicesDep) -> Iterator[Session]:
    """A transaction that writes: begun as a write from its first statement (SQLite
    ``BEGIN IMMEDIATE``), so concurrent writers queue instead of failing; committed before the
    answer is sent."""
    from gisaudit.storage.repository._common import begin_write

    with session_scope(services.engine) as session:
        begin_write(session)
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
