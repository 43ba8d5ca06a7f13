"""The indicator system: indicator values, scores, vetoes and grades (YAML-driven)."""

from gisaudit.indicators.config import (
    IndicatorDef,
    IndicatorSystem,
    load_indicator_system,
    parse_indicator_system,
)
from gisaudit.indicators.engine import ScoreSummary, evaluate_indicators
from gisaudit.indicators.formulas import FORMULAS, IndicatorContext, Outcome
from gisaudit.indicators.scoring import score_value

__all__ = [
    "FORMULAS",
    "IndicatorContext",
    "IndicatorDef",
    "IndicatorSystem",
    "Outcome",
    "ScoreSummary",
    "evaluate_indicators",
    "load_indicator_system",
    "parse_indicator_system",
    "score_value",
]
