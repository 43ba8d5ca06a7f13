"""Storing one tenure's leads from an evaluation: insert new, update figures, mark the missing.

A lead's workflow (state, reason, deadline, version, history) belongs to the database and is
never touched here; only the figures the leads engine computes are refreshed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from gisaudit.errors import InputError
from gisaudit.progress import ProgressFn
from gisaudit.storage.models import Lead, LeadEvent
from gisaudit.storage.repository._common import is_missing, plain, to_date, to_float
from gisaudit.workflow import Workflow

CHUNK = 500
NOTE_CREATED = "评价生成疑点"
NOTE_REAPPEARED = "重新评价再次发现该疑点"
NOTE_DISAPPEARED = "重新评价未再发现该疑点（已标记为消失，未删除）"
_NUMBERS = ("area_m2", "area_ha", "area_mu", "length_m", "lon", "lat")


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _codes(value: Any) -> dict[str, Any]:
    if is_missing(value):
        return {}
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    return plain(dict(value))


def _figures(frame: gpd.GeoDataFrame, tenure_id: str, district_code: str) -> list[dict[str, Any]]:
    """The engine's figures for each lead, as column -> value (geometry in EPSG:4326)."""
    if frame.empty:
        return []
    if frame.crs is None:
        raise InputError(f"任期“{tenure_id}”的疑点图层没有坐标系，无法保存。")
    if "id" not in frame.columns or "rule" not in frame.columns:
        raise InputError(f"任期“{tenure_id}”的疑点缺少 id 或 rule 字段，无法保存。")
    geoms = frame.geometry.to_crs(4326).values
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    rows = []
    for record, geom, box in zip(records, geoms, bounds, strict=True):
        empty = geom is None or geom.is_empty
        row = {
            "id": str(record["id"]),
            "rule": str(record["rule"]),
            "name": str(record.get("name") or record["rule"]),
            "severity": str(record.get("severity") or ""),
            "district_code": district_code,
            "tenure_id": tenure_id,
            "from_codes": _codes(record.get("from_codes")),
            "to_codes": _codes(record.get("to_codes")),
            "change_vintage": to_date(record.get("change_vintage")),
            "legal_basis": plain(record.get("legal_basis")),
            "geometry": None if empty else geom,
            **{name: to_float(record.get(name)) for name in _NUMBERS},
        }
        row.update(
            zip(
                ("minx", "miny", "maxx", "maxy"),
                [None] * 4 if empty else map(float, box),
                strict=True,
            )
        )
        rows.append(row)
    return rows


def sync_leads(
    session: Session,
    leads: gpd.GeoDataFrame,
    *,
    tenure_id: str,
    district_code: str,
    evaluation_id: uuid.UUID,
    now: datetime,
    user: str,
    workflow: Workflow,
    progress: ProgressFn | None = None,
) -> None:
    """Bring the stored leads of ``tenure_id`` in line with this evaluation's ``leads``."""
    rows = _figures(leads, tenure_id, district_code)
    ids = [row["id"] for row in rows]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise InputError(f"任期“{tenure_id}”的疑点编号重复：{'、'.join(dupes)}。疑点编号必须唯一。")
    existing: dict[str, tuple[bool, str]] = {}
    for chunk in _chunks(ids):
        query = select(Lead.id, Lead.present, Lead.state).where(Lead.id.in_(chunk))
        existing.update((i, (present, state)) for i, present, state in session.execute(query))

    touch = {
        "present": True,
        "disappeared_at": None,
        "last_evaluation_id": evaluation_id,
        "updated_at": now,
    }
    new_rows, old_rows, events = [], [], []
    for row in rows:
        row.update(touch)
        if row["id"] not in existing:
            initial = workflow.initial.name
            new_rows.append({**row, "state": initial, "version": 1, "first_seen_at": now})
            events.append(_event(row["id"], now, user, None, initial, NOTE_CREATED))
            continue
        old_rows.append(row)
        present, state = existing[row["id"]]
        if not present:
            events.append(_event(row["id"], now, user, state, state, NOTE_REAPPEARED))

    done, total = 0, len(rows)
    for rows_chunk, statement in [(c, insert(Lead)) for c in _chunks(new_rows)] + [
        (c, update(Lead)) for c in _chunks(old_rows)
    ]:
        session.execute(statement, list(rows_chunk))
        done += len(rows_chunk)
        if progress is not None:
            progress(f"保存任期 {tenure_id} 的疑点", done, total)

    missing = (
        Lead.tenure_id == tenure_id,
        Lead.present.is_(True),
        or_(Lead.last_evaluation_id.is_(None), Lead.last_evaluation_id != evaluation_id),
    )
    gone = session.execute(select(Lead.id, Lead.state).where(*missing)).all()
    if gone:
        session.execute(
            update(Lead)
            .where(*missing)
            .values(present=False, disappeared_at=now, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
        events += [_event(i, now, user, s, s, NOTE_DISAPPEARED) for i, s in gone]
    for chunk in _chunks(events):
        session.execute(insert(LeadEvent), list(chunk))


def _event(
    lead_id: str, at: datetime, user: str, from_state: str | None, to_state: str, note: str
) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "at": at,
        "user": user,
        "from_state": from_state,
        "to_state": to_state,
        "reason": None,
        "deadline": None,
        "note": note,
    }
