"""The tenure page's panels as plain data and SVG: scorecard rows, transition chart, accounts.

Inputs are the stored scorecard (``scorecard.schema.json``) and transition cells
(``from_group``, ``to_group``, ``area_ha``); outputs are dicts for the templates, areas in ha
(with 亩 where a person reads an area).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

from gisaudit.geodesy import M2_PER_MU
from gisaudit.layers.classes import default_class_table
from web.styles import map_style

MU_PER_HA = 10_000 / M2_PER_MU  # 15 亩 per ha


def fmt(value: Any, digits: int = 2) -> str:
    """A number with thousands separators, or "—" for a missing value."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.{digits}f}"


def indicator_rows(scorecard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per indicator: name, unit, start, end, value, target, score, weight, veto."""
    rows = []
    for item in scorecard.get("indicators", []):
        applicable = bool(item.get("applicable"))
        rows.append(
            {
                "id": item.get("id"),
                "name": item.get("name", item.get("id")),
                "unit": item.get("unit", ""),
                "start": fmt(item.get("start")),
                "end": fmt(item.get("end")),
                "value": fmt(item.get("value")),
                "target": fmt(item.get("target")),
                "score": fmt(item.get("score"), 1),
                "weight": fmt(item.get("weight"), 1),
                "applicable": applicable,
                "veto": bool(item.get("veto")),
                "note": item.get("note") or ("不适用" if not applicable else ""),
            }
        )
    return rows


def theme_area_rows(scorecard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Theme areas at start and end (ha and 万亩) with their change."""
    names = default_class_table().theme_names
    areas = scorecard.get("areas", {})
    start, end = areas.get("start", {}), areas.get("end", {})
    rows = []
    for theme in [t for t in names if t in start or t in end]:
        a, b = float(start.get(theme) or 0.0), float(end.get(theme) or 0.0)
        rows.append({"theme": theme, "name": names[theme], "start": fmt(a), "end": fmt(b),
                     "change": fmt(b - a), "change_mu": fmt((b - a) * MU_PER_HA, 1),
                     "down": b < a})  # fmt: skip
    return rows


def _cells(transitions: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, float]]:
    return [(str(t["from_group"]), str(t["to_group"]), float(t["area_ha"])) for t in transitions]


def group_account(transitions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Physical asset account by land-class group (ha): opening, reductions, additions,
    closing, from the transition matrix (row sums, column sums, off-diagonal flows)."""
    style = map_style()
    cells = _cells(transitions)
    groups = [g for g in style.group_names if any(g in (f, t) for f, t, _ in cells)]
    rows = []
    for g in groups:
        opening = sum(a for f, _, a in cells if f == g)
        closing = sum(a for _, t, a in cells if t == g)
        reductions = sum(a for f, t, a in cells if f == g and t != g)
        additions = sum(a for f, t, a in cells if t == g and f != g)
        rows.append({"group": g, "name": style.group_names[g], "opening": fmt(opening),
                     "reductions": fmt(reductions), "additions": fmt(additions),
                     "closing": fmt(closing), "net": fmt(closing - opening),
                     "colour": style.group_colours.get(g, "#bdbdbd")})  # fmt: skip
    return rows


def changed_flows(
    transitions: Iterable[Mapping[str, Any]], top: int = 12
) -> list[dict[str, Any]]:
    """The largest flows between different groups (ha), largest first."""
    style = map_style()
    flows = sorted(((a, f, t) for f, t, a in _cells(transitions) if f != t and a > 0), reverse=True)
    return [
        {"from": f, "to": t, "area_ha": a, "from_name": style.group_names.get(f, f),
         "to_name": style.group_names.get(t, t), "colour": style.group_colours.get(t, "#888")}
        for a, f, t in flows[:top]
    ]  # fmt: skip


def transition_chart_svg(transitions: Iterable[Mapping[str, Any]], top: int = 12) -> Markup:
    """A horizontal bar chart (inline SVG) of the largest changes between groups, in ha."""
    flows = changed_flows(transitions, top)
    if not flows:
        return Markup('<p class="muted">任期内各地类之间没有变化。</p>')
    bar_x, width, row_h = 280, 300, 24
    height = row_h * len(flows) + 10
    biggest = max(f["area_ha"] for f in flows) or 1.0
    parts = [f'<svg class="chart" viewBox="0 0 {bar_x + width + 110} {height}" '
             f'role="img" aria-label="地类转换面积">']  # fmt: skip
    for i, f in enumerate(flows):
        y = 5 + i * row_h
        w = max(1.0, width * f["area_ha"] / biggest)
        label = escape(f"{f['from_name']} → {f['to_name']}")
        parts.append(
            f'<text x="{bar_x - 8}" y="{y + 16}" text-anchor="end">{label}</text>'
            f'<rect x="{bar_x}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{f["colour"]}"><title>{label}：{fmt(f["area_ha"])} 公顷</title></rect>'
            f'<text x="{bar_x + w + 6:.1f}" y="{y + 16}">{fmt(f["area_ha"])} 公顷</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def code_rows(codes: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """Class codes of a lead (code -> m²) with their names and areas in m², 亩 and ha."""
    table = default_class_table()
    rows = []
    for code, m2 in sorted((codes or {}).items(), key=lambda kv: -float(kv[1] or 0)):
        try:
            name = table.name(str(code))
        except KeyError:
            name = ""
        area = float(m2 or 0)
        rows.append({"code": str(code), "name": name, "m2": fmt(area, 0),
                     "mu": fmt(area / M2_PER_MU), "ha": fmt(area / 10_000, 4)})  # fmt: skip
    return rows


def history_rows(events: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """A lead's history, newest first, for display."""
    out = []
    for e in reversed(list(events)):
        at = e.get("at")
        out.append({
            "at": at.strftime("%Y-%m-%d %H:%M") if hasattr(at, "strftime") else str(at or ""),
            "user": str(e.get("user") or ""),
            "change": f"{e.get('from_state') or '（新建）'} → {e.get('to_state')}",
            "reason": str(e.get("reason") or ""),
            "deadline": str(e.get("deadline") or ""),
            "note": str(e.get("note") or ""),
        })  # fmt: skip
    return out
