"""Colours and Chinese labels of the printable reports, read from ``styles.yaml``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml

from gisaudit.errors import ConfigError
from gisaudit.layers.classes import default_class_table


@dataclass(frozen=True)
class ReportStyle:
    """Presentation settings shared by the workbook, the HTML and the PDF report."""

    group_colours: dict[str, str]
    theme_maps: dict[str, str]
    theme_labels: dict[str, str]
    grade_colours: dict[str, str]
    severity_labels: dict[str, str]
    coastline_labels: dict[str, str]
    transition_colours: tuple[str, ...]
    other_change: str
    internal_change: str
    matrix_heat: tuple[str, ...]
    matrix_diagonal: str

    def group_colour(self, group: str) -> str:
        """Fill colour of a land-class group (grey for a group without a colour)."""
        return self.group_colours.get(group, "#bdbdbd")

    def theme_label(self, theme: str | None) -> str:
        """Chinese label of an indicator theme id (the id itself when unknown)."""
        if not theme:
            return ""
        table = default_class_table()
        return table.theme_names.get(theme) or self.theme_labels.get(theme) or theme


@functools.cache
def default_style() -> ReportStyle:
    """Return the report style shipped with gisaudit (``gisaudit/reports/styles.yaml``)."""
    text = resources.files("gisaudit.reports").joinpath("styles.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    try:
        return ReportStyle(
            group_colours={str(k): str(v) for k, v in data["group_colours"].items()},
            theme_maps={str(k): str(v) for k, v in data["theme_maps"].items()},
            theme_labels={str(k): str(v) for k, v in data["theme_labels"].items()},
            grade_colours={str(k): str(v) for k, v in data["grade_colours"].items()},
            severity_labels={str(k): str(v) for k, v in data["severity_labels"].items()},
            coastline_labels={str(k): str(v) for k, v in data["coastline_labels"].items()},
            transition_colours=tuple(str(c) for c in data["transition_colours"]),
            other_change=str(data["other_change"]),
            internal_change=str(data["internal_change"]),
            matrix_heat=tuple(str(c) for c in data["matrix_heat"]),
            matrix_diagonal=str(data["matrix_diagonal"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"styles.yaml 格式错误：{exc}") from exc
