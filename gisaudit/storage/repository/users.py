"""Users: creation with an Argon2 password hash, sign-in check, roles and district assignments."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from gisaudit.errors import InputError, NotFoundError
from gisaudit.storage.models import ROLES, User, UserDistrict
from gisaudit.storage.repository._common import begin_write, storage_errors

_HASHER = PasswordHash.recommended()  # Argon2id with pwdlib's current parameters
_DISTRICT_CODE = re.compile(r"^\d{6}$")
ROLE_NAMES = {"viewer": "查看", "auditor": "审计人员", "reviewer": "复核人员", "admin": "管理员"}


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; never store the password itself)."""
    return _HASHER.hash(password)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"角色“{role}”无效。可用角色：{'、'.join(ROLES)}。")
    return role


def _check_codes(codes: Iterable[str]) -> list[str]:
    result = sorted({str(c).strip() for c in codes})
    bad = [c for c in result if not _DISTRICT_CODE.match(c)]
    if bad:
        raise InputError(f"区代码 {'、'.join(bad)} 无效：应为 6 位数字，如 120110。")
    return result


@storage_errors
def create_user(
    session: Session, name: str, password: str, role: str, districts: Iterable[str] = ()
) -> User:
    """Create a user with a hashed password, a role and assigned districts; the caller commits."""
    name = (name or "").strip()
    if not name:
        raise InputError("用户名不能为空。")
    if not password:
        raise InputError("密码不能为空。")
    _check_role(role)
    codes = _check_codes(districts)
    begin_write(session)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise InputError(f"用户“{name}”已存在。")
    user = User(name=name, password_hash=hash_password(password), role=role, active=True)
    user.assignments = [UserDistrict(district_code=c) for c in codes]
    session.add(user)
    session.flush()
    return user


@storage_errors
def get_user(session: Session, name: str) -> User:
    """One user by name, or NotFoundError."""
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        raise NotFoundError(f"未找到用户“{name}”。")
    return user


@storage_errors
def list_users(session: Session) -> list[User]:
    """All users, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


@storage_errors
def authenticate_user(session: Session, name: str, password: str) -> User | None:
    """The active user ``name`` if ``password`` is right, else None.

    A hash made with older parameters is upgraded in place (the caller commits).
    """
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        _HASHER.hash(password)  # same work either way: no timing hint that the name exists
        return None
    valid, new_hash = _HASHER.verify_and_update(password, user.password_hash)
    if not valid or not user.active:
        return None
    if new_hash is not None:
        user.password_hash = new_hash
        session.flush()
    return user


@storage_errors
def set_user_districts(session: Session, name: str, districts: Iterable[str]) -> User:
    """Replace the user's district assignments; the caller commits."""
    codes = _check_codes(districts)
    begin_write(session)
    user = get_user(session, name)
    user.assignments = [UserDistrict(district_code=c) for c in codes]
    session.flush()
    return user


@storage_errors
def set_user_role(session: Session, name: str, role: str) -> User:
    """Change the user's role; the caller commits."""
    _check_role(role)
    begin_write(session)
    user = get_user(session, name)
    user.role = role
    session.flush()
    return user


@storage_errors
def set_user_password(session: Session, name: str, password: str) -> User:
    """Set a new password (stored as an Argon2id hash); the caller commits."""
    if not password:
        raise InputError("密码不能为空。")
    begin_write(session)
    user = get_user(session, name)
    user.password_hash = hash_password(password)
    session.flush()
    return user
