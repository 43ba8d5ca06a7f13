"""kill -9 in the middle of saving an evaluation leaves the database exactly as it was, and the
next run works; on both databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from gisaudit.storage import session_scope
from gisaudit.storage.models import Base
from gisaudit.storage.repository import change_lead_state, get_lead, list_leads, save_evaluation
from tests.storage.factories import lead_frame, tenure_result, unique

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("crash_writer.py")
N_LEADS = 3000


def _dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (geometry as WKB hex)."""
    tables = {**Base.metadata.tables}
    out = {}
    with engine.connect() as conn:
        for name, table in tables.items():
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            out[name] = [
                tuple(v.wkb_hex if isinstance(v, BaseGeometry) else v for v in row) for row in rows
            ]
        out["alembic_version"] = conn.execute(sa.text("SELECT * FROM alembic_version")).all()
    return out


def _save(engine, tenure: str, district: str, indices) -> str:
    result = tenure_result(tenure, district, lead_frame(tenure, district, indices))
    return save_evaluation(engine, "崩溃测试", {}, "tianjin-2025", "1.0", [result])


@pytest.mark.slow
def test_kill_9_midway_through_saving(engine, tmp_path):
    tenure, district = unique("T"), "760000"
    _save(engine, tenure, district, range(50))
    seeded = lead_frame(tenure, district, range(3)).id
    with session_scope(engine) as s:
        change_lead_state(s, seeded[0], "核实中", user="李审计", expected_version=1, note="已派员")
        change_lead_state(s, seeded[1], "核实中", user="李审计", expected_version=1)
        change_lead_state(s, seeded[1], "已确认", user="李审计", expected_version=2)
    before = _dump(engine)

    ready = tmp_path / "ready"
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), url, str(ready), tenure, district, str(N_LEADS)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            if writer.poll() is not None:
                pytest.fail(f"the writer ended early: {writer.stderr.read().decode()}")
            assert time.monotonic() < deadline, "the writer never got going"
            time.sleep(0.05)
        assert "/3000" in ready.read_text("utf-8")  # part of the leads written, not all
        # while the writer sits in its open transaction, nobody sees its rows
        assert _dump(engine) == before
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    assert _dump(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"

    # the next run works and keeps the workflow
    _save(engine, tenure, district, range(N_LEADS))
    with session_scope(engine) as s:
        assert list_leads(s, tenure_id=tenure, limit=1).total == N_LEADS
        assert (get_lead(s, seeded[0]).state, get_lead(s, seeded[0]).version) == ("核实中", 2)
        assert get_lead(s, seeded[1]).state == "已确认"
        assert get_lead(s, seeded[0]).events[1].note == "已派员"
