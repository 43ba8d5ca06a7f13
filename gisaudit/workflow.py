"""The lead (疑点) workflow: states, allowed transitions and what each one requires.

The workflow is data (``gisaudit/rules/workflow.yaml``); this module reads and applies it and
knows nothing of databases. States are stored by their Chinese name (``待核实`` …); each also
has an English id (``pending`` …) and either form is accepted wherever a state is asked for.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import yaml

from gisaudit.errors import ConfigError, WorkflowError

# what a transition can require, with the Chinese label used in refusals
_REQUIREMENTS = {"reason": "原因", "deadline": "整改期限"}


@dataclass(frozen=True)
class State:
    """One workflow state: English ``id``, Chinese ``name`` (the stored value) and counters."""

    id: str
    name: str
    confirmed: bool = False  # counts as "confirmed" for the rectification rate
    rectified: bool = False  # counts as "rectified"


@dataclass(frozen=True)
class Transition:
    """An allowed change from one state to another; ``requires`` ⊆ {"reason", "deadline"}."""

    source: State
    target: State
    action: str
    requires: frozenset[str]


@dataclass(frozen=True)
class Workflow:
    """The lead workflow: look up states, list and check transitions."""

    version: str
    initial: State
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    reasons: tuple[str, ...]

    def state(self, value: str) -> State:
        """Return the state named ``value`` (Chinese name or English id), or raise WorkflowError.

        >>> default_workflow().state("pending").name
        '待核实'
        >>> default_workflow().state("已整改").id
        'rectified'
        """
        for state in self.states:
            if value in (state.id, state.name):
                return state
        known = "、".join(s.name for s in self.states)
        raise WorkflowError(f"未知的疑点状态“{value}”。可用的状态：{known}。")

    def next_states(self, current: str) -> list[State]:
        """The states a lead in ``current`` may move to, in the order of the workflow file."""
        source = self.state(current)
        return [t.target for t in self.transitions if t.source == source]

    def check(
        self,
        current: str,
        target: str,
        *,
        reason: str | None = None,
        deadline: date | None = None,
    ) -> Transition:
        """Return the transition ``current`` → ``target``, or raise WorkflowError saying why not.

        A refusal names both states, what the lead may move to instead, and any missing reason
        or deadline.
        """
        source, dest = self.state(current), self.state(target)
        if source == dest:
            raise WorkflowError(f"疑点已处于“{dest.name}”状态，无需变更。")
        for transition in self.transitions:
            if transition.source == source and transition.target == dest:
                self._check_requirements(transition, reason, deadline)
                return transition
        allowed = self.next_states(source.id)
        if not allowed:
            hint = f"“{source.name}”是最终状态，不能再变更。"
        else:
            hint = "当前只能改为：" + "、".join(f"“{s.name}”" for s in allowed) + "。"
        raise WorkflowError(f"不能将疑点从“{source.name}”改为“{dest.name}”：{hint}")

    def _check_requirements(
        self, transition: Transition, reason: str | None, deadline: date | None
    ) -> None:
        target = transition.target.name
        if "reason" in transition.requires and not (reason and reason.strip()):
            examples = "、".join(self.reasons)
            example_text = f"（如：{examples}）" if examples else ""
            raise WorkflowError(f"将疑点改为“{target}”必须填写原因{example_text}。")
        if "deadline" in transition.requires:
            if deadline is None:
                raise WorkflowError(f"将疑点改为“{target}”必须填写整改期限（日期）。")
            if not isinstance(deadline, date):
                raise WorkflowError(f"整改期限“{deadline}”不是日期，请按 YYYY-MM-DD 填写。")

    @property
    def confirmed_names(self) -> frozenset[str]:
        """Stored names of the states that count as confirmed (已确认, 整改中, 已整改)."""
        return frozenset(s.name for s in self.states if s.confirmed)

    @property
    def rectified_names(self) -> frozenset[str]:
        """Stored names of the states that count as rectified (已整改)."""
        return frozenset(s.name for s in self.states if s.rectified)


def workflow_from_dict(data: Mapping[str, Any]) -> Workflow:
    """Build a Workflow from its YAML mapping; raise ConfigError when it is inconsistent."""
    try:
        states = tuple(
            State(
                id=str(sid),
                name=str(spec["name"]),
                confirmed=bool(spec.get("confirmed", False)),
                rectified=bool(spec.get("rectified", False)),
            )
            for sid, spec in data["states"].items()
        )
        by_id = {s.id: s for s in states}
        transitions = []
        for item in data["transitions"]:
            requires = frozenset(item.get("requires", []))
            unknown = requires - set(_REQUIREMENTS)
            if unknown:
                raise ConfigError(f"流程配置错误：未知的必填项 {sorted(unknown)}。")
            transitions.append(
                Transition(
                    source=by_id[item["from"]],
                    target=by_id[item["to"]],
                    action=str(item.get("action", "")),
                    requires=requires,
                )
            )
        initial = by_id[data["initial"]]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"流程配置错误：缺少或无法识别 {exc}。请对照默认的 workflow.yaml 修改。"
        ) from exc
    names = [s.name for s in states]
    if len(set(names)) != len(names):
        raise ConfigError("流程配置错误：状态名称重复。")
    return Workflow(
        version=str(data.get("version", "")),
        initial=initial,
        states=states,
        transitions=tuple(transitions),
        reasons=tuple(str(r) for r in data.get("reasons", [])),
    )


@functools.cache
def default_workflow() -> Workflow:
    """Return the workflow shipped with gisaudit (``rules/workflow.yaml``)."""
    text = resources.files("gisaudit.rules").joinpath("workflow.yaml").read_text("utf-8")
    return workflow_from_dict(yaml.safe_load(text))
