"""Initial schema: districts, tenures, evaluations and results, leads with history, users.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gisaudit.storage.types import GeometryType, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "疑点处理记录只能追加，不能修改或删除"


def _bbox() -> list[sa.Column]:
    return [sa.Column(name, sa.Float(), nullable=True) for name in ("minx", "miny", "maxx", "maxy")]


def _fk(table: str, column: str, target: str, **kw: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{table}_{column}_{ref_table}", **kw
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "districts",
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("area_ha", sa.Float(), nullable=True),
        sa.Column("geometry", GeometryType(), nullable=True),
        *_bbox(),
        sa.PrimaryKeyConstraint("code", name="pk_districts"),
    )
    op.create_index("ix_districts_bbox", "districts", ["minx", "miny", "maxx", "maxy"])

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("package_name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("indicator_system_id", sa.String(64), nullable=False),
        sa.Column("indicator_system_version", sa.String(32), nullable=False),
        sa.Column("fingerprints", sa.JSON(), nullable=False),
        sa.Column("gisaudit_version", sa.String(32), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_created_at", "evaluations", ["created_at"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('viewer', 'auditor', 'reviewer', 'admin')", name="ck_users_role"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )

    op.create_table(
        "tenures",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("district_code", sa.String(12), nullable=False),
        sa.Column("official", sa.String(64), nullable=False),
        sa.Column("position", sa.String(64), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        _fk("tenures", "district_code", "districts.code"),
        sa.PrimaryKeyConstraint("id", name="pk_tenures"),
    )
    op.create_index("ix_tenures_district_code", "tenures", ["district_code"])

    op.create_table(
        "user_districts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(12), nullable=False),
        _fk("user_districts", "user_id", "users.id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "district_code", name="pk_user_districts"),
    )

    op.create_table(
        "leads",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("district_code", sa.String(12), nullable=False),
        sa.Column("tenure_id", sa.String(64), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("area_ha", sa.Float(), nullable=True),
        sa.Column("area_mu", sa.Float(), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=True),
        sa.Column("from_codes", sa.JSON(), nullable=False),
        sa.Column("to_codes", sa.JSON(), nullable=False),
        sa.Column("change_vintage", sa.Date(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("legal_basis", sa.JSON(), nullable=True),
        sa.Column("geometry", GeometryType(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("disappeared_at", UTCDateTime(), nullable=True),
        sa.Column("last_evaluation_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        *_bbox(),
        _fk("leads", "district_code", "districts.code"),
        _fk("leads", "last_evaluation_id", "evaluations.id"),
        _fk("leads", "tenure_id", "tenures.id"),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
    )
    op.create_index("ix_leads_bbox", "leads", ["minx", "miny", "maxx", "maxy"])
    for column in ("district_code", "present", "rule", "severity", "state", "tenure_id"):
        op.create_index(f"ix_leads_{column}", "leads", [column])

    op.create_table(
        "tenure_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("tenure_id", sa.String(64), nullable=False),
        sa.Column("start_vintage", sa.Date(), nullable=False),
        sa.Column("end_vintage", sa.Date(), nullable=False),
        sa.Column("total_score", sa.Float(), nullable=True),
        sa.Column("grade", sa.String(8), nullable=True),
        sa.Column("vetoes", sa.JSON(), nullable=False),
        sa.Column("scorecard", sa.JSON(), nullable=False),
        sa.Column("lead_count", sa.Integer(), nullable=True),
        _fk("tenure_results", "evaluation_id", "evaluations.id"),
        _fk("tenure_results", "tenure_id", "tenures.id"),
        sa.PrimaryKeyConstraint("id", name="pk_tenure_results"),
        sa.UniqueConstraint(
            "evaluation_id", "tenure_id", name="uq_tenure_results_evaluation_id_tenure_id"
        ),
    )
    op.create_index("ix_tenure_results_tenure_id", "tenure_results", ["tenure_id"])

    op.create_table(
        "indicator_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenure_result_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("applicable", sa.Boolean(), nullable=False),
        sa.Column("veto", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("indicator_results", "tenure_result_id", "tenure_results.id"),
        sa.PrimaryKeyConstraint("id", name="pk_indicator_results"),
        sa.UniqueConstraint(
            "tenure_result_id",
            "indicator_id",
            name="uq_indicator_results_tenure_result_id_indicator_id",
        ),
    )

    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenure_result_id", sa.Integer(), nullable=False),
        sa.Column("from_group", sa.String(32), nullable=False),
        sa.Column("to_group", sa.String(32), nullable=False),
        sa.Column("area_ha", sa.Float(), nullable=False),
        _fk("transitions", "tenure_result_id", "tenure_results.id"),
        sa.PrimaryKeyConstraint("id", name="pk_transitions"),
        sa.UniqueConstraint(
            "tenure_result_id",
            "from_group",
            "to_group",
            name="uq_transitions_tenure_result_id_from_group_to_group",
        ),
    )

    op.create_table(
        "lead_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("lead_events", "lead_id", "leads.id"),
        sa.PrimaryKeyConstraint("id", name="pk_lead_events"),
    )
    op.create_index("ix_lead_events_lead_id", "lead_events", ["lead_id"])

    if postgres:
        for table in ("districts", "leads"):
            op.create_index(
                f"ix_{table}_geometry_gist", table, ["geometry"], postgresql_using="gist"
            )
        _append_only_postgresql()
    else:
        _append_only_sqlite()


def _append_only_postgresql() -> None:
    op.execute(
        f"""
        CREATE FUNCTION gisaudit_lead_events_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}（%）', TG_OP
                USING ERRCODE = 'restrict_violation';
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER lead_events_append_only BEFORE UPDATE OR DELETE ON lead_events "
        "FOR EACH ROW EXECUTE FUNCTION gisaudit_lead_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER lead_events_no_truncate BEFORE TRUNCATE ON lead_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION gisaudit_lead_events_append_only()"
    )


def _append_only_sqlite() -> None:
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER lead_events_no_{operation.lower()} BEFORE {operation} ON lead_events "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}（{operation}）'); END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS lead_events_no_truncate ON lead_events")
        op.execute("DROP TRIGGER IF EXISTS lead_events_append_only ON lead_events")
        op.execute("DROP FUNCTION IF EXISTS gisaudit_lead_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS lead_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS lead_events_no_delete")
    for table in (
        "lead_events",
        "transitions",
        "indicator_results",
        "tenure_results",
        "leads",
        "user_districts",
        "tenures",
        "users",
        "evaluations",
        "districts",
    ):
        op.drop_table(table)
