"""Lead state changes through the repository, on both databases: the workflow table, required
reason and deadline, optimistic concurrency, and the append-only history."""

from __future__ import annotations

import ast
import itertools
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from gisaudit.errors import InputError, NotFoundError, StaleUpdateError, WorkflowError
from gisaudit.storage import make_session_factory, session_scope
from gisaudit.storage.repository import (
    add_lead_note,
    change_lead_state,
    get_lead,
    lead_history,
    save_evaluation,
)
from tests.storage.factories import lead_frame, tenure_result, unique

STATES = ["待核实", "核实中", "已确认", "已排除", "整改中", "已整改"]
ALLOWED = {("待核实", "核实中"), ("核实中", "已确认"), ("核实中", "已排除"),
           ("已确认", "整改中"), ("整改中", "已整改")}  # fmt: skip
PATH_TO = {  # how to reach each state from 待核实
    "待核实": [],
    "核实中": ["核实中"],
    "已确认": ["核实中", "已确认"],
    "已排除": ["核实中", "已排除"],
    "整改中": ["核实中", "已确认", "整改中"],
    "已整改": ["核实中", "已确认", "整改中", "已整改"],
}
EXTRAS = {"已排除": {"reason": "临时用地"}, "整改中": {"deadline": date(2026, 6, 30)}}


def _new_lead(engine) -> str:
    district, tenure = f"8{uuid.uuid4().int % 10**5:05d}", unique("T")
    leads = lead_frame(tenure, district, [0])
    save_evaluation(
        engine, "包", {}, "tianjin-2025", "1.0", [tenure_result(tenure, district, leads)]
    )
    return str(leads.id[0])


def _walk(engine, lead_id: str, path: list[str]) -> None:
    with session_scope(engine) as s:
        for version, state in enumerate(path, start=1):
            change_lead_state(
                s, lead_id, state, user="李审计", expected_version=version, **EXTRAS.get(state, {})
            )


def _snapshot(engine, lead_id: str) -> tuple:
    with session_scope(engine) as s:
        lead = get_lead(s, lead_id)
        return lead.state, lead.version, lead.reason, lead.deadline, len(lead.events)


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STATES, STATES)))
def test_transition_table(engine, source, target):
    lead_id = _new_lead(engine)
    _walk(engine, lead_id, PATH_TO[source])
    version = len(PATH_TO[source]) + 1
    before = _snapshot(engine, lead_id)
    if (source, target) in ALLOWED:
        with session_scope(engine) as s:
            lead = change_lead_state(s, lead_id, target, user="王复核", expected_version=version,
                                     note="现场核查", **EXTRAS.get(target, {}))  # fmt: skip
            assert (lead.state, lead.version) == (target, version + 1)
        with session_scope(engine) as s:
            lead = get_lead(s, lead_id)
            assert (lead.state, lead.version) == (target, version + 1)
            last = lead.events[-1]
            assert (last.user, last.from_state, last.to_state, last.note) == (
                "王复核", source, target, "现场核查")  # fmt: skip
            assert last.at.tzinfo is not None
            assert len(lead.events) == before[4] + 1
    else:
        with pytest.raises(WorkflowError) as info, session_scope(engine) as s:
            change_lead_state(s, lead_id, target, user="王复核", expected_version=version,
                              reason="已批准", deadline=date(2026, 1, 1))  # fmt: skip
        assert info.value.code == "workflow_refused"
        assert target in str(info.value)
        assert _snapshot(engine, lead_id) == before


def test_dismissal_needs_a_reason_and_keeps_it(engine):
    lead_id = _new_lead(engine)
    _walk(engine, lead_id, ["核实中"])
    with pytest.raises(WorkflowError, match="必须填写原因"), session_scope(engine) as s:
        change_lead_state(s, lead_id, "已排除", user="王复核", expected_version=2)
    assert _snapshot(engine, lead_id)[:2] == ("核实中", 2)
    with session_scope(engine) as s:
        change_lead_state(
            s, lead_id, "dismissed", user="王复核", expected_version=2, reason="已批准"
        )
    with session_scope(engine) as s:
        lead = get_lead(s, lead_id)
        assert (lead.state, lead.reason, lead.events[-1].reason) == ("已排除", "已批准", "已批准")


