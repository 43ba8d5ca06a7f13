"""Users: Argon2 password hashes, sign-in, roles and district assignments, on both databases."""

from __future__ import annotations

import pytest

from gisaudit.errors import InputError, NotFoundError
from gisaudit.storage import session_scope
from gisaudit.storage.repository import (
    authenticate_user,
    create_user,
    get_user,
    list_users,
    set_user_districts,
    set_user_password,
    set_user_role,
)
from tests.storage.factories import unique


def test_create_and_sign_in(engine):
    name = unique("审计员")
    with session_scope(engine) as s:
        user = create_user(s, name, "正确的密码-123", "auditor", ["120110", "120116"])
        assert user.password_hash.startswith("$argon2id$")
        assert "正确的密码" not in user.password_hash
    with session_scope(engine) as s:
        user = get_user(s, name)
        assert (user.role, user.district_codes, user.active) == (
            "auditor", ["120110", "120116"], True)  # fmt: skip
        assert authenticate_user(s, name, "正确的密码-123").name == name
        assert authenticate_user(s, name, "错误的密码") is None
        assert authenticate_user(s, unique("nobody"), "正确的密码-123") is None
        assert name in [u.name for u in list_users(s)]


def test_hashes_are_salted(engine):
    a, b = unique("a"), unique("b")
    with session_scope(engine) as s:
        assert create_user(s, a, "same", "viewer").password_hash != create_user(
            s, b, "same", "viewer").password_hash  # fmt: skip


def test_duplicate_name_bad_role_bad_code_are_refused(engine):
    name = unique("复核员")
    with session_scope(engine) as s:
        create_user(s, name, "pw", "reviewer")
    with pytest.raises(InputError, match="已存在"), session_scope(engine) as s:
        create_user(s, name, "pw2", "reviewer")
    with pytest.raises(InputError, match="角色“boss”无效"), session_scope(engine) as s:
        create_user(s, unique("x"), "pw", "boss")
    with pytest.raises(InputError, match="6 位数字"), session_scope(engine) as s:
        create_user(s, unique("x"), "pw", "viewer", ["东丽区"])
    with pytest.raises(InputError, match="密码不能为空"), session_scope(engine) as s:
        create_user(s, unique("x"), "", "viewer")
    with session_scope(engine) as s:
        assert authenticate_user(s, name, "pw") is not None  # the first one is unchanged


def test_change_districts_role_and_password(engine):
    name = unique("管理员")
    with session_scope(engine) as s:
        create_user(s, name, "old", "viewer", ["120110"])
    with session_scope(engine) as s:
        set_user_districts(s, name, ["120119", "120110", "120119"])
        set_user_role(s, name, "admin")
        set_user_password(s, name, "new")
    with session_scope(engine) as s:
        user = get_user(s, name)
        assert (user.district_codes, user.role) == (["120110", "120119"], "admin")
        assert authenticate_user(s, name, "old") is None
        assert authenticate_user(s, name, "new") is not None
        set_user_districts(s, name, [])
    with session_scope(engine) as s:
        assert get_user(s, name).district_codes == []
        with pytest.raises(NotFoundError, match="未找到用户"):
            get_user(s, unique("ghost"))
