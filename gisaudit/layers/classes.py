"""The land-class table (三调 working classification): code normalisation, groups and themes.

The table is data (``gisaudit/rules/land_classes.yaml``); this module only reads and applies it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from gisaudit.errors import ConfigError, UnknownClassCodeError

_CODE_RE = re.compile(r"^(\d{2}(?:\d{2}|H\d)?)([A-Z]*)$")


@dataclass(frozen=True)
class LandClassTable:
    """Known land-class codes with their Chinese name (DLMC), group and themes."""

    version: str
    names: dict[str, str]  # code (as listed, e.g. "1104A") -> name
    groups: dict[str, str]  # code -> group id
    group_names: dict[str, str]  # group id -> Chinese name
    suffixes: tuple[str, ...]
    themes: dict[str, frozenset[str]]  # theme id -> set of base codes
    theme_names: dict[str, str]
    _base_codes: frozenset[str] = field(default=frozenset(), repr=False)

    # -- codes -------------------------------------------------------------------------------
    def normalise(self, raw: Any) -> str:
        """Return the canonical code for a raw DLBM value, or raise UnknownClassCodeError.

        Strips blanks, upper-cases the suffix, and restores a lost leading zero
        (``101`` or ``101.0`` read from a numeric .dbf field becomes ``"0101"``).

        >>> default_class_table().normalise(" 1104a ")
        '1104A'
        >>> default_class_table().normalise(101)
        '0101'
        """
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            raise UnknownClassCodeError("地类编码为空")
        if isinstance(raw, (int, np.integer)) or (isinstance(raw, float) and raw.is_integer()):
            text = f"{int(raw):04d}"
        else:
            text = str(raw).strip().upper()
            if re.fullmatch(r"\d{3}", text):
                text = "0" + text
        if text in self.names:
            return text
        match = _CODE_RE.match(text)
        if match and match.group(1) in self._base_codes and match.group(2) in self.suffixes:
            return text
        raise UnknownClassCodeError(f"未知地类编码 {raw!r}")

    def base(self, code: str) -> str:
        """Return the base code of a normalised code (``"1104A"`` -> ``"1104"``)."""
        match = _CODE_RE.match(code)
        return match.group(1) if match else code

    def name(self, code: str) -> str:
        """Return the Chinese class name (DLMC) of a normalised code."""
        return self.names.get(code) or self.names[self.base(code)]

    def group(self, code: str) -> str:
        """Return the group id (row/column of the transition matrix) of a normalised code."""
        return self.groups.get(code) or self.groups[self.base(code)]

    def in_theme(self, code: str, theme: str) -> bool:
        """True when a normalised code belongs to ``theme``."""
        return self.base(code) in self.theme_codes(theme)

    def theme_codes(self, theme: str) -> frozenset[str]:
        """Return the base codes of a theme; raises ConfigError for an unknown theme."""
        try:
            return self.themes[theme]
        except KeyError:
            known = "、".join(sorted(self.themes))
            raise ConfigError(f"未知专题 {theme!r}（可用：{known}）") from None

    # -- vectorised helpers -------------------------------------------------------------------
    # (each distinct code is looked up once, then spread with an integer take: a few dozen
    # codes over a million pieces)
    def groups_of(self, codes: pd.Series) -> pd.Series:
        """Map a Series of normalised codes to group ids."""
        inverse, uniq = pd.factorize(codes, use_na_sentinel=False)
        groups = np.array([self.group(c) for c in uniq] + [None], dtype=object)[:-1]
        index = codes.index if isinstance(codes, pd.Series) else None
        name = getattr(codes, "name", None)
        return pd.Series(groups[inverse], index=index, dtype=object, name=name)

    def theme_mask(self, codes: pd.Series, theme: str) -> np.ndarray:
        """Boolean array: which normalised codes belong to ``theme``."""
        members = self.theme_codes(theme)
        inverse, uniq = pd.factorize(codes, use_na_sentinel=False)
        return np.array([self.base(c) in members for c in uniq], dtype=bool)[inverse]

    @property
    def group_ids(self) -> list[str]:
        """Group ids in the table's order."""
        return list(self.group_names)


def _expand_theme(
    members: Iterable[str], groups: dict[str, str], done: dict[str, frozenset[str]], where: str
) -> frozenset[str]:
    codes: set[str] = set()
    removed: set[str] = set()
    base_groups = {c: g for c, g in groups.items() if (m := _CODE_RE.match(c)) and not m.group(2)}
    for member in members:
        member = str(member)
        if member.startswith("-"):
            removed.add(member[1:])
        elif member.startswith("group:"):
            gid = member.removeprefix("group:")
            found = {c for c, g in base_groups.items() if g == gid}
            if not found:
                raise ConfigError(f"{where}：未知地类分组 {gid!r}")
            codes |= found
        elif member.startswith("theme:"):
            tid = member.removeprefix("theme:")
            if tid not in done:
                raise ConfigError(f"{where}：引用的专题 {tid!r} 须先定义")
            codes |= done[tid]
        else:
            if member not in groups:
                raise ConfigError(f"{where}：未知地类编码 {member!r}")
            codes.add(member)
    return frozenset(codes - removed)


def class_table_from_dict(
    data: dict[str, Any], source: str = "land_classes.yaml"
) -> LandClassTable:
    """Build a LandClassTable from the parsed YAML mapping."""
    try:
        group_names = {str(k): str(v) for k, v in data["groups"].items()}
        names: dict[str, str] = {}
        groups: dict[str, str] = {}
        for code, (name, group) in data["classes"].items():
            if group not in group_names:
                raise ConfigError(f"{source}：地类 {code} 的分组 {group!r} 未定义")
            names[str(code)] = str(name)
            groups[str(code)] = str(group)
        themes: dict[str, frozenset[str]] = {}
        theme_names: dict[str, str] = {}
        for tid, spec in data["themes"].items():
            themes[tid] = _expand_theme(spec["members"], groups, themes, f"{source} 专题 {tid}")
            theme_names[tid] = str(spec.get("name", tid))
        base_codes = frozenset(c for c in names if (m := _CODE_RE.match(c)) and not m.group(2))
        return LandClassTable(
            version=str(data.get("version", "")),
            names=names,
            groups=groups,
            group_names=group_names,
            suffixes=("", *[str(s) for s in data.get("suffixes", [])]),
            themes=themes,
            theme_names=theme_names,
            _base_codes=base_codes,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{source} 格式错误：{exc}") from exc


@functools.cache
def default_class_table() -> LandClassTable:
    """Return the land-class table shipped with gisaudit."""
    text = resources.files("gisaudit.rules").joinpath("land_classes.yaml").read_text("utf-8")
    return class_table_from_dict(yaml.safe_load(text))
