"""Connecting to the database: the URL setting, engines, sessions and schema upgrades.

``GISAUDIT_DATABASE_URL`` selects the database (any SQLAlchemy URL, e.g.
``postgresql+psycopg://user:pw@host/db``); without it, an SQLite file in the user's data folder
(``$XDG_DATA_HOME/gisaudit/gisaudit.db``, default ``~/.local/share/gisaudit/gisaudit.db``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gisaudit.errors import ConfigError, StorageError

ENV_VAR = "GISAUDIT_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_S = 30.0
# execution option: begin this connection's transaction with BEGIN IMMEDIATE on SQLite
WRITE_OPTION = "gisaudit_write"


def default_database_path() -> Path:
    """The default SQLite file: ``$XDG_DATA_HOME/gisaudit/gisaudit.db``."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "gisaudit" / "gisaudit.db"


def database_url() -> str:
    """The database URL: ``GISAUDIT_DATABASE_URL`` or the default SQLite file's URL."""
    url = os.environ.get(ENV_VAR, "").strip()
    if url:
        return url
    return f"sqlite:///{default_database_path()}"


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: ``database_url()``).

    SQLite: the folder is created, and every connection gets WAL journaling, foreign keys on and
    a busy timeout; transactions are real (DDL included), and a session that writes can ask for
    ``BEGIN IMMEDIATE`` (see ``WRITE_OPTION``) so concurrent writers queue instead of failing.
    """
    url = url or database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"数据库地址“{url}”无法识别。请检查环境变量 {ENV_VAR}，"
            "例如 sqlite:///路径/gisaudit.db 或 postgresql+psycopg://用户:密码@主机/库名。"
        ) from exc
    options: dict[str, Any] = {"json_serializer": _json_dumps, **kwargs}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_S})
        engine = create_engine(parsed, **options)
        _setup_sqlite(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    try:
        return create_engine(parsed, **options)
    except (ImportError, SQLAlchemyError) as exc:
        raise ConfigError(
            f"无法使用数据库“{parsed.render_as_string(hide_password=True)}”：{exc}。"
            "PostgreSQL 需要安装 psycopg（pip install 'gisaudit[postgis]'）。"
        ) from exc


def _setup_sqlite(engine: Engine) -> None:
    """Pragmas per connection, and explicit BEGIN (the pysqlite recipe in SQLAlchemy's docs)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (``expire_on_commit=False``)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error; database errors -> StorageError."""
    session = make_session_factory(engine)()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StorageError(f"数据库读写失败：{describe_error(exc)}。请检查数据库后重试。") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_error(exc: BaseException) -> str:
    """The first line of a database error (the driver's message where there is one)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__
