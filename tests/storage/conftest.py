"""Every storage test runs on SQLite and on a real PostgreSQL + PostGIS server.

The PostGIS runs need ``GISAUDIT_TEST_POSTGIS_URL`` (a superuser URL; scripts/test.sh sets it)
and are skipped without it. Each test module gets its own fresh database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gisaudit.storage import make_engine, upgrade_database

POSTGIS_ENV = "GISAUDIT_TEST_POSTGIS_URL"
BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


def _fresh_postgis_database() -> Iterator[str]:
    admin_url = os.environ.get(POSTGIS_ENV)
    if not admin_url:
        pytest.skip(f"{POSTGIS_ENV} is not set: no PostGIS server to test against")
    name = f"gisaudit_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _fresh_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'gisaudit.db'}"
    else:
        yield from _fresh_postgis_database()


@pytest.fixture(scope="module", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """URL of a database that is fresh for this module (SQLite file or PostGIS database)."""
    yield from _fresh_database(request.param, tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """URL of a new, empty database for this one test."""
    yield from _fresh_database(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def engine(db_url: str):
    """An engine on the module's database, migrated to the newest schema."""
    upgrade_database(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
