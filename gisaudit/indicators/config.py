"""The indicator system as data: pydantic models of the YAML, and loading it with line numbers.

An auditor copies ``gisaudit/rules/tianjin-2025.yaml``, changes weights, thresholds, vetoes or
formulas, and passes it with ``--indicators FILE``. Every mistake is reported as a
``ConfigError`` naming the file, the line and the field, in Chinese.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gisaudit.change.transitions import parse_selector
from gisaudit.errors import ConfigError
from gisaudit.layers.classes import default_class_table

DEFAULT_SYSTEM = "tianjin-2025"
GRADES: tuple[str, ...] = ("好", "较好", "一般", "较差", "差")
FormulaKind = Literal[
    "retention",
    "target_attainment",
    "transition_area",
    "growth_rate",
    "coverage_change",
    "coastline_rate",
]
ScoringKind = Literal["higher_better", "lower_better", "target"]
ZoneKind = Literal["pbf", "redline", "approvals"]  # gisaudit.layers.model.ZONE_KINDS
Number = Annotated[float, Field(strict=True)]
Grade = Literal["好", "较好", "一般", "较差", "差"]
COASTLINE_THEME = "coastline"

# fields each formula kind needs (the engine has one function per kind)
FORMULA_FIELDS: dict[str, tuple[str, ...]] = {
    "retention": ("theme",),
    "target_attainment": ("theme",),
    "transition_area": ("from", "to"),
    "growth_rate": ("theme",),
    "coverage_change": ("theme",),
    "coastline_rate": ("coast_class",),
}


def _check_theme(value: str | None, allow_not: bool) -> str | None:
    if value is None:
        return value
    negate, theme = parse_selector(value)
    if negate and not allow_not:
        raise ValueError(f"此处不能使用“not”取反：{value!r}")
    table = default_class_table()
    if theme not in table.themes:
        known = "、".join(table.themes)
        raise ValueError(f"未知专题 {theme!r}（可用专题：{known}）")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Formula(_Strict):
    """How an indicator's value is computed: ``kind`` plus the fields that kind needs."""

    kind: FormulaKind
    theme: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    inside: ZoneKind | None = None
    outside: ZoneKind | None = None
    coast_class: Literal["natural", "artificial", "estuary"] = "natural"

    @field_validator("theme")
    @classmethod
    def _theme(cls, v: str | None) -> str | None:
        return _check_theme(v, allow_not=False)

    @field_validator("from_", "to")
    @classmethod
    def _selector(cls, v: str | None) -> str | None:
        return _check_theme(v, allow_not=True)

    @model_validator(mode="after")
    def _kind_fields(self) -> Formula:
        for name in FORMULA_FIELDS[self.kind]:
            if getattr(self, "from_" if name == "from" else name) is None:
                raise ValueError(f"公式类型 {self.kind} 缺少字段 {name}")
        if self.inside and self.outside:
            raise ValueError("inside 与 outside 只能填写一个")
        return self

    @property
    def zone(self) -> str | None:
        """The zone the formula is restricted to (inside or outside), if any."""
        return self.inside or self.outside


class Scoring(_Strict):
    """How a value becomes a 0..100 score (linear between ``zero`` and ``full``).

    ``relative_to: start`` makes the thresholds offsets from the indicator's start value;
    ``otherwise`` is used by ``kind: target`` when no target is given.
    """

    kind: ScoringKind
    full: Number | None = None
    zero: Number | None = None
    relative_to: Literal["start"] | None = None
    otherwise: Scoring | None = None

    @model_validator(mode="after")
    def _thresholds(self) -> Scoring:
        if self.kind == "target":
            return self
        if self.full is None or self.zero is None:
            raise ValueError(f"评分方式 {self.kind} 须同时填写 full 与 zero")
        if self.kind == "higher_better" and self.full < self.zero:
            raise ValueError("higher_better 的 full 不能小于 zero")
        if self.kind == "lower_better" and self.full > self.zero:
            raise ValueError("lower_better 的 full 不能大于 zero")
        return self


class Veto(_Strict):
    """一票否决: fires when the value is above ``above`` (or below ``below``)."""

    above: Number | None = None
    below: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> Veto:
        if self.above is None and self.below is None:
            raise ValueError("veto 须填写 above 或 below")
        return self


