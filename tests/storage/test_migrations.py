"""Migrations build the whole schema from empty, and it matches the models, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from gisaudit.storage import schema_diff, upgrade_database
from gisaudit.storage.models import Base

TABLES = {
    "alembic_version", "districts", "tenures", "evaluations", "tenure_results",
    "indicator_results", "transitions", "leads", "lead_events", "users", "user_districts",
}  # fmt: skip


def test_upgrade_from_empty_creates_everything(empty_db_url):
    db_url = empty_db_url
    engine = sa.create_engine(db_url)
    assert not (set(sa.inspect(engine).get_table_names()) & TABLES)
    upgrade_database(db_url)
    upgrade_database(db_url)  # idempotent
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) >= TABLES
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    engine.dispose()


def test_migrated_schema_matches_the_models(engine):
    assert schema_diff(engine) == []


def test_schema_check_would_see_a_difference(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_leads_state"))
    try:
        diff = schema_diff(engine)
        assert [(d[0], d[1].name) for d in diff] == [("add_index", "ix_leads_state")]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE INDEX ix_leads_state ON leads (state)"))
    assert schema_diff(engine) == []


def test_geometry_columns_per_database(engine):
    inspector = sa.inspect(engine)
    indexes = {i["name"] for i in inspector.get_indexes("leads")}
    assert "ix_leads_bbox" in indexes
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            srid = conn.execute(sa.text("SELECT Find_SRID('public', 'leads', 'geometry')"))
            assert srid.scalar() == 4326
            gist = conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_geometry_gist'"
                )
            ).scalar()
            assert "USING gist (geometry)" in gist
        else:
            columns = {c["name"]: c for c in inspector.get_columns("leads")}
            assert isinstance(columns["geometry"]["type"], sa.LargeBinary | sa.BLOB)
            assert "ix_leads_geometry_gist" not in indexes


def test_every_model_table_is_migrated(engine):
    assert set(Base.metadata.tables) <= set(sa.inspect(engine).get_table_names())