def test_rectification_needs_a_deadline_and_keeps_it(engine):
    lead_id = _new_lead(engine)
    _walk(engine, lead_id, ["核实中", "已确认"])
    with pytest.raises(WorkflowError, match="必须填写整改期限"), session_scope(engine) as s:
        change_lead_state(s, lead_id, "整改中", user="王复核", expected_version=3)
    with session_scope(engine) as s:
        change_lead_state(
            s, lead_id, "整改中", user="王复核", expected_version=3, deadline=date(2026, 9, 1)
        )
    with session_scope(engine) as s:
        lead = get_lead(s, lead_id)
        assert (lead.state, lead.deadline, lead.events[-1].deadline) == (
            "整改中", date(2026, 9, 1), date(2026, 9, 1))  # fmt: skip


def test_stale_update_is_refused_and_nothing_is_lost(engine):
    lead_id = _new_lead(engine)
    factory = make_session_factory(engine)
    # two auditors open the same lead at version 1
    with factory() as s:
        assert get_lead(s, lead_id).version == 1
    with session_scope(engine) as s:
        change_lead_state(s, lead_id, "核实中", user="甲", expected_version=1, note="甲先到")
    with pytest.raises(StaleUpdateError, match="已被他人修改") as info, session_scope(engine) as s:
        change_lead_state(s, lead_id, "核实中", user="乙", expected_version=1, note="乙后到")
    assert info.value.code == "stale_update"
    with session_scope(engine) as s:
        lead = get_lead(s, lead_id)
        assert (lead.state, lead.version) == ("核实中", 2)
        assert [(e.user, e.note) for e in lead.events] == [
            ("系统", "评价生成疑点"),
            ("甲", "甲先到"),
        ]


@pytest.mark.parametrize("target", ["核实中", "已确认"])
def test_stale_read_inside_an_open_transaction(engine, target):
    """The slow session read the lead in its still-open transaction; the fast one committed a
    change since. The slow change must be refused as stale (not judged on its old snapshot)."""
    lead_id = _new_lead(engine)
    factory = make_session_factory(engine)
    with factory() as slow:
        seen = get_lead(slow, lead_id).version
        with session_scope(engine) as fast:
            change_lead_state(fast, lead_id, "核实中", user="甲", expected_version=seen)
        with pytest.raises(StaleUpdateError, match="已被他人修改"):
            change_lead_state(slow, lead_id, target, user="乙", expected_version=seen)
        slow.rollback()
    with session_scope(engine) as s:
        lead = get_lead(s, lead_id)
        assert (lead.state, lead.version, [e.user for e in lead.events]) == (
            "核实中", 2, ["系统", "甲"])  # fmt: skip


def test_user_is_required_and_unknown_lead_is_not_found(engine):
    lead_id = _new_lead(engine)
    with pytest.raises(InputError, match="操作人"), session_scope(engine) as s:
        change_lead_state(s, lead_id, "核实中", user=" ", expected_version=1)
    with pytest.raises(NotFoundError, match="未找到疑点"), session_scope(engine) as s:
        change_lead_state(s, "L-none", "核实中", user="甲", expected_version=1)


def test_notes_append_without_changing_state(engine):
    lead_id = _new_lead(engine)
    with session_scope(engine) as s:
        add_lead_note(s, lead_id, user="甲", note="约定周三现场核查")
    with session_scope(engine) as s:
        history = lead_history(s, lead_id)
        assert [(e.from_state, e.to_state, e.note) for e in history][-1] == (
            "待核实", "待核实", "约定周三现场核查")  # fmt: skip
        assert get_lead(s, lead_id).version == 1
    with pytest.raises(InputError, match="备注不能为空"), session_scope(engine) as s:
        add_lead_note(s, lead_id, user="甲", note="")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE lead_events SET note = '篡改' WHERE lead_id = :lead",
        "DELETE FROM lead_events WHERE lead_id = :lead",
    ],
)
def test_history_is_append_only_at_the_database(engine, statement):
    lead_id = _new_lead(engine)
    _walk(engine, lead_id, ["核实中"])
    with pytest.raises(DBAPIError, match="只能追加"), engine.begin() as conn:
        conn.execute(sa.text(statement), {"lead": lead_id})
    with session_scope(engine) as s:
        assert [e.note for e in lead_history(s, lead_id)] == ["评价生成疑点", None]


def test_truncate_of_history_is_refused_on_postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="只能追加"), engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE lead_events CASCADE"))


def test_repository_has_no_path_that_rewrites_history():
    root = Path(__file__).resolve().parents[2] / "gisaudit" / "storage" / "repository"
    offenders = []
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"update", "delete"}
                and any(isinstance(a, ast.Name) and a.id == "LeadEvent" for a in node.args)
            ):
                offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "delete":
                offenders.append(f"{path.name}:{node.lineno} (session.delete)")
    assert offenders == []
