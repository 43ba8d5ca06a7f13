"""The page routes without a browser: sign-in redirect, static files, scoped lead pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    settings = Settings(database_url=f"sqlite:///{data / 'db.sqlite'}", data_dir=data,
                        secret_key="route-tests-" + "k" * 32)  # fmt: skip
    with TestClient(create_app(settings)) as c:
        yield c


def test_pages_need_a_sign_in(client):
    r = client.get("/tenures/x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/tenures/x"
    r = client.get("/login")
    assert r.status_code == 200 and "登录" in r.text


def test_static_files_are_served_and_confined(client):
    r = client.get("/static/vendor/leaflet/leaflet.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert client.get("/static/../../api/main.py").status_code == 404
    assert client.get("/static/%2e%2e/layers.py").status_code == 404


def test_layer_endpoint_needs_a_sign_in(client):
    assert client.get("/map/api/tenures/x/layers/district.geojson").status_code == 401
