"""Reading YAML configuration with line numbers, so a bad rule names its line and field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gisaudit.errors import ConfigError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Locator = Callable[[Sequence[int | str]], int]


def read_yaml(source: str | Path, text: str | None = None) -> tuple[Any, Locator, str]:
    """Parse a YAML file (or ``text``); return (data, locator, display name).

    ``locator(path)`` gives the 1-based line of the deepest node found along ``path``
    (mapping keys and sequence indexes), for error messages.
    """
    name = Path(source).name if not isinstance(source, str) or "\n" not in source else "<文本>"
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"无法读取配置文件 {source}：{exc}。请检查路径。") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"配置文件 {source} 不是 UTF-8 编码，请另存为 UTF-8。") from exc
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise ConfigError(f"{name} {line} YAML 语法错误：{exc}。请检查缩进和冒号。") from exc

    def locate(path: Sequence[int | str]) -> int:
        node = root
        line = node.start_mark.line + 1 if node is not None else 1
        for step in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == str(step):
                        child, line = value, key.start_mark.line + 1
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(step, int)
                and 0 <= step < len(node.value)
            ):
                child = node.value[step]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    return data, locate, name


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "int_parsing": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "greater_than_equal": "不能为负数",
    "greater_than": "应大于 0",
    "dict_type": "应为键值映射",
    "list_type": "应为列表",
    "string_pattern_mismatch": "只能由小写字母、数字和下划线组成，且以字母开头",
}


def config_error(
    exc: ValidationError, name: str, locate: Locator, prefix: Sequence[int | str]
) -> ConfigError:
    """Turn a pydantic ValidationError into a Chinese ConfigError naming line and field."""
    lines = []
    for err in exc.errors():
        loc = [*prefix, *err["loc"]]
        field = next((str(s) for s in reversed(err["loc"]) if isinstance(s, str)), "")
        kind = err["type"]
        if kind == "literal_error":
            msg = f"取值 {err.get('input')!r} 无效，可选：{err.get('ctx', {}).get('expected', '')}"
        elif kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            msg = _MESSAGES.get(kind, err["msg"])
        lines.append(f"{name} 第 {locate(loc)} 行，字段 {field or '(整条)'}：{msg}")
    return ConfigError("配置有误：" + "；".join(lines) + "。请修改后重试。")
