"""Sign-in (OAuth2 password flow) and user administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, status

from api.auditlog import record
from api.auth import ROLE_NAMES, create_token, require_role
from api.deps import ServicesDep, SessionDep, UserDep, WriteSessionDep
from api.errors import AuthenticationError
from api.routes import problems
from api.schemas import Token, UserCreate, UserOut, UserUpdate
from gisaudit.storage.models import User
from gisaudit.storage.repository import (
    authenticate_user,
    create_user,
    get_user,
    list_users,
    set_user_districts,
    set_user_password,
    set_user_role,
)

router = APIRouter(prefix="/api", tags=["用户与登录"])


def user_out(user: User) -> UserOut:
    return UserOut(
        name=user.name,
        role=user.role,
        role_name=ROLE_NAMES.get(user.role, user.role),  # type: ignore[arg-type]
        districts=list(user.district_codes),
        active=user.active,
    )


@router.post("/token", response_model=Token, responses=problems(401, 422))
def sign_in(
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    services: ServicesDep,
    session: SessionDep,
    grant_type: Annotated[str | None, Form(max_length=32, description="password")] = None,
) -> Token:
    """登录：用户名和密码换取令牌（OAuth2 password flow，表单字段 username、password）。"""
    user = authenticate_user(session, username, password)
    if user is None:
        raise AuthenticationError("用户名或密码错误。请检查后重试。")
    token, seconds = create_token(user.name, services.secret, services.settings.token_minutes)
    return Token(access_token=token, token_type="bearer", expires_in=seconds, user=user_out(user))


@router.get("/users/me", response_model=UserOut, responses=problems(401))
def me(principal: UserDep, session: SessionDep) -> UserOut:
    """当前登录的用户。"""
    return user_out(get_user(session, principal.name))


@router.get("/users", response_model=list[UserOut], responses=problems(401, 403))
def users(principal: UserDep, session: SessionDep) -> list[UserOut]:
    """全部用户（管理员）。"""
    require_role(principal, ["admin"], "管理用户")
    return [user_out(u) for u in list_users(session)]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 422),
)
def add_user(
    body: UserCreate, principal: UserDep, services: ServicesDep, session: WriteSessionDep
) -> UserOut:
    """新建用户（管理员）。"""
    require_role(principal, ["admin"], "管理用户")
    user = create_user(session, body.name, body.password, body.role, body.districts)
    record(
        services.settings,
        principal.name,
        "user.create",
        body.name,
        role=body.role,
        districts=body.districts,
    )
    return user_out(user)


@router.patch("/users/{name}", response_model=UserOut, responses=problems(401, 403, 404, 422))
def change_user(
    name: Annotated[str, Path(max_length=64)],
    body: UserUpdate,
    principal: UserDep,
    services: ServicesDep,
    session: WriteSessionDep,
) -> UserOut:
    """修改用户的角色、负责的区或密码（管理员）。"""
    require_role(principal, ["admin"], "管理用户")
    user = get_user(session, name)
    if body.role is not None:
        user = set_user_role(session, name, body.role)
    if body.districts is not None:
        user = set_user_districts(session, name, body.districts)
    if body.password is not None:
        user = set_user_password(session, name, body.password)
    changed = [k for k, v in body.model_dump().items() if v is not None]
    record(services.settings, principal.name, "user.update", name, fields=changed)
    return user_out(user)
