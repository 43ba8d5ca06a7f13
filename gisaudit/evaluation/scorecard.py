"""Assembling a tenure's scorecard (``gisaudit.scorecard/1``) and validating it."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from importlib import resources
from typing import Any

import pandas as pd

from gisaudit.change.vintages import VintageSelection
from gisaudit.errors import AnalysisError
from gisaudit.indicators.config import IndicatorSystem
from gisaudit.indicators.engine import ScoreSummary

SCHEMA_ID = "gisaudit.scorecard/1"


@functools.cache
def scorecard_schema() -> dict[str, Any]:
    """The scorecard JSON schema shipped with gisaudit (``gisaudit/data``)."""
    text = resources.files("gisaudit").joinpath("data/scorecard.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_scorecard(card: dict[str, Any]) -> None:
    """Raise AnalysisError when a scorecard does not match the schema (a bug, not bad input)."""
    import jsonschema  # here: only writing outputs validates (slow to import)

    validator = jsonschema.Draft202012Validator(
        scorecard_schema(), format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise AnalysisError(
            f"评分卡不符合格式规范（{where}：{errors[0].message}），请联系开发人员。"
        )


def build_scorecard(
    *,
    system: IndicatorSystem,
    tenure: dict[str, Any],
    district: dict[str, Any],
    selection: VintageSelection,
    notes: list[str],
    summary: ScoreSummary,
    areas_start: dict[str, float],
    areas_end: dict[str, float],
    matrix: pd.DataFrame,
    coastline_km: dict[str, dict[str, float]] | None,
) -> dict[str, Any]:
    """The scorecard dict of one tenure (areas in ha, lengths in km)."""
    card: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "indicator_system": {"id": system.id, "version": system.version, "name": system.name},
        "tenure": tenure,
        "district": district,
        "vintages": {
            "start": selection.start.isoformat(),
            "end": selection.end.isoformat(),
            "intermediate": [v.isoformat() for v in selection.intermediate],
            "notes": [*selection.notes, *notes, *summary.notes],
        },
        "indicators": summary.indicators,
        "total_score": summary.total_score,
        "grade": summary.grade,
        "vetoes": summary.vetoes,
        "areas": {"start": areas_start, "end": areas_end},
        "transitions": [
            {"from": str(r.from_group), "to": str(r.to_group), "area_ha": float(r.area_ha)}
            for r in matrix.itertuples(index=False)
        ],
        "leads": {"count": 0, "by_rule": {}, "area_ha": 0.0},
    }
    if coastline_km is not None:
        card["coastline_km"] = coastline_km
    return card


def iso(value: Any) -> str | None:
    """A date (or Timestamp / ISO text) as ISO text; None for empty values."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return as_date(value).isoformat()


def as_date(value: Any) -> date:
    """A date from a date, Timestamp or ISO text."""
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
