"""The database setting and the SQLite connection setup."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from gisaudit.errors import ConfigError, StorageError
from gisaudit.storage import database_url, make_engine, session_scope
from gisaudit.storage.repository import list_districts


def test_default_is_an_sqlite_file_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("GISAUDIT_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert database_url() == f"sqlite:///{tmp_path / 'data' / 'gisaudit' / 'gisaudit.db'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = Path(tmp_path / "home" / ".local" / "share" / "gisaudit" / "gisaudit.db")
    assert database_url() == f"sqlite:///{expected}"


def test_the_setting_wins(monkeypatch):
    monkeypatch.setenv("GISAUDIT_DATABASE_URL", "postgresql+psycopg://u:p@db.example/audit")
    assert database_url() == "postgresql+psycopg://u:p@db.example/audit"


def test_bad_url_is_a_clear_config_error():
    with pytest.raises(ConfigError, match=r"数据库地址.*无法识别"):
        make_engine("not a url")


def test_sqlite_engine_setup(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'folder' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    assert (tmp_path / "sub" / "folder" / "x.db").exists()
    engine.dispose()


def test_sqlite_transactions_are_real_and_roll_back(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        conn.execute(text("CREATE TABLE u (v INTEGER)"))  # DDL is transactional too
        raise RuntimeError
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
        tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).all()
        assert [t for (t,) in tables] == ["t"]
    engine.dispose()


def test_database_errors_become_storage_errors(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # not migrated: no tables
    with pytest.raises(StorageError, match="数据库读写失败") as info, session_scope(engine) as s:
        list_districts(s)
    assert info.value.code == "storage_error"
    engine.dispose()
