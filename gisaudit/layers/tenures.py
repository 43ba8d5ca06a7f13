"""Tenures (任职) and targets (目标值) tables: CSV files of the package."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from gisaudit.layers.common import TIANJIN_DISTRICTS, Issues, Where, code_text, is_blank, parse_date

TENURE_COLUMNS = ["id", "district_code", "official", "position", "start", "end"]
TARGET_COLUMNS = ["district_code", "indicator", "value"]

# Indicator ids of the default indicator system (spec §7), for checking targets.csv.
DEFAULT_INDICATORS = (
    "farmland_retention", "farmland_target_attainment", "pbf_protection", "pbf_loss_area",
    "farmland_to_construction_unapproved", "farmland_to_nongrain", "construction_growth",
    "forest_coverage_change", "forest_land_retention", "water_retention", "wetland_retention",
    "natural_coastline_rate", "reclamation_area", "redline_new_construction",
)  # fmt: skip


def read_csv_table(root: Path, rel: str, columns: list[str], where: Where) -> pd.DataFrame | None:
    """Read a CSV (UTF-8, with or without BOM, or GBK/GB18030) as text; check the columns."""
    full = root / rel
    if not full.is_file():
        where.add("文件不存在。", "请检查 package.yaml 中的路径，或补充该文件。")
        return None
    data = full.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        where.add("CSV 文件的文字编码无法识别。", "请以 UTF-8 编码另存该文件。")
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        where.add(f"CSV 文件无法解析：{exc}", "请用表格软件检查该文件（逗号分隔、首行为列名）。")
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        where.add(
            f"缺少列：{'、'.join(missing)}（现有列：{'、'.join(frame.columns)}）。",
            f"请按规范第 4 节补齐列（{', '.join(columns)}）。",
        )
        return None
    return frame


def _row(n: int, ident: str = "") -> str:
    return f"第 {n + 2} 行" + (f"（id={ident}）" if ident else "")


def read_tenures(
    root: Path, rel: str, district_codes: set[str] | None, issues: Issues
) -> pd.DataFrame | None:
    """Read tenures.csv: columns per :data:`TENURE_COLUMNS`, dates as ``datetime.date``.

    ``district_codes``: the codes of the districts layer (None when it could not be read).
    """
    where = issues.at(rel)
    frame = read_csv_table(root, rel, TENURE_COLUMNS, where)
    if frame is None:
        return None
    if len(frame) == 0:
        where.add("任职表没有任何记录。", "请至少填写一条领导干部任职记录。")
        return None
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, rec in enumerate(frame.to_dict("records")):
        ident = str(rec["id"]).strip()
        code = code_text(rec["district_code"])
        feat = _row(n, ident)
        if not ident:
            where.add("任职记录缺少 id。", "请为每条任职记录填写唯一的 id。", feature=feat)
        elif ident in seen:
            where.add(
                f"任职 id {ident} 重复（与第 {seen[ident] + 2} 行相同）。",
                "请保证每条任职记录的 id 唯一。",
                feature=feat,
            )
        else:
            seen[ident] = n
        if code not in TIANJIN_DISTRICTS:
            where.add(
                f"区县代码 {code or '（空）'} 不是天津市 10 个涉农区的代码之一。",
                "请改为 120110–120119 中正确的 6 位区县代码。",
                feature=feat,
            )
        elif district_codes is not None and code not in district_codes:
            where.add(
                f"区县代码 {code} 不在区县边界图层中。",
                "请在区县边界图层中补充该区县，或改正任职记录的区县代码。",
                feature=feat,
            )
        start = parse_date(rec["start"].strip())
        if start is None:
            where.add(
                f"任职开始日期 start “{rec['start']}” 为空或不是有效日期。",
                "请填写 YYYY-MM-DD 格式的日期。",
                feature=feat,
            )
        end = None
        if not is_blank(rec["end"]):
            end = parse_date(rec["end"].strip())
            if end is None:
                where.add(
                    f"任职结束日期 end “{rec['end']}” 不是有效日期。",
                    "请填写 YYYY-MM-DD 格式的日期；仍在任则留空。",
                    feature=feat,
                )
            elif start is not None and end < start:
                where.add(
                    f"任职结束日期 {end} 早于开始日期 {start}。",
                    "请核对并改正任职起止日期。",
                    feature=feat,
                )
        rows.append(
            {
                "id": ident,
                "district_code": code,
                "official": rec["official"].strip(),
                "position": rec["position"].strip(),
                "start": start,
                "end": end,
            }
        )
    return pd.DataFrame(rows, columns=TENURE_COLUMNS).astype({"start": object, "end": object})


def indicator_ids(root: Path, indicator_system: str) -> tuple[str, ...]:
    """Indicator ids known to the package's indicator system (the default list when unknown)."""
    if indicator_system == "default":
        return DEFAULT_INDICATORS
    try:
        data = yaml.safe_load((root / indicator_system).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return DEFAULT_INDICATORS
    items = data.get("indicators") if isinstance(data, dict) else None
    if isinstance(items, dict):
        return tuple(str(k) for k in items)
    if isinstance(items, list):
        ids = [str(i["id"]) for i in items if isinstance(i, dict) and "id" in i]
        return tuple(ids) or DEFAULT_INDICATORS
    return DEFAULT_INDICATORS


def read_targets(
    root: Path,
    rel: str,
    district_codes: set[str] | None,
    indicators: tuple[str, ...],
    issues: Issues,
) -> pd.DataFrame | None:
    """Read targets.csv: ``district_code`` (str), ``indicator`` (str), ``value`` (float)."""
    where = issues.at(rel)
    frame = read_csv_table(root, rel, TARGET_COLUMNS, where)
    if frame is None:
        return None
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for n, rec in enumerate(frame.to_dict("records")):
        code, ind = code_text(rec["district_code"]), str(rec["indicator"]).strip()
        feat = _row(n)
        if code not in TIANJIN_DISTRICTS or (
            district_codes is not None and code not in district_codes
        ):
            where.add(
                f"目标值的区县代码 {code or '（空）'} 未知"
                "（须为区县边界图层中的天津市涉农区代码）。",
                "请改正区县代码。",
                feature=feat,
            )
        if ind not in indicators:
            where.add(
                f"未知指标 {ind or '（空）'}。",
                f"指标须为指标体系中的编号之一，如 {'、'.join(indicators[:4])} 等。",
                feature=feat,
            )
        try:
            value = float(str(rec["value"]).strip())
        except ValueError:
            value = float("nan")
        if value != value:  # NaN: not a number
            where.add(
                f"目标值 value “{rec['value']}” 不是数值。",
                "请填写数值（耕地保有量目标以公顷计，岸线保有率以 % 计）。",
                feature=feat,
            )
        if (code, ind) in seen:
            where.add(
                f"区县 {code} 的指标 {ind} 目标值重复。",
                "每个区县每个指标只能有一个目标值。",
                feature=feat,
            )
        seen.add((code, ind))
        rows.append({"district_code": code, "indicator": ind, "value": value})
    return pd.DataFrame(rows, columns=TARGET_COLUMNS).astype({"value": float})
