"""Hand-built TenureResults for the report tests.

A tiny district of 250 m squares in EPSG:4527 near 117.3°E 39.1°N.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisaudit.evaluation.result import TenureResult
from gisaudit.geodesy import ellipsoidal_area_m2
from gisaudit.layers.classes import default_class_table

CRS = "EPSG:4527"
X0, Y0, CELL = 39_525_000.0, 4_329_000.0, 250.0

# 4 columns x 3 rows of cells: (col, row) -> (start code, end code)
CELLS = {
    (0, 0): ("0101", "0101"),
    (1, 0): ("0101", "0702"),  # farmland -> built (in pbf: the veto)
    (2, 0): ("0102", "0201"),  # farmland -> garden (非粮化)
    (3, 0): ("0301", "0301"),
    (0, 1): ("0103", "0103"),
    (1, 1): ("1104", "1104A"),  # same group
    (2, 1): ("0301", "1003"),  # forest -> transport
    (3, 1): ("1101", "1101"),
    (0, 2): ("1106", "1106"),
    (1, 2): ("0701", "0701"),
    (2, 2): ("1006", "1006"),
    (3, 2): ("0404", "0601"),  # grassland -> built
}


def _square(col: int, row: int) -> shapely.Polygon:
    x, y = X0 + col * CELL, Y0 + row * CELL
    return shapely.box(x, y, x + CELL, y + CELL)


def _indicator(id_, name, theme, unit, value, start, end, score, weight, applicable=True,
               veto=False, target=None, note=""):  # fmt: skip
    return {
        "id": id_, "name": name, "theme": theme, "unit": unit, "value": value, "start": start,
        "end": end, "target": target, "applicable": applicable, "score": score,
        "weight": weight, "veto": veto, "note": note,
    }  # fmt: skip


def make_scorecard(transitions: pd.DataFrame, district_ha: float, areas: dict) -> dict:
    """A realistic scorecard for the fixture district, with rescaled weights."""
    cell_ha = district_ha / 12
    raw = [
        _indicator(
            "farmland_retention",
            "耕地保有率",
            "farmland",
            "%",
            50.0,
            4 * cell_ha,
            2 * cell_ha,
            0.0,
            12,
        ),
        _indicator(
            "farmland_target_attainment",
            "耕地保有量目标完成率",
            "farmland",
            "%",
            None,
            None,
            None,
            None,
            10,
            applicable=False,
            note="未提供耕地保有量目标，不适用",
        ),
        _indicator(
            "pbf_protection",
            "永久基本农田保护率",
            "pbf",
            "%",
            50.0,
            2 * cell_ha,
            1 * cell_ha,
            0.0,
            10,
        ),
        _indicator(
            "pbf_loss_area",
            "永久基本农田减少面积",
            "pbf",
            "ha",
            cell_ha,
            None,
            None,
            0.0,
            10,
            veto=True,
            note="超过 1 公顷，一票否决",
        ),
        _indicator(
            "farmland_to_construction_unapproved",
            "耕地非农化（未见批准）面积",
            "farmland",
            "ha",
            cell_ha,
            None,
            None,
            87.5,
            8,
        ),
        _indicator(
            "farmland_to_nongrain",
            "耕地非粮化面积",
            "farmland",
            "ha",
            cell_ha,
            None,
            None,
            93.75,
            5,
        ),
        _indicator(
            "construction_growth",
            "建设用地增长率",
            "construction",
            "%",
            300.0,
            1 * cell_ha,
            4 * cell_ha,
            0.0,
            5,
        ),
        _indicator(
            "forest_coverage_change",
            "森林覆盖率变化",
            "forest",
            "百分点",
            -8.3333,
            None,
            None,
            0.0,
            8,
        ),
        _indicator(
            "forest_land_retention",
            "林地保有率",
            "forest_land",
            "%",
            50.0,
            2 * cell_ha,
            cell_ha,
            0.0,
            5,
        ),
        _indicator(
            "water_retention",
            "水域面积保有率",
            "water",
            "%",
            100.0,
            2 * cell_ha,
            2 * cell_ha,
            100.0,
            7,
        ),
        _indicator(
            "wetland_retention", "湿地保有率", "wetland", "%", 100.0, cell_ha, cell_ha, 100.0, 7
        ),
        _indicator(
            "natural_coastline_rate",
            "自然岸线保有率",
            "coastline",
            "%",
            None,
            None,
            None,
            None,
            5,
            applicable=False,
            note="辖区无海岸线，不适用",
        ),
        _indicator(
            "reclamation_area",
            "围填海面积",
            "tidal_flat",
            "ha",
            None,
            None,
            None,
            None,
            3,
            applicable=False,
            note="期初无沿海滩涂，不适用",
        ),
        _indicator(
            "redline_new_construction",
            "生态保护红线内新增建设用地",
            "redline",
            "ha",
            0.0,
            None,
            None,
            100.0,
            5,
        ),
    ]
    applicable_weight = sum(i["weight"] for i in raw if i["applicable"])
    for ind in raw:
        ind["weight"] = 100.0 * ind["weight"] / applicable_weight if ind["applicable"] else 0.0
    total = sum(i["weight"] * i["score"] for i in raw if i["applicable"]) / 100.0
    return {
        "schema": "gisaudit.scorecard/1",
        "indicator_system": {"id": "tianjin-2025", "version": "1.0"},
        "tenure": {"id": "120112-2018-zhang", "district_code": "120112", "official": "张三",
                   "position": "区委书记", "start": "2018-03-01", "end": "2023-06-30"},
        "district": {"code": "120112", "name": "津南区", "area_ha": district_ha},
        "vintages": {"start": "2017-12-31", "end": "2022-12-31",
                     "notes": ["期初数据期次早于任期开始日期，为任期开始前最近一期。"]},
        "indicators": raw,
        "total_score": round(total, 2),
        "grade": "较差" if total >= 60 else "差",
        "vetoes": ["pbf_loss_area"],
        "areas": areas,
        "transitions": [
            {"from": r.from_group, "to": r.to_group, "area_ha": r.area_ha}
            for r in transitions.itertuples()
        ],
        "leads": {"count": 3, "by_rule": {"pbf_occupation": 1, "farmland_to_construction": 1,
                                          "farmland_to_nongrain": 1}, "area_ha": 3 * cell_ha},
    }  # fmt: skip


def make_result(cells: dict = CELLS, leads: bool = True) -> TenureResult:
    table = default_class_table()
    keys = list(cells)
    geoms = np.array([_square(c, r) for c, r in keys])
    area_m2 = ellipsoidal_area_m2(geoms, CRS)
    start_codes = pd.Series([cells[k][0] for k in keys])
    end_codes = pd.Series([cells[k][1] for k in keys])
    start = gpd.GeoDataFrame({"code": start_codes}, geometry=geoms, crs=CRS)
    end = gpd.GeoDataFrame({"code": end_codes}, geometry=geoms, crs=CRS)
    from_group = table.groups_of(start_codes)
    to_group = table.groups_of(end_codes)
    transitions = (
        pd.DataFrame({"from_group": from_group, "to_group": to_group, "area_ha": area_m2 / 1e4})
        .groupby(["from_group", "to_group"], as_index=False)["area_ha"]
        .sum()
        .sort_values(["from_group", "to_group"], ignore_index=True)
    )
    changed = (start_codes != end_codes).to_numpy()
    changes = gpd.GeoDataFrame(
        {
            "from_code": start_codes[changed].to_numpy(),
            "to_code": end_codes[changed].to_numpy(),
            "from_group": from_group[changed].to_numpy(),
            "to_group": to_group[changed].to_numpy(),
            "area_m2": area_m2[changed],
            "change_vintage": date(2022, 12, 31),
        },
        geometry=geoms[changed],
        crs=CRS,
    )
    district = gpd.GeoDataFrame(
        {"code": ["120112"], "name": ["津南区"]},
        geometry=[shapely.union_all(geoms)],
        crs=CRS,
    )
    rows, areas = [], {"start": {}, "end": {}}
    for theme in ("farmland", "forest", "forest_land", "water", "wetland", "tidal_flat",
                  "construction", "nongrain"):  # fmt: skip
        s = table.theme_mask(start_codes, theme)
        e = table.theme_mask(end_codes, theme)
        opening, closing = area_m2[s].sum() / 1e4, area_m2[e].sum() / 1e4
        areas["start"][theme], areas["end"][theme] = opening, closing
        rows.append(
            {"theme": theme, "name": table.theme_names[theme], "opening_ha": opening,
             "additions_ha": area_m2[e & ~s].sum() / 1e4,
             "reductions_ha": area_m2[s & ~e].sum() / 1e4, "closing_ha": closing}
        )  # fmt: skip
    account = pd.DataFrame(rows)
    district_ha = float(area_m2.sum() / 1e4)
    scorecard = make_scorecard(transitions, district_ha, areas)
    lead_gdf = None
    if leads:
        cell_m2 = float(area_m2[1])
        lead_gdf = gpd.GeoDataFrame(
            {
                "id": ["L1", "L2", "L3"],
                "rule": ["pbf_occupation", "farmland_to_construction", "farmland_to_nongrain"],
                "name": ["永久基本农田被占用", "耕地转为建设用地且未见批准", "耕地非粮化"],
                "severity": ["critical", "high", "medium"],
                "area_m2": [cell_m2] * 3,
                "area_ha": [cell_m2 / 1e4] * 3,
                "area_mu": [cell_m2 / (10000 / 15)] * 3,
                "length_m": [None] * 3,
            },
            geometry=[geoms[1], geoms[1], geoms[2]],
            crs=CRS,
        )
    return TenureResult(
        tenure_id="120112-2018-zhang",
        district_code="120112",
        start_vintage=date(2017, 12, 31),
        end_vintage=date(2022, 12, 31),
        scorecard=scorecard,
        transitions=transitions,
        account=account,
        changes=changes,
        district=district,
        start_landuse=start,
        end_landuse=end,
        leads=lead_gdf,
    )
