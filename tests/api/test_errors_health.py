"""Health, version, and the one error table: problem+json everywhere, no internals leaked."""

from __future__ import annotations

import pytest

from api.errors import (
    STATUS_CODES,
    AuthenticationError,
    InvalidParameterError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionRequiredError,
    UnsafeArchiveError,
    status_for,
)
from gisaudit.errors import (
    AnalysisError,
    ConfigError,
    GisAuditError,
    InputError,
    NotFoundError,
    PackageError,
    StaleUpdateError,
    StorageError,
    WorkflowError,
)

PROBLEM = "application/problem+json"


def test_health_and_version(api):
    assert api.get("/api/health", None).json() == {"status": "ok", "database": "ok"}
    body = api.get("/api/version", None).json()
    assert body["api"] == "1" and body["schema"] == "gisaudit.scorecard/1"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (AuthenticationError("x"), 401),
        (PermissionDeniedError("x"), 403),
        (NotFoundError("x"), 404),
        (WorkflowError("x"), 409),
        (StaleUpdateError("x"), 412),
        (PayloadTooLargeError("x"), 413),
        (PackageError([]), 422),
        (ConfigError("x"), 422),
        (UnsafeArchiveError("x"), 422),
        (InvalidParameterError("x"), 422),
        (InputError("x"), 422),
        (PreconditionRequiredError("x"), 428),
        (AnalysisError("x"), 500),
        (StorageError("x"), 503),
        (GisAuditError("x"), 500),
    ],
)
def test_one_status_table(error, status):
    assert status_for(error)[0] == status
    assert type(error) in STATUS_CODES


def test_unknown_route_is_problem_json(api):
    r = api.get("/api/no-such-thing", None)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail", "code"}
    assert body["status"] == 404 and "/docs" in body["detail"]


def test_validation_error_is_problem_json(api):
    r = api.get("/api/leads", params={"limit": -1})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == "validation_failed" and "limit" in body["detail"]
    assert body["errors"][0]["field"] == "limit"


def test_wrong_method_is_problem_json(api):
    r = api.client.delete("/api/health")
    assert r.status_code == 405 and r.json()["code"] == "http_405"


def test_storage_error_detail_hides_sql_and_paths(api):
    # a real database failure: the app's engine on a database that is gone
    from sqlalchemy import create_engine

    services = api.client.app.state.services
    good = services.engine
    services.engine = create_engine(f"sqlite:///{api.settings.data_dir}/missing/dir/x.db")
    try:
        r = api.get("/api/health", None)
    finally:
        services.engine = good
    assert r.status_code == 503
    body = r.json()
    assert body["code"] == "storage_error"
    assert str(api.settings.data_dir) not in r.text and "SELECT" not in r.text
    assert "Traceback" not in r.text
