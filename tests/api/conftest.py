"""One populated API per database backend (SQLite, and PostGIS when the server is given).

The package is the tiny real package of ``tests.factories.make_package`` (two districts,
120110 and 120111, two tenures each, imagery for evidence chips); it is registered and every
tenure evaluated through the API itself, so the database holds what the real pipeline made:
leads 120110: 2 per tenure (pbf_occupation, farmland_to_construction), 120111: 1 per tenure.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from gisaudit.storage import make_engine, session_scope, upgrade_database
from gisaudit.storage.repository import create_user
from tests.databases import BACKENDS, fresh_database
from tests.factories import make_package

PASSWORD = "测试密码-2024"
OWN, OTHER = "120110", "120111"
USERS = {  # name -> (role, districts)
    "admin": ("admin", []),
    "reviewer": ("reviewer", []),
    "viewer": ("viewer", []),
    "auditor": ("auditor", [OWN]),
    "auditor2": ("auditor", [OTHER]),
}


@dataclass
class Api:
    """A running app with users, a registered package and one finished evaluation."""

    client: TestClient
    settings: Settings
    backend: str
    package_root: Path
    package_id: str = ""
    evaluation_id: str = ""
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_(self, user: str | None) -> dict[str, str]:
        """Request headers of ``user`` (None: anonymous)."""
        return {} if user is None else dict(self.headers[user])

    def get(self, path: str, user: str | None = "admin", **kwargs: Any) -> Any:
        return self.client.get(
            path, headers={**self.as_(user), **kwargs.pop("headers", {})}, **kwargs
        )

    def post(self, path: str, user: str | None = "admin", **kwargs: Any) -> Any:
        return self.client.post(
            path, headers={**self.as_(user), **kwargs.pop("headers", {})}, **kwargs
        )

    def leads(self, district: str, user: str = "admin", **params: Any) -> list[dict[str, Any]]:
        r = self.get(
            "/api/leads", user, params={"district_code": district, "limit": 1000, **params}
        )
        assert r.status_code == 200, r.text
        return r.json()["items"]


def wait_for_job(
    client: TestClient, location: str, headers: dict[str, str], timeout: float = 120
) -> dict[str, Any]:
    """Poll an evaluation job until it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(location, headers=headers).json()
        assert "state" in body, body
        if body["state"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def make_users(url: str) -> None:
    engine = make_engine(url)
    upgrade_database(engine)
    with session_scope(engine) as session:
        for name, (role, districts) in USERS.items():
            create_user(session, name, PASSWORD, role, districts)
    engine.dispose()


@contextmanager
def populated_api(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A new app on a fresh ``backend`` database: users signed in, the package registered and
    every tenure evaluated through the API."""
    for url in fresh_database(backend, tmp_path_factory):
        make_users(url)
        data_dir = tmp_path_factory.mktemp("data")
        settings = Settings(
            database_url=url,
            data_dir=data_dir,
            secret_key="test-secret-key-123456789012345678901234567890",
            max_upload_bytes=2 * 1024 * 1024,
            max_unpacked_bytes=3 * 1024 * 1024,
            max_zip_entries=200,
        )
        root = make_package(tmp_path_factory.mktemp("pkg"), rasters=True)
        with TestClient(create_app(settings)) as client:
            state = Api(client=client, settings=settings, backend=backend, package_root=root)
            for name in USERS:
                r = client.post("/api/token", data={"username": name, "password": PASSWORD})
                assert r.status_code == 200, r.text
                state.headers[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            r = state.post("/api/packages/register", json={"path": str(root)})
            assert r.status_code == 201, r.text
            state.package_id = r.json()["package"]["id"]
            r = state.post(
                "/api/evaluations", json={"package_id": state.package_id, "reports": False}
            )
            assert r.status_code == 202, r.text
            job = wait_for_job(client, r.headers["Location"], state.as_("admin"))
            assert job["state"] == "done", job
            state.evaluation_id = job["id"]
            yield state


@pytest.fixture(scope="session", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The populated API of one backend, shared by the API tests (read-mostly)."""
    with populated_api(request.param, tmp_path_factory) as state:
        yield state


def read_gpkg(content: bytes, layer: str) -> gpd.GeoDataFrame:
    """A downloaded GeoPackage, read by GDAL's GPKG driver from a file named ``*.gpkg`` (as a
    user saves it; read from memory, GDAL warns that the name has no .gpkg extension)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "download.gpkg"
        path.write_bytes(content)
        return pyogrio.read_dataframe(path, layer=layer)
