"""What the reports show, as plain tables: one place shared by the workbook, HTML and PDF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gisaudit.layers.classes import default_class_table
from gisaudit.reports.styles import default_style

if TYPE_CHECKING:
    from gisaudit.evaluation.result import TenureResult

MU_PER_HA = 15.0
TOTAL = "合计"

INDICATOR_COLUMNS = [
    "指标",
    "专题",
    "单位",
    "期初",
    "期末",
    "指标值",
    "目标",
    "得分",
    "权重",
    "是否适用",
    "一票否决",
    "说明",
]
NUMERIC_INDICATOR_COLUMNS = ["期初", "期末", "指标值", "目标", "得分", "权重"]

ACCOUNT_COLUMNS = [
    "专题",
    "期初存量（公顷）",
    "增加（公顷）",
    "减少（公顷）",
    "期末存量（公顷）",
    "净变化（公顷）",
    "期初存量（亩）",
    "增加（亩）",
    "减少（亩）",
    "期末存量（亩）",
]

LEADS_COLUMNS = ["疑点类型", "规则", "严重程度", "数量", "面积（公顷）", "面积（亩）", "长度（米）"]

UNITS_NOTE = (
    "面积均为 CGCS2000（GRS80）椭球面积，按第三次全国国土调查图斑椭球面积的算法计算；"
    "单位为公顷（ha），1 公顷 = 15 亩，1 亩 = 10000/15 平方米。比率单位为百分比（%）。"
)
START_END_NOTE = (
    "“期初”“期末”为构成该指标的两期面积（公顷）；自然岸线保有率为两期比率（%）；"
    "“地类甲→地类乙”类面积指标不列两期数。"
)


@dataclass(frozen=True)
class ReportHeader:
    """The facts every report starts with."""

    title: str
    district_code: str
    district_name: str
    district_area_ha: float
    tenure_id: str
    official: str
    position: str
    tenure_start: str
    tenure_end: str
    vintage_start: str
    vintage_end: str
    vintage_notes: list[str]
    system_id: str
    system_version: str
    total_score: float
    grade: str
    vetoes: list[str]  # Chinese names of the indicators whose veto fired
    leads_count: int

    @property
    def tenure_text(self) -> str:
        """'2018-01-01 至 2023-06-30' or '… 至今（在任）'."""
        return f"{self.tenure_start} 至 {self.tenure_end}"

    @property
    def subtitle(self) -> str:
        """One line under every page title: district, official, tenure, vintages."""
        return (
            f"{self.district_name}　{self.official}（{self.position}）　任期 {self.tenure_text}　"
            f"数据期次 {self.vintage_start} → {self.vintage_end}"
        )

    @property
    def vetoes_text(self) -> str:
        """Veto indicators joined with 、, or 无."""
        return "、".join(self.vetoes) if self.vetoes else "无"

    @property
    def system_text(self) -> str:
        """Indicator system id and version."""
        return f"{self.system_id}（版本 {self.system_version}）"


def build_header(result: TenureResult) -> ReportHeader:
    """Collect the header facts of a tenure's reports from its scorecard."""
    sc = result.scorecard
    tenure, district = sc["tenure"], sc["district"]
    names = {i["id"]: i["name"] for i in sc["indicators"]}
    return ReportHeader(
        title=f"{district['name']}领导干部自然资源资产离任审计评价报告",
        district_code=str(district["code"]),
        district_name=str(district["name"]),
        district_area_ha=float(district["area_ha"]),
        tenure_id=str(tenure["id"]),
        official=str(tenure["official"]),
        position=str(tenure["position"]),
        tenure_start=str(tenure["start"]),
        tenure_end=str(tenure["end"]) if tenure.get("end") else "至今（在任）",
        vintage_start=str(sc["vintages"]["start"]),
        vintage_end=str(sc["vintages"]["end"]),
        vintage_notes=[str(n) for n in sc["vintages"].get("notes", [])],
        system_id=str(sc["indicator_system"]["id"]),
        system_version=str(sc["indicator_system"]["version"]),
        total_score=float(sc["total_score"]),
        grade=str(sc["grade"]),
        vetoes=[names.get(v, v) for v in sc["vetoes"]],
        leads_count=int(sc["leads"]["count"]),
    )


def _num(value: Any) -> float:
    return float(value) if value is not None else np.nan


def indicator_table(scorecard: dict[str, Any]) -> pd.DataFrame:
    """The scorecard's indicators with Chinese column names (NaN where there is no number)."""
    style = default_style()
    vetoed = set(scorecard.get("vetoes", []))
    rows = []
    for ind in scorecard["indicators"]:
        rows.append(
            {
                "指标": ind["name"],
                "专题": style.theme_label(ind.get("theme")),
                "单位": ind.get("unit", ""),
                "期初": _num(ind.get("start")),
                "期末": _num(ind.get("end")),
                "指标值": _num(ind.get("value")),
                "目标": _num(ind.get("target")),
                "得分": _num(ind.get("score")),
                "权重": _num(ind.get("weight")),
                "是否适用": "是" if ind["applicable"] else "否",
                "一票否决": "是" if ind["veto"] or ind["id"] in vetoed else "否",
                "说明": ind.get("note", "") or "",
            }
        )
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def transition_matrix(transitions: pd.DataFrame) -> pd.DataFrame:
    """Group x group matrix in ha (rows: start, columns: end) with a 合计 row and column.

    Every group of the class table is listed, in the table's order; labels are group ids.
    """
    order = default_class_table().group_ids
    extra = sorted((set(transitions["from_group"]) | set(transitions["to_group"])) - set(order))
    groups = order + extra
    matrix = (
        transitions.pivot_table(
            index="from_group", columns="to_group", values="area_ha", aggfunc="sum"
        )
        .reindex(index=groups, columns=groups)
        .fillna(0.0)
        .astype(float)
    )
    matrix[TOTAL] = matrix.sum(axis=1)
    matrix.loc[TOTAL] = matrix.sum(axis=0)
    return matrix


