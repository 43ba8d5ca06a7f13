"""Storage: SQLite by default, PostgreSQL + PostGIS on a shared server (GISAUDIT_DATABASE_URL).

- ``db``: the URL setting, engines, sessions; ``migrate``: ``upgrade_database`` (Alembic).
- ``models``: the tables. ``repository``: all SQL.
"""

from gisaudit.storage.db import (
    database_url,
    make_engine,
    make_session_factory,
    session_scope,
)
from gisaudit.storage.migrate import schema_diff, upgrade_database

__all__ = [
    "database_url",
    "make_engine",
    "make_session_factory",
    "schema_diff",
    "session_scope",
    "upgrade_database",
]
