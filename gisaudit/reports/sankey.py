"""A two-column Sankey (alluvial) chart of land-class group changes, drawn with matplotlib."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from gisaudit.layers.classes import default_class_table
from gisaudit.reports.styles import default_style

NODE_WIDTH = 0.04
GAP = 0.025  # share of the height between nodes


def changed_flows(transitions: pd.DataFrame) -> pd.DataFrame:
    """Off-diagonal cells of the group transition matrix (from_group, to_group, area_ha > 0)."""
    flows = transitions[
        (transitions["from_group"] != transitions["to_group"]) & (transitions["area_ha"] > 0)
    ]
    return flows.groupby(["from_group", "to_group"], as_index=False)["area_ha"].sum()


def _band(x0: float, x1: float, y0: tuple[float, float], y1: tuple[float, float]) -> MplPath:
    """A band from the left segment y0=(bottom, top) at x0 to the right segment y1 at x1."""
    xm = (x0 + x1) / 2
    verts = [
        (x0, y0[1]),
        (xm, y0[1]),
        (xm, y1[1]),
        (x1, y1[1]),
        (x1, y1[0]),
        (xm, y1[0]),
        (xm, y0[0]),
        (x0, y0[0]),
        (x0, y0[1]),
    ]
    codes = [
        MplPath.MOVETO,
        *[MplPath.CURVE4] * 3,
        MplPath.LINETO,
        *[MplPath.CURVE4] * 3,
        MplPath.CLOSEPOLY,
    ]
    return MplPath(verts, codes)


def _layout(totals: pd.Series, scale: float) -> dict[str, tuple[float, float]]:
    """Stack nodes from the top: group -> (bottom, top) in axes units."""
    out: dict[str, tuple[float, float]] = {}
    top = 1.0
    for group, value in totals.items():
        height = value * scale
        out[str(group)] = (top - height, top)
        top -= height + GAP
    return out


def draw_sankey(ax: Axes, transitions: pd.DataFrame) -> None:
    """Draw changes (start group -> end group, ha) as a Sankey chart on ``ax`` (axes 0..1)."""
    style, table = default_style(), default_class_table()
    order = {g: i for i, g in enumerate(table.group_ids)}
    flows = changed_flows(transitions)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    if flows.empty:
        ax.text(0.5, 0.5, "本任期内无地类变化", ha="center", va="center", fontsize=14)
        return
    flows = flows.assign(
        fo=flows["from_group"].map(order).fillna(99), to=flows["to_group"].map(order).fillna(99)
    )
    left = flows.groupby("from_group")["area_ha"].sum()
    right = flows.groupby("to_group")["area_ha"].sum()
    left = left.reindex(sorted(left.index, key=lambda g: order.get(g, 99)))
    right = right.reindex(sorted(right.index, key=lambda g: order.get(g, 99)))
    n = max(len(left), len(right))
    scale = (1.0 - GAP * (n - 1)) / max(left.sum(), right.sum())
    lpos, rpos = _layout(left, scale), _layout(right, scale)
    x_left, x_right = 0.2, 0.8
    lcursor = {g: pos[1] for g, pos in lpos.items()}
    rcursor = {g: pos[1] for g, pos in rpos.items()}
    for row in flows.sort_values(["fo", "to"]).itertuples():
        h = row.area_ha * scale
        src, dst = str(row.from_group), str(row.to_group)
        y0 = (lcursor[src] - h, lcursor[src])
        lcursor[src] -= h
        y1 = (rcursor[dst] - h, rcursor[dst])
        rcursor[dst] -= h
        ax.add_patch(
            PathPatch(
                _band(x_left + NODE_WIDTH, x_right, y0, y1),
                facecolor=style.group_colour(src),
                edgecolor="none",
                alpha=0.55,
            )
        )
    total = float(left.sum())
    for nodes, x, ha, tx in (
        (lpos, x_left, "right", x_left - 0.01),
        (rpos, x_right, "left", x_right + NODE_WIDTH + 0.01),
    ):
        sums = left if nodes is lpos else right
        for group, (bottom, top) in nodes.items():
            ax.add_patch(
                Rectangle(
                    (x, bottom),
                    NODE_WIDTH,
                    top - bottom,
                    facecolor=style.group_colour(group),
                    edgecolor="#333333",
                    linewidth=0.5,
                )
            )
            value = float(sums[group])
            ax.text(
                tx,
                (bottom + top) / 2,
                f"{table.group_names.get(group, group)}\n"
                f"{value:,.2f} 公顷（{100 * value / total:.1f}%）",
                ha=ha,
                va="center",
                fontsize=8,
            )
    ax.text(x_left + NODE_WIDTH / 2, 1.02, "期初（转出）", ha="center", va="bottom", fontsize=10)
    ax.text(x_right + NODE_WIDTH / 2, 1.02, "期末（转入）", ha="center", va="bottom", fontsize=10)
