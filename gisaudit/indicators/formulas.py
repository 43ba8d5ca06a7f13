"""One small function per formula kind: an indicator's value, its start/end and applicability.

Each function takes the formula, the tenure's ``IndicatorContext`` and the indicator's target
(or None) and returns an ``Outcome``; a non-applicable outcome has ``value`` None and a
Chinese ``note`` saying why (spec §7: zero denominator, missing layer or zone, missing target,
no area of the from-theme at the start).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gisaudit.change.changeset import ChangeSet
from gisaudit.change.coastline import natural_rate
from gisaudit.change.transitions import parse_selector
from gisaudit.geodesy import to_ha
from gisaudit.indicators.config import Formula

ZERO_HA = 1e-6  # a denominator below 0.01 m² counts as zero (float noise, not land)
ZONE_NAMES = {"pbf": "永久基本农田", "redline": "生态保护红线", "approvals": "建设用地批准范围"}


@dataclass(frozen=True)
class IndicatorContext:
    """What the formulas read for one tenure.

    ``coast_start``/``coast_end``: coastline km by class, None where the package has no
    coastline for that vintage.
    """

    changes: ChangeSet
    coast_start: dict[str, float] | None = None
    coast_end: dict[str, float] | None = None
    targets: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """An indicator's value (None = not applicable) with its start/end and a note."""

    value: float | None
    start: float | None = None
    end: float | None = None
    note: str = ""

    @property
    def applicable(self) -> bool:
        """True when the indicator has a value."""
        return self.value is not None


FormulaFn = Callable[[Formula, IndicatorContext, "float | None"], Outcome]


def _theme_name(ctx: IndicatorContext, selector: str) -> str:
    negate, theme = parse_selector(selector)
    name = ctx.changes.table.theme_names.get(theme, theme)
    return f"非{name}" if negate else name


def _zone_missing(ctx: IndicatorContext, formula: Formula) -> Outcome | None:
    zone = formula.zone
    if zone is not None and zone not in ctx.changes.zones:
        return Outcome(None, note=f"数据包未提供{ZONE_NAMES.get(zone, zone)}图层，不适用")
    return None


def _areas(ctx: IndicatorContext, formula: Formula) -> tuple[float, float]:
    theme = str(formula.theme)
    zone, inside = formula.zone, formula.inside is not None
    c = ctx.changes
    return (
        float(to_ha(c.theme_area_m2(theme, "from", zone, inside))),
        float(to_ha(c.theme_area_m2(theme, "to", zone, inside))),
    )


def retention(formula: Formula, ctx: IndicatorContext, target: float | None) -> Outcome:
    """100·A(theme, end[∩zone]) / A(theme, start[∩zone]), %."""
    if (missing := _zone_missing(ctx, formula)) is not None:
        return missing
    start, end = _areas(ctx, formula)
    if start < ZERO_HA:
        return Outcome(
            None, start, end, f"期初{_theme_name(ctx, str(formula.theme))}面积为零，不适用"
        )
    return Outcome(100.0 * end / start, start, end)


def target_attainment(formula: Formula, ctx: IndicatorContext, target: float | None) -> Outcome:
    """100·A(theme, end) / target (target in ha), %."""
    if (missing := _zone_missing(ctx, formula)) is not None:
        return missing
    start, end = _areas(ctx, formula)
    if target is None:
        return Outcome(None, start, end, "未提供目标值（targets.csv），不适用")
    if target <= 0:
        return Outcome(None, start, end, "目标值不大于零，不适用")
    return Outcome(100.0 * end / target, start, end)


def transition_area(formula: Formula, ctx: IndicatorContext, target: float | None) -> Outcome:
    """Area (ha) that is ``from`` at the start and ``to`` at the end, inside/outside a zone.

    Not applicable when the from-theme had no area at the start (inside the zone, for
    ``inside``; in the whole district, for ``outside``).
    """
    if (missing := _zone_missing(ctx, formula)) is not None:
        return missing
    c = ctx.changes
    src, dst = str(formula.from_), str(formula.to)
    zone, inside = formula.zone, formula.inside is not None
    present = (
        c.theme_area_m2(src, "from", formula.inside, True)
        if inside
        else c.theme_area_m2(src, "from")
    )
    if to_ha(present) < ZERO_HA:
        where = f"{ZONE_NAMES.get(str(formula.inside), '')}内" if inside else ""
        return Outcome(None, note=f"期初{where}没有{_theme_name(ctx, src)}，不适用")
    area = float(to_ha(c.transition_area_m2(src, dst, zone, inside)))
    # float residue of zone clipping (≈1e-12 ha) is no change: report a clean zero
    return Outcome(area if area >= ZERO_HA else 0.0)


def growth_rate(formula: Formula, ctx: IndicatorContext, target: float | None) -> Outcome:
    """100·(A(end) − A(start)) / A(start), %."""
    if (missing := _zone_missing(ctx, formula)) is not None:
        return missing
    start, end = _areas(ctx, formula)
    if start < ZERO_HA:
        return Outcome(
            None, start, end, f"期初{_theme_name(ctx, str(formula.theme))}面积为零，不适用"
        )
    return Outcome(100.0 * (end - start) / start, start, end)


def coverage_change(formula: Formula, ctx: IndicatorContext, target: float | None) -> Outcome:
    """100·(A(end) − A(start)) / A(district), percentage points; start/end are the rates (%)."""
    if (missing := _zone_missing(ctx, formula)) is not None:
        return missing
    start, end = _areas(ctx, formula)
    district = float(to_ha(ctx.changes.district_area_m2))
    if district < ZERO_HA:
        return Outcome(None, note="辖区面积为零，不适用")
    s, e = 100.0 * start / district, 100.0 * end / district
    return Outcome(e - s, s, e)


def coastline_rate(formula: Formula, ctx: IndicatorContext, target: float | None) -> Outcome:
    """100·L(coast_class, end) / L(all, end), %; start is the same rate at the start."""
    if ctx.coast_end is None:
        return Outcome(None, note="数据包未提供期末岸线图层，不适用")
    end = _rate(ctx.coast_end, formula.coast_class)
    start = _rate(ctx.coast_start, formula.coast_class) if ctx.coast_start is not None else None
    if end is None:
        return Outcome(None, start, None, "辖区内没有岸线，不适用")
    return Outcome(end, start, end)


def _rate(lengths: dict[str, float], coast_class: str) -> float | None:
    if coast_class == "natural":
        return natural_rate(lengths)
    total = sum(lengths.values())
    return 100.0 * lengths.get(coast_class, 0.0) / total if total > 0 else None


FORMULAS: dict[str, FormulaFn] = {
    "retention": retention,
    "target_attainment": target_attainment,
    "transition_area": transition_area,
    "growth_rate": growth_rate,
    "coverage_change": coverage_change,
    "coastline_rate": coastline_rate,
}
