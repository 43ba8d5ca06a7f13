"""Lead rules (疑点规则) as data: the pydantic model and the YAML loader.

The default rules ship in ``gisaudit/rules/lead_rules.yaml`` (spec §8). An auditor's own rule
file has the same shape; its rules are added to the defaults, a rule with a default rule's id
replaces it, and ``enabled: false`` switches a rule off.

Selectors: ``from`` / ``to`` name a theme of the land-class table (``farmland``) or its
complement (``not farmland``). Zones: ``inside`` / ``outside`` name a zone kind of the
package (``pbf``, ``redline``, ``approvals``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gisaudit.errors import ConfigError
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.model import ZONE_KINDS
from gisaudit.leads.yamlconf import config_error, read_yaml

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
SEVERITY_NAMES: dict[str, str] = {"critical": "严重", "high": "高", "medium": "中", "low": "低"}
COAST_CLASSES: tuple[str, ...] = ("natural", "artificial", "estuary")


def parse_selector(selector: str) -> tuple[bool, str]:
    """Split a selector into (negated, theme): ``"not farmland"`` -> ``(True, "farmland")``."""
    words = selector.split()
    if len(words) == 2 and words[0] == "not":
        return True, words[1]
    if len(words) == 1:
        return False, words[0]
    raise ValueError(f"选择条件 {selector!r} 无效，应为“专题”或“not 专题”")


class LeadRule(BaseModel):
    """One lead rule: which change (or coastline loss) in which zone, how big, how severe."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    kind: Literal["area", "coastline_loss"] = "area"
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    inside: str | None = None
    outside: str | None = None
    min_area_m2: float | None = Field(default=None, ge=0)
    min_length_m: float | None = Field(default=None, ge=0)
    distance_m: float = Field(default=30.0, gt=0)
    coast_class: str = "natural"
    severity: str
    knowledge: str | None = None
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    enabled: bool = True
    description: str = ""

    @field_validator("from_", "to")
    @classmethod
    def _known_theme(cls, value: str | None) -> str | None:
        if value is None:
            return value
        _, theme = parse_selector(value)
        themes = default_class_table().themes
        if theme not in themes:
            raise ValueError(f"未知专题 {theme!r}，可用：{'、'.join(sorted(themes))}")
        return value

    @field_validator("inside", "outside")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in ZONE_KINDS:
            raise ValueError(f"未知区域 {value!r}，可用：{'、'.join(ZONE_KINDS)}")
        return value

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: str) -> str:
        if value not in SEVERITIES:
            raise ValueError(f"未知严重程度 {value!r}，可用：{'、'.join(SEVERITIES)}")
        return value

    @field_validator("coast_class")
    @classmethod
    def _known_coast_class(cls, value: str) -> str:
        if value not in COAST_CLASSES:
            raise ValueError(f"未知岸线类别 {value!r}，可用：{'、'.join(COAST_CLASSES)}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> LeadRule:
        if self.kind == "area":
            missing = [n for n, v in (("from", self.from_), ("to", self.to),
                                      ("min_area_m2", self.min_area_m2)) if v is None]  # fmt: skip
            if missing:
                raise ValueError(f"面积类规则须填写 {'、'.join(missing)}")
        elif self.min_length_m is None:
            raise ValueError("岸线类规则须填写 min_length_m")
        if self.inside is not None and self.inside == self.outside:
            raise ValueError("inside 与 outside 不能是同一区域")
        return self

    @property
    def knowledge_key(self) -> str:
        """Key of this rule's entry in the knowledge base (defaults to the rule id)."""
        return self.knowledge or self.id

    @property
    def minimum(self) -> float:
        """Minimum size of a lead: m² for area rules, m for coastline rules."""
        return float(self.min_area_m2 if self.kind == "area" else self.min_length_m or 0.0)


class _RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | str | None = None
    rules: list[LeadRule]


def _parse(source: str | Path, text: str | None = None) -> list[LeadRule]:
    data, file_locate, name = read_yaml(source, text)
    if isinstance(data, list):  # a bare list of rules is accepted too
        data = {"rules": data}

        def locate(path: Sequence[int | str]) -> int:
            return file_locate(list(path)[1:])
    else:
        locate = file_locate
    if not isinstance(data, dict):
        raise ConfigError(f"{name} 第 1 行：应为包含 rules 列表的映射。请参照默认规则文件。")
    try:
        parsed = _RuleFile.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, name, locate, ()) from None
    seen: set[str] = set()
    for i, rule in enumerate(parsed.rules):
        if rule.id in seen:
            line = locate(["rules", i, "id"])
            raise ConfigError(f"{name} 第 {line} 行，字段 id：规则编号 {rule.id!r} 重复。请改名。")
        seen.add(rule.id)
    return parsed.rules


def default_rules_text() -> str:
    """The text of the shipped default rule file."""
    return resources.files("gisaudit.rules").joinpath("lead_rules.yaml").read_text("utf-8")


@functools.cache
def _default_rules() -> tuple[LeadRule, ...]:
    return tuple(_parse("lead_rules.yaml", default_rules_text()))


def load_lead_rules(
    path: str | Path | None = None, *, include_defaults: bool = True
) -> list[LeadRule]:
    """Load the lead rules: the shipped defaults, plus (or replaced per id by) ``path``'s rules.

    Disabled rules (``enabled: false``) are dropped. Raises ConfigError naming the file, line
    and field for bad YAML, unknown theme, unknown zone or unknown severity.
    """
    rules: dict[str, LeadRule] = {}
    if include_defaults or path is None:
        for rule in _default_rules():
            rules[rule.id] = rule
    if path is not None:
        for rule in _parse(Path(path)):
            rules.pop(rule.id, None)
            rules[rule.id] = rule
    return [r for r in rules.values() if r.enabled]
