"""Every storage test runs on SQLite and on a real PostgreSQL + PostGIS server.

The PostGIS runs need ``GISAUDIT_TEST_POSTGIS_URL`` (a superuser URL; scripts/test.sh sets it)
and are skipped without it. Each test module gets its own fresh database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gisaudit.storage import make_engine, upgrade_database
from tests.databases import BACKENDS, POSTGIS_ENV, fresh_database

__all__ = ["BACKENDS", "POSTGIS_ENV"]


def _fresh_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database(backend, tmp_path_factory)


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
