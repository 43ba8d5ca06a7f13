"""Schema migrations (Alembic, shipped in ``gisaudit/storage/migrations``) and schema checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gisaudit.errors import StorageError
from gisaudit.storage.db import describe_error, make_engine
from gisaudit.storage.models import Base, index_applies

SCRIPT_LOCATION = "gisaudit.storage:migrations"


def include_object(dialect_name: str) -> Callable[..., bool]:
    """Alembic ``include_object`` hook: skip what exists on the other database only (the
    PostgreSQL GiST indexes when on SQLite) and PostGIS's own ``spatial_ref_sys`` table."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, _compare: Any) -> bool:
        if type_ == "index" and not reflected:
            return index_applies(obj, dialect_name)
        return not (type_ == "table" and reflected and name == "spatial_ref_sys")

    return include


def upgrade_database(url_or_engine: str | Engine | None = None, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (default: the newest), in one transaction.

    Works from an installed package: the migrations ship inside ``gisaudit.storage``.
    """
    from alembic import command
    from alembic.config import Config

    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StorageError(
            f"数据库结构升级失败：{describe_error(exc)}。请检查数据库地址和权限。"
        ) from exc
    finally:
        if not isinstance(url_or_engine, Engine):
            engine.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    """Differences between the database's schema and the models (Alembic autogenerate compare);
    empty when the migrations and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": include_object(engine.dialect.name)},
        )
        return list(compare_metadata(context, Base.metadata))
