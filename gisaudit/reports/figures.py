"""Maps and charts of one tenure as matplotlib figures (A4 landscape; Agg, shipped CJK font)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from gisaudit.fonts import mpl_rc
from gisaudit.layers.classes import default_class_table
from gisaudit.reports.content import build_header
from gisaudit.reports.mapdraw import (
    draw_outline,
    draw_polygons,
    draw_scale_and_north,
    frame_map,
    simplify_for_map,
)
from gisaudit.reports.sankey import draw_sankey
from gisaudit.reports.styles import default_style

if TYPE_CHECKING:
    from gisaudit.evaluation.result import TenureResult

A4_LANDSCAPE = (11.69, 8.27)


@dataclass(frozen=True)
class ReportFigure:
    """One figure of the report: a key, a Chinese caption and the figure itself."""

    key: str
    caption: str
    figure: Figure


@dataclass(frozen=True)
class _MapData:
    bounds: tuple[float, float, float, float]
    district: np.ndarray
    start: np.ndarray
    start_codes: pd.Series
    end: np.ndarray
    end_codes: pd.Series
    changes: np.ndarray
    changes_frame: pd.DataFrame


def _map_data(result: TenureResult) -> _MapData:
    crs = result.district.crs
    frames = [result.district, result.landuse("start"), result.landuse("end"), result.changes]
    frames = [
        f.to_crs(crs) if crs is not None and f.crs is not None and f.crs != crs else f
        for f in frames
    ]
    district, start, end, changes = frames
    bounds = tuple(float(b) for b in district.total_bounds)
    if not np.all(np.isfinite(bounds)):
        bounds = tuple(float(b) for b in start.total_bounds)
    extent = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1.0)
    return _MapData(
        bounds=bounds,  # type: ignore[arg-type]
        district=simplify_for_map(district.geometry.to_numpy(), extent),
        start=simplify_for_map(start.geometry.to_numpy(), extent),
        start_codes=start["code"].astype(str).reset_index(drop=True),
        end=simplify_for_map(end.geometry.to_numpy(), extent),
        end_codes=end["code"].astype(str).reset_index(drop=True),
        changes=simplify_for_map(changes.geometry.to_numpy(), extent),
        changes_frame=pd.DataFrame(changes.drop(columns="geometry")).reset_index(drop=True),
    )


def build_figures(result: TenureResult) -> list[ReportFigure]:
    """All figures of the report, in report order: change map, land use, themes, flows."""
    with mpl.rc_context(mpl_rc()):
        data = _map_data(result)
        return [
            ReportFigure(
                "change_map",
                "图 1　任期内地类变化分布（按转移类型着色）",
                _change_map(result, data),
            ),
            ReportFigure(
                "landuse", "图 2　期初、期末地类分布（按地类分组）", _landuse_maps(result, data)
            ),
            ReportFigure("themes", "图 3　主要资源专题期初、期末分布", _theme_maps(result, data)),
            ReportFigure("flows", "图 4　地类分组间转移流向", _flows(result)),
        ]


def _new_figure(title: str, subtitle: str) -> Figure:
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.suptitle(title, fontsize=15, y=0.975)
    fig.text(0.5, 0.925, subtitle, ha="center", fontsize=9, color="#444444")
    return fig


def _subtitle(result: TenureResult) -> str:
    return build_header(result).subtitle


def _groups(codes: pd.Series) -> np.ndarray:
    return default_class_table().groups_of(codes).to_numpy()


def _draw_by_group(ax, geoms: np.ndarray, codes: pd.Series, alpha: float = 1.0) -> None:
    style = default_style()
    groups = _groups(codes)
    for group in default_class_table().group_ids:
        mask = groups == group
        if mask.any():
            draw_polygons(ax, geoms[mask], facecolor=style.group_colour(group), alpha=alpha)


def _group_legend(fig: Figure, groups_present: set[str]) -> None:
    style, table = default_style(), default_class_table()
    handles = [
        Patch(facecolor=style.group_colour(g), edgecolor="#555555", linewidth=0.4, label=name)
        for g, name in table.group_names.items()
        if g in groups_present
    ]
    fig.legend(
        handles=handles, loc="lower center", ncol=min(len(handles), 9), frameon=False, fontsize=9
    )


def _change_map(result: TenureResult, data: _MapData) -> Figure:
    fig = _new_figure("任期内地类变化分布图", _subtitle(result))
    ax = fig.add_axes((0.02, 0.05, 0.62, 0.84))
    _draw_by_group(ax, data.end, data.end_codes, alpha=0.18)
    frame = data.changes_frame
    handles: list[Patch] = []
    if len(frame):
        for colour, label, mask in _change_classes(frame):
            draw_polygons(
                ax, data.changes[mask], facecolor=colour, edgecolor=colour, linewidth=0.3, zorder=5
            )
            handles.append(Patch(facecolor=colour, label=label))
    draw_outline(ax, data.district)
    frame_map(ax, data.bounds)
    draw_scale_and_north(ax, data.bounds)
    lax = fig.add_axes((0.66, 0.1, 0.33, 0.74))
    lax.set_axis_off()
    total_ha = frame["area_m2"].sum() / 1e4 if len(frame) else 0.0
    lax.set_title(
        f"转移类型（期初→期末）\n变化总面积 {total_ha:,.2f} 公顷", fontsize=10, loc="left"
    )
    if handles:
        lax.legend(handles=handles, loc="upper left", frameon=False, fontsize=9)
    else:
        lax.text(0, 0.9, "本任期内无地类变化", fontsize=11)
    lax.text(0, 0.02, "底图：期末地类（淡色）；粗线：区界。", fontsize=8, color="#555555")
    return fig


def _change_classes(frame: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(colour, legend label, mask) per drawn class of change, largest transitions first.

    The largest transitions between groups get their own colour; the other transitions between
    groups share one colour, and changes of class inside one group (e.g. 0701 -> 0702) another.
    """
    style = default_style()
    pair = (frame["from_group"].astype(str) + "→" + frame["to_group"].astype(str)).to_numpy()
    internal = (frame["from_group"] == frame["to_group"]).to_numpy()
    area_ha = frame["area_m2"].to_numpy(dtype=float) / 1e4
    by_pair = pd.Series(area_ha[~internal]).groupby(pair[~internal]).sum()
    top = list(by_pair.sort_values(ascending=False).index[: len(style.transition_colours)])
    out = [
        (colour, f"{_transition_label(key)}　{by_pair[key]:,.2f} 公顷", pair == key)
        for key, colour in zip(top, style.transition_colours, strict=False)
    ]
    rest = ~internal & ~np.isin(pair, top)
    if rest.any():
        out.append((style.other_change, f"其他分组间变化　{area_ha[rest].sum():,.2f} 公顷", rest))
    if internal.any():
        label = f"分组内地类变化　{area_ha[internal].sum():,.2f} 公顷"
        out.append((style.internal_change, label, internal))
    return out


