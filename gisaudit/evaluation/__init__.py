"""Evaluating tenures: from a loaded package to scorecards, transition matrices and outputs."""

from gisaudit.evaluation.evaluate import EvaluationCache, evaluate_tenure
from gisaudit.evaluation.outputs import (
    DEFAULT_WRITERS,
    TenureWriter,
    evaluate_package,
    standard_writers,
    write_scorecard_json,
    write_transitions_csv,
)
from gisaudit.evaluation.result import TenureResult
from gisaudit.evaluation.scorecard import scorecard_schema, validate_scorecard

__all__ = [
    "DEFAULT_WRITERS",
    "EvaluationCache",
    "TenureResult",
    "TenureWriter",
    "evaluate_package",
    "evaluate_tenure",
    "scorecard_schema",
    "standard_writers",
    "validate_scorecard",
    "write_scorecard_json",
    "write_transitions_csv",
]
