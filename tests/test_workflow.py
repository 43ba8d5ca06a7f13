"""The lead workflow (spec §8) as pure domain rules: every allowed and every refused change."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from gisaudit.errors import ConfigError, GisAuditError, WorkflowError
from gisaudit.workflow import default_workflow, workflow_from_dict

STATES = {
    "pending": "待核实",
    "verifying": "核实中",
    "confirmed": "已确认",
    "dismissed": "已排除",
    "rectifying": "整改中",
    "rectified": "已整改",
}
ALLOWED = {
    ("pending", "verifying"),
    ("verifying", "confirmed"),
    ("verifying", "dismissed"),
    ("confirmed", "rectifying"),
    ("rectifying", "rectified"),
}
REFUSED = sorted(set(itertools.product(STATES, STATES)) - ALLOWED)
NEEDS = {"dismissed": {"reason": "数据误差"}, "rectifying": {"deadline": date(2026, 6, 30)}}


def test_states_have_chinese_names_and_english_ids():
    flow = default_workflow()
    assert {s.id: s.name for s in flow.states} == STATES
    assert flow.initial.name == "待核实"
    for sid, name in STATES.items():
        assert flow.state(sid) == flow.state(name)


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed_transition(source, target):
    flow = default_workflow()
    transition = flow.check(STATES[source], STATES[target], **NEEDS.get(target, {}))
    assert (transition.source.id, transition.target.id) == (source, target)
    # English ids work as well as the stored Chinese names
    assert flow.check(source, target, **NEEDS.get(target, {})) == transition


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_refused_transition(source, target):
    with pytest.raises(WorkflowError) as info:
        default_workflow().check(
            STATES[source], STATES[target], reason="已批准", deadline=date(2026, 1, 1)
        )
    assert info.value.code == "workflow_refused"
    assert isinstance(info.value, GisAuditError)
    message = str(info.value)
    assert STATES[target] in message
    if source != target:
        assert f"从“{STATES[source]}”改为“{STATES[target]}”" in message


def test_refusal_says_what_is_possible_instead():
    with pytest.raises(WorkflowError, match="当前只能改为：“核实中”"):
        default_workflow().check("待核实", "已确认")
    with pytest.raises(WorkflowError, match="最终状态"):
        default_workflow().check("已整改", "整改中")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_dismissal_needs_a_reason(reason):
    with pytest.raises(WorkflowError, match=r"必须填写原因.*已批准、数据误差、临时用地"):
        default_workflow().check("核实中", "已排除", reason=reason)


def test_rectification_needs_a_deadline_date():
    with pytest.raises(WorkflowError, match="必须填写整改期限"):
        default_workflow().check("已确认", "整改中")
    with pytest.raises(WorkflowError, match="不是日期"):
        default_workflow().check("已确认", "整改中", deadline="下个月")  # type: ignore[arg-type]


def test_unknown_state_is_refused_in_chinese():
    with pytest.raises(WorkflowError, match="未知的疑点状态“closed”"):
        default_workflow().check("待核实", "closed")


def test_next_states_and_rate_counters():
    flow = default_workflow()
    assert [s.id for s in flow.next_states("核实中")] == ["confirmed", "dismissed"]
    assert flow.next_states("rectified") == []
    assert flow.confirmed_names == {"已确认", "整改中", "已整改"}
    assert flow.rectified_names == {"已整改"}


def test_inconsistent_workflow_file_is_a_config_error():
    with pytest.raises(ConfigError, match="流程配置错误"):
        workflow_from_dict({"initial": "a", "states": {"a": {"name": "甲"}},
                            "transitions": [{"from": "a", "to": "b"}]})  # fmt: skip
    with pytest.raises(ConfigError, match="未知的必填项"):
        two = {"a": {"name": "甲"}, "b": {"name": "乙"}}
        needs_photo = [{"from": "a", "to": "b", "requires": ["photo"]}]
        workflow_from_dict({"initial": "a", "states": two, "transitions": needs_photo})