def _transition_label(key: str) -> str:
    """'farmland→built' -> '耕地→城镇村及工矿用地'; a change inside one group -> '…内部地类变化'."""
    names = default_class_table().group_names
    src, dst = key.split("→")
    if src == dst:
        return f"{names.get(src, src)}内部地类变化"
    return f"{names.get(src, src)}→{names.get(dst, dst)}"


def _landuse_maps(result: TenureResult, data: _MapData) -> Figure:
    h = build_header(result)
    fig = _new_figure("期初、期末地类分布图", _subtitle(result))
    present: set[str] = set()
    for k, (geoms, codes, title) in enumerate(
        [
            (data.start, data.start_codes, f"期初（{h.vintage_start}）"),
            (data.end, data.end_codes, f"期末（{h.vintage_end}）"),
        ]
    ):
        ax = fig.add_axes((0.02 + 0.49 * k, 0.1, 0.47, 0.78))
        _draw_by_group(ax, geoms, codes)
        present |= set(_groups(codes))
        draw_outline(ax, data.district)
        frame_map(ax, data.bounds)
        draw_scale_and_north(ax, data.bounds)
        ax.set_title(title, fontsize=12)
    _group_legend(fig, present)
    return fig


def _theme_maps(result: TenureResult, data: _MapData) -> Figure:
    style, table = default_style(), default_class_table()
    areas = result.scorecard.get("areas", {})
    h = build_header(result)
    fig = _new_figure("主要资源专题分布图", _subtitle(result))
    themes = list(style.theme_maps)
    width = 0.96 / len(themes)
    for col, theme in enumerate(themes):
        colour = style.theme_maps[theme]
        for row, (geoms, codes, when, key) in enumerate(
            [
                (data.start, data.start_codes, h.vintage_start, "start"),
                (data.end, data.end_codes, h.vintage_end, "end"),
            ]
        ):
            ax = fig.add_axes((0.02 + width * col, 0.47 - 0.43 * row, width * 0.96, 0.38))
            mask = table.theme_mask(codes, theme)
            draw_polygons(ax, geoms[~mask], facecolor="#eeeeee")
            draw_polygons(ax, geoms[mask], facecolor=colour)
            draw_outline(ax, data.district, width=0.8)
            frame_map(ax, data.bounds)
            area = areas.get(key, {}).get(theme)
            area_text = f"{area:,.2f} 公顷" if area is not None else ""
            label = table.theme_names.get(theme, theme)
            ax.set_title(
                f"{label}　{'期初' if row == 0 else '期末'} {when}\n{area_text}", fontsize=9
            )
    return fig


def _flows(result: TenureResult) -> Figure:
    fig = _new_figure("地类分组间转移流向图（不含未变化及分组内变化）", _subtitle(result))
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.82))
    draw_sankey(ax, result.transitions)
    return fig
