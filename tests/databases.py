"""Fresh databases for tests: an SQLite file, or a new database on the PostGIS server named by
``GISAUDIT_TEST_POSTGIS_URL`` (a superuser URL; tests needing it are skipped without it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

POSTGIS_ENV = "GISAUDIT_TEST_POSTGIS_URL"
BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


def fresh_postgis_database() -> Iterator[str]:
    """Yield the URL of a new PostGIS database; drop it afterwards."""
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


def fresh_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the URL of a new, empty database of ``backend`` ("sqlite" or "postgis")."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'gisaudit.db'}"
    else:
        yield from fresh_postgis_database()
