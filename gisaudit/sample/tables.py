"""Tables of the sample package: tenures.csv, targets.csv and the manifest package.yaml."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

POSITIONS = (("shuji", "区委书记"), ("quzhang", "区长"))
LAST_DAY = date(2024, 12, 31)


def tenures_frame(districts: dict[str, str], rng: np.random.Generator) -> pd.DataFrame:
    """A 区委书记 and a 区长 per district: 2-5-year tenures within 2018-2024, some in office.

    ``districts``: code -> Chinese name. Columns id, district_code, official, position,
    start, end (ISO dates; end empty = still in office).
    """
    rows = []
    codes = sorted(districts)
    in_office = set(rng.choice(len(codes) * 2, size=min(4, 2 * len(codes)), replace=False).tolist())
    for n, code in enumerate(codes):
        for k, (slug, position) in enumerate(POSITIONS):
            start = date(int(rng.integers(2018, 2021)), int(rng.integers(1, 13)), 1)
            if (2 * n + k) in in_office:
                start = date(int(rng.integers(2019, 2022)), int(rng.integers(1, 13)), 1)
                end = None
            else:
                latest = min(5.0, (LAST_DAY - start).days / 365.25)
                years = float(rng.uniform(2.0, latest))
                end = date.fromordinal(start.toordinal() + int(years * 365.25))
            rows.append({
                "id": f"{code}-{slug}-{start.year}",
                "district_code": code,
                "official": f"{districts[code]}{position}（样例）",
                "position": position,
                "start": start.isoformat(),
                "end": end.isoformat() if end else "",
            })
    return pd.DataFrame(rows, columns=["id", "district_code", "official", "position", "start",
                                       "end"])


def targets_frame(farmland_ha: dict[str, float], coast_rate: float | None,
                  coast_district: str, rng: np.random.Generator) -> pd.DataFrame:
    """耕地保有量 targets (ha, around the 2018 farmland so some districts miss them) and the
    natural coastline rate target (%) of the coastal district."""
    rows = []
    for code in sorted(farmland_ha):
        factor = float(rng.uniform(0.975, 1.005))
        rows.append({"district_code": code, "indicator": "farmland_target_attainment",
                     "value": round(farmland_ha[code] * factor, 2)})
    if coast_rate is not None:
        rows.append({"district_code": coast_district, "indicator": "natural_coastline_rate",
                     "value": round(coast_rate - 1.0, 1)})
    return pd.DataFrame(rows, columns=["district_code", "indicator", "value"])


def manifest(years: list[int], classes: dict[int, str]) -> dict[str, Any]:
    """The package.yaml content (spec §4); ``classes``: land-cover value -> DLBM code."""
    def dated(kind: str, ext: str, **extra: Any) -> list[dict[str, Any]]:
        return [{"vintage": date(y, 12, 31), "path": f"{kind}/{y}.{ext}", **extra} for y in years]

    return {
        "name": "天津市涉农区样例",
        "crs": "EPSG:4527",
        "districts": {"path": "districts.gpkg", "code_field": "code", "name_field": "name"},
        "landuse": dated("landuse", "gpkg", layer="DLTB", class_field="DLBM"),
        "zones": {
            "pbf": {"path": "zones/pbf.gpkg"},
            "redline": {"path": "zones/redline.gpkg"},
            "approvals": {"path": "zones/approvals.gpkg", "date_field": "PZRQ"},
        },
        "coastline": dated("coastline", "gpkg", type_field="AXLX"),
        "imagery": dated("imagery", "tif"),
        "landcover": dated("landcover", "tif", classes=dict(classes)),
        "tenures": "tenures.csv",
        "targets": "targets.csv",
        "indicator_system": "default",
    }


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_manifest(root: Path, content: dict[str, Any]) -> None:
    """Write package.yaml (UTF-8, keys in spec order)."""
    text = yaml.dump(content, Dumper=_NoAliasDumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=None, width=100)
    (root / "package.yaml").write_text(text, encoding="utf-8")
