"""The validation summary table and the Chinese text ``gisaudit validate`` prints."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisaudit.errors import Problem
from gisaudit.geodesy import ellipsoidal_area_m2, to_ha
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.zones import ZONE_NAMES

RIDGE_CODE = "1203"  # 田坎: receives the KCXS share of farmland patches (spec §3)


def summarise(package: AuditPackage) -> pd.DataFrame:
    """Per district and vintage: patches, area_ha (ellipsoidal), boundary_ha, diff_pct, and
    ``pct_<group>`` class-group shares (%) with the KCXS ridge deduction applied."""
    table = default_class_table()
    groups = table.group_ids
    ridge_group = table.group(RIDGE_CODE)
    rows = []
    boundary = package.districts.set_index("district_code")
    for vintage in package.landuse:
        frame = vintage.patches.columns
        area = (
            frame["area_m2"].to_numpy(dtype=float)
            if vintage.patches.has_facts
            else ellipsoidal_area_m2(vintage.frame.geometry.values, package.crs)
        )
        kcxs = frame["kcxs"].to_numpy(dtype=float)
        group = table.groups_of(frame["code"]).to_numpy()
        by = pd.DataFrame(
            {
                "district_code": frame["district_code"].to_numpy(),
                "group": group,
                "own": area * (1 - kcxs),
                "ridge": area * kcxs,
                "area": area,
            }
        )
        for code, part in by.groupby("district_code", sort=True):
            total = float(part["area"].sum())
            shares = part.groupby("group")["own"].sum()
            shares = shares.reindex(groups, fill_value=0.0)
            shares[ridge_group] += float(part["ridge"].sum())
            b = float(boundary.loc[code, "area_m2"])
            row = {
                "district_code": code,
                "name": boundary.loc[code, "name"],
                "vintage": vintage.vintage,
                "patches": len(part),
                "area_ha": float(to_ha(total)),
                "boundary_ha": float(to_ha(b)),
                "diff_pct": 100.0 * (total - b) / b if b else np.nan,
            }
            row.update({f"pct_{g}": 100.0 * shares[g] / total if total else 0.0 for g in groups})
            rows.append(row)
    cols = ["district_code", "name", "vintage", "patches", "area_ha", "boundary_ha", "diff_pct"]
    return pd.DataFrame(rows, columns=cols + [f"pct_{g}" for g in groups])


def render_report(
    problems: list[Problem],
    package: AuditPackage | None,
    repaired: int,
    notes: list[str],
    summary: pd.DataFrame | None,
) -> str:
    """Chinese text: numbered problems, or the per district and vintage summary when valid."""
    lines: list[str] = []
    if problems:
        lines.append(f"数据包校验未通过，共发现 {len(problems)} 个问题：")
        lines += [f"{i}. {p}" for i, p in enumerate(problems, 1)]
        if repaired:
            lines.append(f"另：已用 make_valid 自动修复 {repaired} 个无效几何。")
        lines.append("请逐条处理以上问题后重新校验；数据包未被载入。")
        return "\n".join(lines)
    if package is None:
        return "数据包校验未通过。"
    table = default_class_table()
    lines.append(f"数据包“{package.name}”校验通过（坐标系 EPSG:{package.crs.to_epsg() or '?'}）。")
    lines.append(
        f"区县 {len(package.districts)} 个；地类图斑 {len(package.landuse)} 期："
        + "、".join(f"{v:%Y-%m-%d}" for v in package.vintages)
        + "。"
    )
    if summary is not None and len(summary):
        lines.append("各区县各期图斑面积（椭球面积）：")
        for _, r in summary.iterrows():
            shares = "，".join(
                f"{table.group_names[g]} {r[f'pct_{g}']:.1f}%"
                for g in table.group_ids
                if r[f"pct_{g}"] >= 0.05
            )
            lines.append(
                f"  {r['district_code']} {r['name']} {r['vintage']:%Y-%m-%d}："
                f"图斑 {r['patches']} 个，"
                f"面积 {r['area_ha']:.2f} 公顷，区界面积 {r['boundary_ha']:.2f} 公顷，"
                f"相差 {r['diff_pct']:+.4f}%；{shares}"
            )
    lines.append(f"自动修复的无效几何：{repaired} 个。")
    if package.zones:
        lines.append(
            "管控范围："
            + "，".join(f"{ZONE_NAMES[k]} {len(v)} 个" for k, v in package.zones.items())
            + "。"
        )
    else:
        lines.append("管控范围：无。")
    if package.coastline:
        lines.append(
            "岸线："
            + "，".join(f"{c.vintage:%Y-%m-%d} 期 {len(c.frame)} 段" for c in package.coastline)
            + "。"
        )
    if package.imagery or package.landcover:
        lines.append(
            f"影像 {len(package.imagery)} 期，土地覆盖分类栅格 {len(package.landcover)} 期。"
        )
    open_ = int(package.tenures["end"].isna().sum())
    lines.append(
        f"任职记录 {len(package.tenures)} 条（在任 {open_} 条）；目标值 {len(package.targets)} 条。"
    )
    if notes:
        lines.append("说明：")
        lines += [f"  - {n}" for n in notes]
    return "\n".join(lines)
