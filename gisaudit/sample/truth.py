"""Ground truth of the sample package: which change regions must (not) become leads.

Written to ``truth/planted.gpkg`` beside the package content (never referenced by
package.yaml) so tests can check the evaluation engine's recall, precision and merging.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.classes import default_class_table
from gisaudit.sample.changes import Region, change_spec

POLYGON_RULES = ("farmland_to_construction", "pbf_occupation", "forest_to_construction",
                 "water_to_construction", "wetland_to_construction", "tidal_flat_reclamation",
                 "redline_construction", "farmland_to_nongrain")
COAST_RULE = "natural_coastline_loss"
# a region is a violation only when it clears the minimum area with this margin, and a
# decoy "under the minimum" stays below it by the same margin (ellipsoidal vs planar etc.)
MARGIN = 1.25


def _in(code: str, theme: str) -> bool:
    table = default_class_table()
    if theme.startswith("-"):
        return not table.in_theme(code, theme[1:])
    return table.in_theme(code, theme)


def expected_rules(region: Region, area_m2: float) -> tuple[list[str], list[str]]:
    """Lead rules the region must trigger (spec §8 defaults), given its ellipsoidal area.

    Returns (expected, ambiguous): ambiguous rules match but the area is too close to their
    minimum to say; they are neither expected nor forbidden.
    """
    expected, ambiguous = [], []
    zones = {"pbf": region.pbf, "redline": region.redline, "approvals": region.approved}
    for rule_id, rule in change_spec()["rules"].items():
        if not all(_in(c, rule["from"]) for c in region.from_area):
            continue
        if not _in(region.to_code, rule["to"]):
            continue
        if "inside" in rule and not zones[rule["inside"]]:
            continue
        if "outside" in rule and zones[rule["outside"]]:
            continue
        if area_m2 >= rule["min_m2"] * MARGIN:
            expected.append(rule_id)
        elif area_m2 >= rule["min_m2"] / MARGIN:
            ambiguous.append(rule_id)
    return expected, ambiguous


def truth_frame(regions: list[Region], crs: str) -> gpd.GeoDataFrame:
    """One row per change region: kind violation/decoy, expected and forbidden rules."""
    geoms = np.array([r.geometry for r in regions], dtype=object)
    areas = ellipsoidal_area_m2(geoms, crs) if len(geoms) else np.zeros(0)
    rows = []
    for n, (region, area) in enumerate(zip(regions, areas, strict=True), 1):
        rules, unsure = expected_rules(region, float(area))
        forbidden = [r for r in POLYGON_RULES if r not in unsure]
        from_code = max(region.from_area, key=region.from_area.get)
        sc = region.scenario
        rows.append({
            "id": f"P{region.vintage.year}-{region.district_code}-{n:05d}",
            "kind": "violation" if rules else "decoy",
            "expected_rules": ",".join(rules),
            "forbidden_rules": "" if rules else ",".join(forbidden),
            "district_code": region.district_code,
            "change_vintage": region.vintage.isoformat(),
            "from_code": from_code,
            "to_code": region.to_code,
            "area_m2": round(float(area), 2),
            "scenario": sc["id"],
            "planted": region.planted,
            "in_pbf": region.pbf,
            "in_redline": region.redline,
            "approved": region.approved,
            "description": sc["description"],
        })
    frame = pd.DataFrame(rows, columns=[
        "id", "kind", "expected_rules", "forbidden_rules", "district_code", "change_vintage",
        "from_code", "to_code", "area_m2", "scenario", "planted", "in_pbf", "in_redline",
        "approved", "description"])
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs=crs)


TRUTH_README = """# 样例数据包的“标准答案”（ground truth）

本目录不属于数据包本身：package.yaml 不引用它，产品也不读取它。它记录生成样例数据时
人为“埋设”的变化，供测试检验疑点生成的查全率、查准率和合并是否正确。

`planted.gpkg`（坐标系 EPSG:4527）：

- 图层 `planted`（面）：每个变化区域一行。
  - `kind`：`violation`（应生成疑点）或 `decoy`（干扰项，不应生成疑点）。
  - `expected_rules`：应命中的疑点规则（逗号分隔，按规范第 8 节默认规则）；干扰项为空。
    同一变化可同时命中多条规则（如永久基本农田内未批建设同时命中
    farmland_to_construction 和 pbf_occupation）。
  - `forbidden_rules`：该区域上不得出现的疑点规则（干扰项为全部面状规则）。
  - `district_code`、`change_vintage`（该变化首次出现的年度）、`from_code`（主要原地类）、
    `to_code`、`area_m2`（椭球面积）、`scenario`、`planted`（专门埋设的为 true，
    其余为年度背景变化）、`in_pbf`、`in_redline`、`approved`、`description`。
- 图层 `planted_coast`（线）：自然岸线变为人工岸线的岸段（natural_coastline_loss），
  字段 `id`、`expected_rules`、`district_code`、`change_vintage`、`length_m`（大地线长度）。

检验方法：每个 expected_rules 含规则 R 的区域应被 R 的疑点覆盖至少 95 %，且只对应一个
疑点；任何疑点 R 不得落在 forbidden_rules 含 R 的区域上。任意两个变化区域相距至少 100 米。
"""


def write_truth(root: Path, planted: gpd.GeoDataFrame, coast: gpd.GeoDataFrame) -> None:
    """Write truth/planted.gpkg (layers planted, planted_coast) and truth/README.md."""
    folder = root / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "planted.gpkg"
    planted.to_file(path, layer="planted", driver="GPKG")
    coast.to_file(path, layer="planted_coast", driver="GPKG")
    (folder / "README.md").write_text(TRUTH_README, encoding="utf-8")
