"""Alembic environment: runs on the connection given by ``upgrade_database`` (or the URL)."""

from __future__ import annotations

from typing import Any

from alembic import context

from gisaudit.storage.db import database_url, make_engine
from gisaudit.storage.migrate import include_object
from gisaudit.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object(connection.dialect.name),
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # plain `alembic` command line
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or database_url())
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
