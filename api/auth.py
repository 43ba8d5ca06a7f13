"""Who is asking and what they may do: signed tokens, roles and district scopes.

Roles (spec §8 workflow, brief of the API):

- ``viewer``: reads everything.
- ``auditor``: reads, and works the leads of the districts assigned to them; never sees another
  district's leads (lists, details, exports, tiles and OGC items are filtered in the query).
  May move leads through every step except confirming and dismissing.
- ``reviewer``: works every district's leads, including confirming and dismissing; may start
  evaluations.
- ``admin``: everything, plus users, packages, indicator systems and tenures.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from api.errors import AuthenticationError, PermissionDeniedError
from api.settings import Settings
from gisaudit.errors import NotFoundError

ALGORITHM = "HS256"
SECRET_FILE = "secret_key"
ROLES = ("viewer", "auditor", "reviewer", "admin")
ROLE_NAMES = {
    "viewer": "查看人员",
    "auditor": "审计人员",
    "reviewer": "复核人员",
    "admin": "管理员",
}
# target states (workflow ids) only reviewers and admins may move a lead to
REVIEW_STATES = frozenset({"confirmed", "dismissed"})
WORK_ROLES = frozenset({"auditor", "reviewer", "admin"})


@dataclass(frozen=True)
class Principal:
    """The user behind a request; ``anonymous`` for nobody signed in."""

    name: str
    role: str
    districts: tuple[str, ...] = ()
    anonymous: bool = False

    @property
    def lead_scope(self) -> list[str] | None:
        """District codes whose leads this user may see; None: all districts."""
        return list(self.districts) if self.role == "auditor" else None

    def sees_district(self, code: str) -> bool:
        """Whether this user may see the leads of district ``code``."""
        scope = self.lead_scope
        return scope is None or code in scope


ANONYMOUS = Principal(name="匿名", role="viewer", anonymous=True)


def require_signed_in(principal: Principal) -> None:
    """AuthenticationError for an anonymous visitor."""
    if principal.anonymous:
        raise AuthenticationError("请先登录（POST /api/token 获取令牌，或使用用户名和密码）。")


def require_role(principal: Principal, roles: Sequence[str], what: str) -> None:
    """PermissionDeniedError unless the user has one of ``roles``."""
    require_signed_in(principal)
    if principal.role not in roles:
        allowed = "、".join(ROLE_NAMES[r] for r in roles)
        raise PermissionDeniedError(
            f"您的角色（{ROLE_NAMES.get(principal.role, principal.role)}）不能{what}；"
            f"需要{allowed}角色。请联系管理员。"
        )


def scoped_districts(principal: Principal, requested: list[str] | None) -> list[str] | None:
    """The lead district filter of a query: the request's codes cut to the user's scope."""
    scope = principal.lead_scope
    if scope is None:
        return requested
    return [c for c in requested if c in scope] if requested else scope


def check_lead_visible(principal: Principal, lead_id: str, district_code: str) -> None:
    """NotFoundError for a lead outside the user's districts (its existence is not revealed)."""
    if not principal.sees_district(district_code):
        raise NotFoundError(f"未找到疑点“{lead_id}”。")


def check_lead_work(principal: Principal, district_code: str, target_state: str | None) -> None:
    """May this user change a lead of ``district_code`` (to ``target_state``, a workflow id)?"""
    require_role(principal, sorted(WORK_ROLES, key=ROLES.index), "处理疑点")
    if not principal.sees_district(district_code):
        raise NotFoundError("未找到该疑点。")
    if target_state in REVIEW_STATES and principal.role not in ("reviewer", "admin"):
        raise PermissionDeniedError("确认或排除疑点需要复核人员或管理员角色。请提交复核人员处理。")


# -- tokens ------------------------------------------------------------------------------------


def load_secret_key(settings: Settings) -> str:
    """The signing key: the setting, else the data folder's key file (created on first use)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / SECRET_FILE
    if path.is_file():
        key = path.read_text("utf-8").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def create_token(name: str, secret: str, minutes: int) -> tuple[str, int]:
    """A signed token for user ``name`` and its lifetime in seconds."""
    now = datetime.now(UTC)
    claims = {"sub": name, "iat": now, "exp": now + timedelta(minutes=minutes), "iss": "gisaudit"}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), minutes * 60


def token_subject(token: str, secret: str) -> str:
    """The user name in a valid token; AuthenticationError otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer="gisaudit",
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationError("登录已过期，请重新登录。") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationError("登录令牌无效，请重新登录。") from exc
    return str(claims["sub"])
