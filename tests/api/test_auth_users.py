"""Sign-in (OAuth2 password flow, HTTP Basic), tokens, and user administration."""

from __future__ import annotations

import base64
import time

import jwt

from api.auth import create_token, load_secret_key
from api.settings import Settings
from tests.api.conftest import PASSWORD


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_token_and_me(api):
    r = api.client.post("/api/token", data={"username": "auditor", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"]["districts"] == ["120110"]
    claims = jwt.decode(
        body["access_token"], api.settings.secret_key, algorithms=["HS256"], issuer="gisaudit"
    )
    assert claims["sub"] == "auditor"
    me = api.get("/api/users/me", "auditor").json()
    assert me["role"] == "auditor" and me["role_name"] == "审计人员"


def test_wrong_password_is_401_with_challenge(api):
    r = api.client.post("/api/token", data={"username": "auditor", "password": "wrong"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["detail"] == "用户名或密码错误。请检查后重试。"


def test_bad_and_expired_tokens(api):
    r = api.client.get("/api/users/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "无效" in r.json()["detail"]
    token, _ = create_token("auditor", api.settings.secret_key, minutes=-1)
    r = api.client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "过期" in r.json()["detail"]
    forged, _ = create_token("admin", "another-secret-key-that-is-long-enough-0123456789", 5)
    assert (
        api.client.get("/api/users/me", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )


def test_http_basic_for_gis_clients(api):
    r = api.client.get("/api/users/me", headers=basic("viewer", PASSWORD))
    assert r.status_code == 200 and r.json()["name"] == "viewer"
    assert api.client.get("/api/users/me", headers=basic("viewer", "nope")).status_code == 401


def test_user_admin(api):
    name = f"新人{time.monotonic_ns()}"
    r = api.post(
        "/api/users",
        json={"name": name, "password": "pw-1", "role": "auditor", "districts": ["120111"]},
    )
    assert r.status_code == 201 and r.json()["districts"] == ["120111"]
    assert (
        api.post("/api/users", json={"name": name, "password": "x", "role": "viewer"}).status_code
        == 422
    )
    r = api.client.patch(
        f"/api/users/{name}", headers=api.as_("admin"), json={"role": "reviewer", "districts": []}
    )
    assert r.status_code == 200 and r.json()["role"] == "reviewer"
    assert name in [u["name"] for u in api.get("/api/users").json()]
    for user in ("viewer", "auditor", "reviewer"):
        assert api.get("/api/users", user).status_code == 403
        assert (
            api.post(
                "/api/users", user, json={"name": "x", "password": "y", "role": "admin"}
            ).status_code
            == 403
        )
    assert api.get("/api/users", None).status_code == 401
    log = (api.settings.data_dir / "audit-log.jsonl").read_text("utf-8")
    assert f'"target": "{name}"' in log and '"user": "admin"' in log


def test_secret_key_generated_once(tmp_path):
    settings = Settings(database_url="sqlite://", data_dir=tmp_path)
    key = load_secret_key(settings)
    assert len(key) > 40 and load_secret_key(settings) == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
