"""Scores (0..100), vetoes and grades (spec §7): one small function per scoring kind."""

from __future__ import annotations

from collections.abc import Callable

from gisaudit.indicators.config import GRADES, Scoring, Veto


def linear(value: float, full: float, zero: float, higher: bool | None = None) -> float:
    """100 at ``full``, 0 at ``zero``, linear between, clamped to 0..100.

    Serves higher_better (full > zero) and lower_better (full < zero) alike; ``higher`` says
    which way a step goes when full == zero (default: higher is better).

    >>> linear(97.5, 100, 95), linear(5, 0, 10), linear(120, 100, 95)
    (50.0, 50.0, 100.0)
    """
    if full == zero:
        better = value >= full if higher is not False else value <= full
        return 100.0 if better else 0.0
    return float(min(100.0, max(0.0, 100.0 * (value - zero) / (full - zero))))


def _thresholds(s: Scoring, start: float | None) -> tuple[float, float] | None:
    full, zero = (
        float(s.full if s.full is not None else 100.0),
        float(s.zero if s.zero is not None else 95.0),
    )
    if s.relative_to == "start":
        if start is None:
            return None
        return start + full, start + zero
    return full, zero


def _bounded(
    s: Scoring, value: float, start: float | None, target: float | None
) -> tuple[float | None, str]:
    th = _thresholds(s, start)
    if th is None:
        return None, "缺少期初值，无法按期初值评分，不适用"
    return linear(value, *th, higher=s.kind != "lower_better"), ""


def _target(
    s: Scoring, value: float, start: float | None, target: float | None
) -> tuple[float | None, str]:
    if target is None or target <= 0:
        if s.otherwise is not None:
            return score_value(s.otherwise, value, start, None)
        return None, "未提供目标值（targets.csv），不适用"
    full, zero = _thresholds(s, start) or (100.0, 95.0)
    return linear(100.0 * value / target, full, zero), ""


ScoreFn = Callable[[Scoring, float, "float | None", "float | None"], "tuple[float | None, str]"]
SCORERS: dict[str, ScoreFn] = {
    "higher_better": _bounded,
    "lower_better": _bounded,
    "target": _target,
}


def score_value(
    scoring: Scoring, value: float, start: float | None = None, target: float | None = None
) -> tuple[float | None, str]:
    """Score a value; returns (score or None when it cannot be scored, Chinese note)."""
    return SCORERS[scoring.kind](scoring, value, start, target)


def veto_fires(veto: Veto | None, value: float | None) -> bool:
    """True when a veto is set and the value crosses it (never for a non-applicable value)."""
    if veto is None or value is None:
        return False
    return (veto.above is not None and value > veto.above) or (
        veto.below is not None and value < veto.below
    )


def cap_grade(grade: str, cap: str) -> str:
    """The worse of two grades (a veto caps the grade at ``cap``).

    >>> cap_grade("好", "较差"), cap_grade("差", "较差")
    ('较差', '差')
    """
    return GRADES[max(GRADES.index(grade), GRADES.index(cap))]
