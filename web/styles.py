"""Colours and Chinese labels of the web map (``styles.yaml``, plus the report style)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gisaudit.layers.classes import default_class_table
from gisaudit.reports.styles import default_style

SEVERITY_LABELS = {"critical": "重大", "high": "高", "medium": "中", "low": "低"}


@dataclass(frozen=True)
class MapStyle:
    """Everything the pages need to colour and label the map layers."""

    map_themes: dict[str, dict[str, str]]
    severity_colours: dict[str, str]
    severity_labels: dict[str, str]
    coastline_colours: dict[str, str]
    coastline_labels: dict[str, str]
    zones: dict[str, dict[str, Any]]
    district_outline: str
    score_ramp: tuple[str, ...]
    no_data: str
    grade_colours: dict[str, str]
    group_colours: dict[str, str]
    group_names: dict[str, str]
    theme_colours: dict[str, str]

    def score_colour(self, score: float | None) -> str:
        """Colour of an indicator score (0..100) on the ramp; ``no_data`` for None."""
        if score is None:
            return self.no_data
        ramp = self.score_ramp
        i = math.floor(max(0.0, min(100.0, float(score))) / 100.0 * (len(ramp) - 1) + 0.5)
        return ramp[i]

    def grade_colour(self, grade: str | None) -> str:
        """Colour of a grade (好 … 差); ``no_data`` when unknown."""
        return self.grade_colours.get(grade or "", self.no_data)

    def as_js(self) -> dict[str, Any]:
        """The parts the browser script needs, JSON-ready."""
        return {
            "severity": self.severity_colours,
            "coast": self.coastline_colours,
            "zones": self.zones,
            "groups": self.group_colours,
            "themes": self.theme_colours,
            "outline": self.district_outline,
        }


@functools.cache
def map_style() -> MapStyle:
    """The web map style shipped with gisaudit."""
    data = yaml.safe_load((Path(__file__).parent / "styles.yaml").read_text("utf-8"))
    report = default_style()
    table = default_class_table()
    themes = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data["map_themes"].items()}
    theme_colours = {
        k: report.theme_maps.get(v.get("theme", k), "#888888") for k, v in themes.items()
    }
    return MapStyle(
        map_themes=themes,
        severity_colours={str(k): str(v) for k, v in data["severity_colours"].items()},
        severity_labels={**SEVERITY_LABELS, **report.severity_labels},
        coastline_colours={str(k): str(v) for k, v in data["coastline_colours"].items()},
        coastline_labels=dict(report.coastline_labels),
        zones={str(k): dict(v) for k, v in data["zones"].items()},
        district_outline=str(data["district_outline"]),
        score_ramp=tuple(str(c) for c in data["score_ramp"]),
        no_data=str(data["no_data"]),
        grade_colours=dict(report.grade_colours),
        group_colours=dict(report.group_colours),
        group_names=dict(table.group_names),
        theme_colours=theme_colours,
    )
