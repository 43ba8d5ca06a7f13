"""The database tables (SQLAlchemy 2 typed declarative), the same on SQLite and PostgreSQL.

Geometry is EPSG:4326 (see ``types.GeometryType``); every table with a geometry also has its
bounding box in ``minx``/``miny``/``maxx``/``maxy`` (indexed), so bbox filtering works on both
databases; PostgreSQL also gets a GiST index on the geometry itself.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gisaudit.storage.types import GeometryType, UTCDateTime, utcnow

ROLES = ("viewer", "auditor", "reviewer", "admin")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        BaseGeometry: GeometryType,
    }


def _gist(table: str) -> Index:
    """GiST index on ``table.geometry``, created on PostgreSQL only."""
    return Index(f"ix_{table}_geometry_gist", "geometry", postgresql_using="gist").ddl_if(
        dialect="postgresql"
    )


def index_applies(index: Index, dialect_name: str) -> bool:
    """Whether ``index`` exists on ``dialect_name`` (False for a PostgreSQL-only GiST on SQLite)."""
    ddl_if = getattr(index, "_ddl_if", None)
    return ddl_if is None or ddl_if.dialect is None or ddl_if.dialect == dialect_name


class BBoxMixin:
    """Bounding box of the geometry, in degrees (EPSG:4326)."""

    minx: Mapped[float | None] = mapped_column(Float)
    miny: Mapped[float | None] = mapped_column(Float)
    maxx: Mapped[float | None] = mapped_column(Float)
    maxy: Mapped[float | None] = mapped_column(Float)


class District(BBoxMixin, Base):
    __tablename__ = "districts"
    __table_args__ = (
        Index("ix_districts_bbox", "minx", "miny", "maxx", "maxy"),
        _gist("districts"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    area_ha: Mapped[float | None] = mapped_column(Float)
    geometry: Mapped[BaseGeometry | None] = mapped_column(GeometryType)


class Tenure(Base):
    __tablename__ = "tenures"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    official: Mapped[str] = mapped_column(String(64))
    position: Mapped[str] = mapped_column(String(64))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)


class Evaluation(Base):
    """One run of the evaluation over a package: enough to trace and reproduce its results."""

    __tablename__ = "evaluations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    package_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    indicator_system_id: Mapped[str] = mapped_column(String(64))
    indicator_system_version: Mapped[str] = mapped_column(String(32))
    fingerprints: Mapped[dict[str, Any]] = mapped_column(JSON)  # file -> sha256
    gisaudit_version: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)

    tenure_results: Mapped[list[TenureResultRow]] = relationship(
        back_populates="evaluation", order_by="TenureResultRow.tenure_id"
    )


class TenureResultRow(Base):
    """One tenure's scorecard within one evaluation."""

    __tablename__ = "tenure_results"
    __table_args__ = (UniqueConstraint("evaluation_id", "tenure_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluations.id"))
    tenure_id: Mapped[str] = mapped_column(ForeignKey("tenures.id"), index=True)
    start_vintage: Mapped[date] = mapped_column(Date)
    end_vintage: Mapped[date] = mapped_column(Date)
    total_score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(8))
    vetoes: Mapped[list[str]] = mapped_column(JSON)
    scorecard: Mapped[dict[str, Any]] = mapped_column(JSON)
    lead_count: Mapped[int | None] = mapped_column(Integer)

    evaluation: Mapped[Evaluation] = relationship(back_populates="tenure_results")
    tenure: Mapped[Tenure] = relationship()
    indicators: Mapped[list[IndicatorResult]] = relationship(order_by="IndicatorResult.id")
    transitions: Mapped[list[TransitionRow]] = relationship(order_by="TransitionRow.id")


class IndicatorResult(Base):
    __tablename__ = "indicator_results"
    __table_args__ = (UniqueConstraint("tenure_result_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenure_result_id: Mapped[int] = mapped_column(ForeignKey("tenure_results.id"))
    indicator_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    unit: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    applicable: Mapped[bool] = mapped_column(Boolean)
    veto: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


class TransitionRow(Base):
    """One cell of the group transition matrix (ha)."""

    __tablename__ = "transitions"
    __table_args__ = (UniqueConstraint("tenure_result_id", "from_group", "to_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenure_result_id: Mapped[int] = mapped_column(ForeignKey("tenure_results.id"))
    from_group: Mapped[str] = mapped_column(String(32))
    to_group: Mapped[str] = mapped_column(String(32))
    area_ha: Mapped[float] = mapped_column(Float)


class Lead(BBoxMixin, Base):
    """A lead (疑点) with its workflow state; ``id`` is the leads engine's stable id."""

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_bbox", "minx", "miny", "maxx", "maxy"), _gist("leads"))

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    tenure_id: Mapped[str] = mapped_column(ForeignKey("tenures.id"), index=True)
    area_m2: Mapped[float | None] = mapped_column(Float)
    area_ha: Mapped[float | None] = mapped_column(Float)
    area_mu: Mapped[float | None] = mapped_column(Float)
    length_m: Mapped[float | None] = mapped_column(Float)
    from_codes: Mapped[dict[str, Any]] = mapped_column(JSON)  # code -> m²
    to_codes: Mapped[dict[str, Any]] = mapped_column(JSON)
    change_vintage: Mapped[date | None] = mapped_column(Date)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    legal_basis: Mapped[Any | None] = mapped_column(JSON)
    geometry: Mapped[BaseGeometry | None] = mapped_column(GeometryType)
    # workflow
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # the latest reason given (e.g. 已批准)
    deadline: Mapped[date | None] = mapped_column(Date)  # rectification deadline
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every workflow change
    # re-runs
    present: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    disappeared_at: Mapped[datetime | None] = mapped_column()
    last_evaluation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evaluations.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[LeadEvent]] = relationship(
        order_by="LeadEvent.id", viewonly=True, lazy="raise_on_sql"
    )


class LeadEvent(Base):
    """Append-only history of a lead (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'auditor', 'reviewer', 'admin')", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignments: Mapped[list[UserDistrict]] = relationship(
        cascade="all, delete-orphan", order_by="UserDistrict.district_code", lazy="selectin"
    )

    @property
    def district_codes(self) -> list[str]:
        """Codes of the districts assigned to this user (empty: none assigned)."""
        return [a.district_code for a in self.assignments]


class UserDistrict(Base):
    """A user's district assignment (codes need not be in ``districts`` yet)."""

    __tablename__ = "user_districts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    district_code: Mapped[str] = mapped_column(String(12), primary_key=True)
