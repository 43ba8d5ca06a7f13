"""Shared helpers of the layer readers: the problem collector, feature labels, dates, columns.

Every reader reports into one :class:`Issues` so that validation lists every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisaudit.errors import LayerReadError, Problem
from gisaudit.layers.io import read_vector
from gisaudit.progress import ProgressFn, no_progress

# The 10 agricultural districts of Tianjin (spec §1): the only district codes a package may use.
TIANJIN_DISTRICTS: dict[str, str] = {
    "120110": "东丽区",
    "120111": "西青区",
    "120112": "津南区",
    "120113": "北辰区",
    "120114": "武清区",
    "120115": "宝坻区",
    "120116": "滨海新区",
    "120117": "宁河区",
    "120118": "静海区",
    "120119": "蓟州区",
}

# How many individual problems of one kind are listed before they are summarised in one.
MAX_LISTED = 20


@dataclass
class Issues:
    """Collects problems (errors), notes (information) and the repair count of a validation."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repaired: int = 0
    progress: ProgressFn = no_progress

    def add(self, file: str, message: str, action: str, layer: str = "", feature: str = "") -> None:
        """Record one problem."""
        self.problems.append(Problem(file, message, action, layer=layer, feature=feature))

    def at(self, file: str, layer: str = "") -> Where:
        """A reporter bound to one file and layer."""
        return Where(self, file, layer)


@dataclass(frozen=True)
class Where:
    """Reports problems about one file (and layer)."""

    issues: Issues
    file: str
    layer: str = ""

    def add(self, message: str, action: str, feature: str = "") -> None:
        """Record a problem in this file/layer."""
        self.issues.add(self.file, message, action, layer=self.layer, feature=feature)

    def note(self, text: str) -> None:
        """Record an information note (not a problem)."""
        where = f"{self.file}" + (f"（图层 {self.layer}）" if self.layer else "")
        self.issues.notes.append(f"{where}：{text}")

    def with_layer(self, layer: str) -> Where:
        """The same reporter for a named layer."""
        return Where(self.issues, self.file, layer)


def read_layer(
    root: Any, path: str, layer: str | None, issues: Issues, *, empty: tuple[str, str]
) -> tuple[gpd.GeoDataFrame, Where] | None:
    """Read one vector layer for validation: unreadable or empty layers become problems.

    ``empty`` is the (message, action) recorded when the layer has no features. Returns the
    frame and a reporter bound to its file and layer, or None after recording a problem.
    """
    where = issues.at(path, layer or "")
    try:
        frame = read_vector(root, path, layer)
    except LayerReadError as exc:
        issues.problems.append(exc.problem)
        return None
    where = where.with_layer(layer or frame.attrs.get("layer", ""))
    if len(frame) == 0:
        where.add(*empty)
        return None
    return frame, where


def feature_list(ids: Iterable[Any], limit: int = 5) -> str:
    """Short Chinese list of labels: ``a、b、c 等共 N 个`` when there are more than ``limit``."""
    ids = [str(i) for i in ids]
    shown = "、".join(ids[:limit])
    return f"{shown} 等共 {len(ids)} 个" if len(ids) > limit else shown


def feature_labels(frame: pd.DataFrame, id_field: str = "BSM") -> np.ndarray:
    """Human labels for each row: ``BSM=…`` when the layer has the id field, else ``FID=…``."""
    col = find_column(frame, id_field)
    if col is not None:
        values = frame[col].astype(object).where(frame[col].notna(), "")
        return np.array([f"{id_field}={v}" for v in values], dtype=object)
    return np.array([f"FID={i}" for i in frame.index], dtype=object)


def find_column(frame: pd.DataFrame, name: str | None) -> str | None:
    """The column called ``name`` (case-insensitive), or None."""
    if not name:
        return None
    if name in frame.columns:
        return name
    lowered = {str(c).lower(): str(c) for c in frame.columns if c != "geometry"}
    return lowered.get(name.lower())


_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def parse_date(value: Any) -> date | None:
    """Parse a calendar date (``2018-12-31``, ``2018/12/31``, ``2018年12月31日``); None if not one.

    >>> parse_date("2018年12月31日")
    datetime.date(2018, 12, 31)
    """
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else None
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    if not isinstance(value, str):
        return None
    match = _DATE_RE.match(value.split("T")[0] if "T" in value else value)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def is_blank(value: Any) -> bool:
    """True for None, NaN and strings that are empty after stripping."""
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def code_text(value: Any) -> str:
    """A code read from a file as text: ``120110.0`` -> ``"120110"``, blanks -> ``""``."""
    if is_blank(value):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def group_rows(labels: Sequence[str], keys: Sequence[Any]) -> dict[Any, list[str]]:
    """Group row labels by key, keeping first-seen order: ``{key: [label, ...]}``."""
    out: dict[Any, list[str]] = {}
    for label, key in zip(labels, keys, strict=True):
        out.setdefault(key, []).append(label)
    return out


def text_values(series: pd.Series) -> np.ndarray:
    """Vectorised :func:`code_text` of a column: object array of stripped strings, blanks ``""``."""
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return series.astype("int64").astype(str).to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return np.array([code_text(v) for v in series], dtype=object)
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    return text.to_numpy(dtype=object)
