"""Evaluating an indicator system for one tenure: values, scores, weights, total and grade."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gisaudit.indicators.config import IndicatorSystem
from gisaudit.indicators.formulas import FORMULAS, IndicatorContext, Outcome
from gisaudit.indicators.scoring import cap_grade, score_value, veto_fires


@dataclass(frozen=True)
class ScoreSummary:
    """The scored indicators (scorecard entries), total score, grade and fired vetoes."""

    indicators: list[dict[str, Any]]
    total_score: float
    grade: str
    vetoes: list[str]
    notes: list[str]


def _num(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def evaluate_indicators(system: IndicatorSystem, ctx: IndicatorContext) -> ScoreSummary:
    """Compute every indicator of ``system`` and the total score (Σ w·s / Σ w) and grade.

    Non-applicable indicators get value/score None, veto False and weight 0; the weights of
    the rest are rescaled to sum to 100.
    """
    entries: list[dict[str, Any]] = []
    raw_weights: list[float] = []
    for ind in system.indicators:
        target = ctx.targets.get(ind.id)
        out = FORMULAS[ind.formula.kind](ind.formula, ctx, target)
        if out.value is not None and not math.isfinite(out.value):
            out = Outcome(None, out.start, out.end, "数值无法计算（非有限数），不适用")
        score, note = (None, out.note)
        if out.applicable and out.value is not None:
            score, note = score_value(ind.scoring, out.value, out.start, target)
        applicable = score is not None
        entry: dict[str, Any] = {
            "id": ind.id,
            "name": ind.name,
            "theme": ind.theme,
            "unit": ind.unit,
            "value": _num(out.value) if applicable else None,
            "start": _num(out.start),
            "end": _num(out.end),
            "target": _num(target),
            "applicable": applicable,
            "score": _num(score) if applicable else None,
            "weight": 0.0,
            "veto": applicable and veto_fires(ind.veto, out.value),
        }
        if note:
            entry["note"] = note
        entries.append(entry)
        raw_weights.append(ind.weight if applicable else 0.0)

    total_w = sum(raw_weights)
    notes: list[str] = []
    total = 0.0
    if total_w > 0:
        for entry, w in zip(entries, raw_weights, strict=True):
            entry["weight"] = 100.0 * w / total_w
        total = sum(
            w * float(e["score"]) for e, w in zip(entries, raw_weights, strict=True) if w > 0
        )
        total = min(100.0, max(0.0, total / total_w))
    else:
        notes.append("没有可适用（且权重大于零）的指标，总分记为 0。")
    vetoes = [e["id"] for e in entries if e["veto"]]
    grade = system.grade_for(total)
    if vetoes:
        grade = cap_grade(grade, system.veto_cap)
    return ScoreSummary(entries, total, grade, vetoes, notes)