def group_label(group: str) -> str:
    """Chinese name of a group id (合计 and unknown ids pass through)."""
    return default_class_table().group_names.get(group, group)


def account_table(account: pd.DataFrame) -> pd.DataFrame:
    """The SEEA asset account with Chinese headers, net change and 亩 columns."""
    style = default_style()
    out = pd.DataFrame(
        {
            "专题": [
                str(n) if isinstance(n, str) and n else style.theme_label(t)
                for t, n in zip(
                    account["theme"], account.get("name", account["theme"]), strict=True
                )
            ],
            "期初存量（公顷）": account["opening_ha"].astype(float),
            "增加（公顷）": account["additions_ha"].astype(float),
            "减少（公顷）": account["reductions_ha"].astype(float),
            "期末存量（公顷）": account["closing_ha"].astype(float),
        }
    )
    out["净变化（公顷）"] = out["期末存量（公顷）"] - out["期初存量（公顷）"]
    for key in ("期初存量", "增加", "减少", "期末存量"):
        out[f"{key}（亩）"] = out[f"{key}（公顷）"] * MU_PER_HA
    out[ACCOUNT_COLUMNS[1:]] = out[ACCOUNT_COLUMNS[1:]].round(6) + 0.0  # no "-0.00"
    return out[ACCOUNT_COLUMNS].reset_index(drop=True)


def leads_summary(result: TenureResult) -> pd.DataFrame:
    """Leads per rule: type, rule id, severity, count, area (ha, 亩), length (m).

    Uses the leads GeoDataFrame when there is one, else the scorecard's counts per rule.
    Empty when the tenure has no leads.
    """
    style = default_style()
    leads = result.leads
    if leads is not None and len(leads) > 0 and "rule" in leads.columns:
        frame = pd.DataFrame(leads.drop(columns="geometry", errors="ignore"))
        for col in ("name", "severity"):
            if col not in frame.columns:
                frame[col] = ""
        for col in ("area_ha", "area_mu", "length_m"):
            frame[col] = pd.to_numeric(frame.get(col), errors="coerce") if col in frame else np.nan
        grouped = frame.groupby("rule", sort=False).agg(
            name=("name", "first"),
            severity=("severity", "first"),
            count=("rule", "size"),
            area_ha=("area_ha", lambda s: s.sum(min_count=1)),
            area_mu=("area_mu", lambda s: s.sum(min_count=1)),
            length_m=("length_m", lambda s: s.sum(min_count=1)),
        )
        rows = [
            [
                r["name"] or rule,
                rule,
                style.severity_labels.get(r["severity"], r["severity"] or ""),
                int(r["count"]),
                r["area_ha"],
                r["area_mu"],
                r["length_m"],
            ]
            for rule, r in grouped.iterrows()
        ]
    else:
        by_rule = result.scorecard["leads"].get("by_rule", {})
        rows = [
            [rule, rule, "", int(n), np.nan, np.nan, np.nan] for rule, n in by_rule.items() if n
        ]
    table = pd.DataFrame(rows, columns=LEADS_COLUMNS)
    return table.sort_values("数量", ascending=False, kind="stable").reset_index(drop=True)


def sources_notes(result: TenureResult) -> list[str]:
    """Notes on units, areas and data sources for the 说明 sheet and report section."""
    header = build_header(result)
    notes = [
        UNITS_NOTE,
        START_END_NOTE,
        f"坐标系：{_crs_text(result)}；面积按椭球面计算，不采用高斯投影平面面积。",
        f"数据期次：期初采用 {header.vintage_start} 土地利用现状（地类图斑），"
        f"期末采用 {header.vintage_end} 土地利用现状（地类图斑）。",
        *header.vintage_notes,
        f"评价指标体系：{header.system_text}。得分 0～100 分，总分为适用指标得分按权重加权平均；"
        "不适用指标权重为 0，其余指标权重按比例调整至合计 100。",
        "等级：≥90 好，≥80 较好，≥70 一般，≥60 较差，<60 差；触发一票否决时等级最高为较差。",
        "疑点为需实地核查的线索，并非审计结论。",
    ]
    coast = result.scorecard.get("coastline_km")
    if coast:
        notes.append("岸线长度为 CGCS2000 椭球面测地线长度，单位千米（km）。")
    return notes


def _crs_text(result: TenureResult) -> str:
    crs = result.district.crs
    if crs is None:
        return "未知"
    epsg = crs.to_epsg()
    return f"{crs.name}（EPSG:{epsg}）" if epsg else str(crs.name)
