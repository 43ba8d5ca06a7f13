"""Internal failures answer problem+json without tracebacks, server paths or SQL: a package
folder deleted after registration, a corrupt package record, a database that is unreachable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from tests.api.conftest import Api, wait_for_job

PROBLEM = "application/problem+json"
LEAKS = ("Traceback", 'File "', "SELECT", "INSERT", "sqlalchemy", "psycopg", "sqlite3", ".py")


def assert_clean(api: Api, r, *private: str) -> dict:
    """A problem+json answer that names none of the server's internals."""
    assert r.headers["content-type"].startswith(PROBLEM), r.text
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail", "code"}
    assert body["status"] == r.status_code and body["detail"]
    for secret in (*LEAKS, str(api.settings.data_dir), *private):
        assert secret not in r.text, (secret, r.text)
    return body


@pytest.fixture
def doomed_package(api: Api, tmp_path: Path):
    """A copy of the test package, registered, whose id is yielded; deregistered afterwards."""
    root = tmp_path / "会被删除的数据包"
    shutil.copytree(api.package_root, root)
    r = api.post("/api/packages/register", json={"path": str(root)})
    assert r.status_code == 201, r.text
    pid = r.json()["package"]["id"]
    yield pid, root
    api.client.delete(f"/api/packages/{pid}", headers=api.as_("admin"))


def test_package_folder_deleted_after_registration(api, doomed_package):
    pid, root = doomed_package
    shutil.rmtree(root)
    api.client.app.state.services.packages._cache.pop(pid, None)  # as after a restart
    vintage = f"landuse-{pid}-2018-12-31"
    answers = [
        api.get(f"/ogc/collections/{vintage}/items"),
        api.get(f"/ogc/collections/{vintage}/items/0"),
        api.get(f"/tiles/{vintage}/14/13710/6290.mvt"),
        api.post(f"/api/packages/{pid}/validate"),
    ]
    for r in answers[:3]:
        assert r.status_code >= 400, r.text
        body = assert_clean(api, r, str(root), str(root.parent))
        assert body["code"] != "internal_error"  # a known failure, said as such
    # revalidating reports the missing files as problems, with no server path in them
    r = answers[3]
    assert r.status_code == 200 and r.json()["ok"] is False
    for secret in (str(root), str(root.parent), "Traceback"):
        assert secret not in r.text
    # an evaluation of it is accepted, then fails with a reason that names no server folder
    r = api.post("/api/evaluations", json={"package_id": pid, "reports": False})
    assert r.status_code == 202, r.text
    job = wait_for_job(api.client, r.headers["Location"], api.as_("admin"))
    assert job["state"] == "failed" and job["error"]["detail"]
    r = api.get(r.headers["Location"])
    for secret in (str(root), str(root.parent), "Traceback", str(api.settings.data_dir)):
        assert secret not in r.text


def test_corrupt_package_record_is_internal_error(api, doomed_package):
    pid, _ = doomed_package
    record = api.settings.data_dir / "packages" / pid / "record.json"
    good = record.read_text("utf-8")
    record.write_text('{"id": "broken', "utf-8")
    # what a real server sends (the test client would re-raise the error instead)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    try:
        r = client.get(f"/api/packages/{pid}", headers=api.as_("admin"))
    finally:
        record.write_text(good, "utf-8")
    assert r.status_code == 500
    body = assert_clean(api, r, str(record))
    assert body["code"] == "internal_error" and "技术支持" in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://nobody:s3cret-pw@127.0.0.1:1/nodb?connect_timeout=2",
        "sqlite:///{data}/missing/dir/x.db",
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/health", "/api/districts", "/api/leads", "/ogc/collections/leads/items"]
)
def test_unreachable_database(api, url, path):
    services = api.client.app.state.services
    good = services.engine
    services.engine = create_engine(url.format(data=api.settings.data_dir))
    try:
        r = api.get(path, headers={"Authorization": "Basic " + "YWRtaW46eA=="})  # admin:x
    finally:
        services.engine.dispose()
        services.engine = good
    assert r.status_code == 503, r.text
    body = assert_clean(api, r, "s3cret-pw", "nobody", "127.0.0.1", "nodb", "x.db")
    assert body["code"] == "storage_error" and "稍后重试" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/leads?tenure_id=a%00b", {}),
        ("get", "/api/tenures/a%00b", {}),
        ("post", "/api/users", {"json": {"name": "a\x00b", "password": "x", "role": "viewer"}}),
    ],
)
def test_nul_character_is_input_error_not_storage_error(api, method, path, kwargs):
    """PostgreSQL cannot hold NUL in text: that is the client's value to fix (422), not 503."""
    r = getattr(api.client, method)(path, headers=api.as_("admin"), **kwargs)
    assert r.status_code in (200, 201, 404, 422), r.text
    if api.backend == "postgis" or r.status_code == 422:
        assert r.status_code == 422
        assert_clean(api, r)
