"""Column types that behave the same on SQLite and on PostgreSQL + PostGIS.

- ``GeometryType``: a shapely geometry in EPSG:4326. On PostgreSQL it is a GeoAlchemy2
  ``Geometry(srid=4326)`` column (GeoAlchemy2 supports a TypeDecorator whose dialect impl is a
  Geometry); on SQLite, whose Python module here cannot load SpatiaLite, it is the WKB bytes.
- ``UTCDateTime``: an aware UTC datetime (``timestamptz`` on PostgreSQL; naive UTC text on
  SQLite, made aware again on reading).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from geoalchemy2 import Geometry
from geoalchemy2.elements import WKBElement
from shapely.geometry.base import BaseGeometry
from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

SRID = 4326


class GeometryType(TypeDecorator[BaseGeometry]):
    """Shapely geometry in EPSG:4326: PostGIS ``geometry(GEOMETRY,4326)`` or WKB on SQLite."""

    impl = LargeBinary
    cache_ok = True
    spatial_index = False  # the GiST index is declared explicitly (see models.py)

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        # GeoAlchemy2 also calls this with dialect=None when it looks for raster columns
        if dialect is not None and dialect.name == "postgresql":
            return dialect.type_descriptor(Geometry(srid=SRID, spatial_index=False))
        if dialect is None:
            return self.impl_instance
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, BaseGeometry):
            raise TypeError(f"GeometryType expects a shapely geometry, got {type(value)!r}")
        if dialect.name == "postgresql":
            # hex EWKB: exact (no WKT rounding); ST_GeomFromEWKT accepts it
            return shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        if isinstance(value, WKBElement):
            value = value.data
        if isinstance(value, str):
            return shapely.from_wkb(bytes.fromhex(value))
        geom = shapely.from_wkb(bytes(value))
        return shapely.set_srid(geom, 0) if shapely.get_srid(geom) else geom


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