class IndicatorDef(_Strict):
    """One indicator of the system."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str
    theme: str
    unit: str
    formula: Formula
    scoring: Scoring
    weight: Annotated[float, Field(strict=True, ge=0)]
    veto: Veto | None = None
    description: str = ""

    @field_validator("theme")
    @classmethod
    def _theme(cls, v: str) -> str:
        return v if v == COASTLINE_THEME else str(_check_theme(v, allow_not=False))


class GradeBand(_Strict):
    """A grade given from ``min`` points up."""

    min: Number
    grade: Grade


class IndicatorSystem(_Strict):
    """A whole indicator system (评价指标体系)."""

    id: str
    name: str
    version: str
    grades: list[GradeBand]
    veto_cap: Grade = "较差"
    indicators: Annotated[list[IndicatorDef], Field(min_length=1)]
    source: str = Field(default="", exclude=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _unique(self) -> IndicatorSystem:
        ids = [i.id for i in self.indicators]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"指标 id 重复：{'、'.join(dup)}")
        if not self.grades:
            raise ValueError("grades 不能为空")
        return self

    def grade_for(self, total: float) -> str:
        """The grade of a total score (bands checked from the highest ``min`` down)."""
        for band in sorted(self.grades, key=lambda b: -b.min):
            if total >= band.min:
                return band.grade
        return GRADES[-1]


def load_indicator_system(source: str | Path | None = None) -> IndicatorSystem:
    """Load an indicator system: None/"default"/"tianjin-2025" = the shipped one, else a path."""
    if source is None or str(source) in ("default", DEFAULT_SYSTEM):
        text = (
            resources.files("gisaudit.rules").joinpath(f"{DEFAULT_SYSTEM}.yaml").read_text("utf-8")
        )
        return parse_indicator_system(text, f"{DEFAULT_SYSTEM}.yaml")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"找不到指标体系文件 {path}。请检查路径。") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"无法读取指标体系文件 {path}（{exc}）。请确认是 UTF-8 编码的 YAML 文件。"
        ) from exc
    return parse_indicator_system(text, str(path))


def parse_indicator_system(text: str, source: str = "<指标体系>") -> IndicatorSystem:
    """Parse and validate indicator-system YAML text; ConfigError names the line and field."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f"第 {mark.line + 1} 行" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"指标体系文件 {source} {line}：YAML 语法错误（{problem}）。请检查缩进、冒号和引号。"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"指标体系文件 {source}：内容应为一个映射"
            "（id、name、version、grades、indicators 等字段）。"
        )
    try:
        system = IndicatorSystem.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(err, node, data) for err in exc.errors()]
        raise ConfigError(
            f"指标体系文件 {source} 有 {len(lines)} 处错误：\n" + "\n".join(lines)
        ) from exc
    return system.model_copy(update={"source": source})


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（请检查拼写）",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "greater_than_equal": "不能为负数",
    "string_pattern_mismatch": "只能用小写字母、数字和下划线，且以字母开头",
    "too_short": "不能为空",
}


def _describe(err: dict[str, Any], root: yaml.Node | None, data: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    node = _node_at(root, loc)
    line = f"第 {node.start_mark.line + 1} 行" if node is not None else "（行号未知）"
    path = (
        "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "（顶层）"
    )
    where = ""
    if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
        items = data.get("indicators") or []
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            where = f"（指标 {items[loc[1]].get('id', '?')}）"
    kind = err["type"]
    if kind == "value_error":
        text = str(err.get("ctx", {}).get("error", err["msg"]))
    elif kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", ""))
        expected = expected.replace(" or ", "、").replace("', '", "'、'")
        text = f"取值 {err.get('input')!r} 无效，可选：{expected}"
    else:
        text = _MESSAGES.get(kind, err["msg"])
        if kind in ("float_type", "float_parsing", "string_type"):
            text += f"，实际为 {err.get('input')!r}"
    return f"  {line}，字段 {path}{where}：{text}"


def _node_at(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node at a pydantic error location (the nearest parent when the key is missing)."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if str(k.value) == str(key)), None)
            if nxt is None:
                return node
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return node
    return node
