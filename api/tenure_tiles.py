"""Which layers of a tenure's web map come from the API's vector tiles (``/tiles``).

The tenure page draws the land-use themes and the coastline at start and end, the zones, the
change polygons and the district outline from ``/tiles/{layer}/{z}/{x}/{y}.mvt`` when the
evaluated package is stored on the server; the land-use themes up to
``api.overview.OVERVIEW_MAX_ZOOM`` (district scale) from the overview PNG tiles of the same
layer (``…/{z}/{x}/{y}.png?theme=…&district_code=…``). What the tiles do not have (every theme
when the package is not stored, a vintage the package no longer has) still comes from the
GeoJSON files that ``web.layers`` writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from api.overview import OVERVIEW_MAX_ZOOM as MAX_Z
from api.routes.tiles import LANDUSE_MIN_ZOOM
from gisaudit.change.vintages import select_vintages
from web.layers import MAX_FEATURES
from web.styles import map_style

CHANGES_FILE = "changes.parquet"
ZXY = "{z}/{x}/{y}.mvt"
PNG = "{z}/{x}/{y}.png"


def _package_record(services: Any, evaluation: Any) -> Any | None:
    """The stored package an evaluation ran on: its recorded id, else the newest of that name."""
    records = services.packages.list()
    pid = ((evaluation.parameters or {}) if evaluation is not None else {}).get("package_id")
    by_id = [r for r in records if r.id == pid]
    if by_id:
        return by_id[0]
    name = getattr(evaluation, "package_name", None)
    named = [r for r in records if r.name == name]
    return named[-1] if named else None


def coastline_vintages(available: Sequence[str], vintages: Mapping[str, Any]) -> dict[str, str]:
    """``{"start": date, "end": date}`` (ISO) of the coastline drawn with the scorecard's
    land-use ``vintages``: the latest coastline vintage on or before each (the earliest when
    none precedes the start; spec §5). Empty without coastline or without both vintages."""
    try:
        start = date.fromisoformat(str(vintages.get("start") or ""))
        end = date.fromisoformat(str(vintages.get("end") or ""))
    except ValueError:
        return {}
    if not available:
        return {}
    sel = select_vintages([date.fromisoformat(v) for v in available], start, end, what="岸线")
    return {"start": sel.start.isoformat(), "end": sel.end.isoformat()}


def tenure_tiles(
    services: Any,
    evaluation: Any,
    folder: Path,
    district_code: str,
    tenure_id: str,
    vintages: Mapping[str, Any],
    *,
    sees_changes: bool,
) -> dict[str, dict[str, Any]]:
    """Map layer name -> ``{"url", "filter", "min_zoom", "overview"}`` for the layers drawn
    from tiles (``overview``: ``{"url", "max_zoom"}`` of the land-use themes' PNG tiles).

    ``vintages``: the scorecard's ``{"start": date, "end": date}`` (ISO strings);
    ``sees_changes``: whether the user's change tiles hold this district (auditors: only theirs).
    """
    base = "/tiles"
    tiles: dict[str, dict[str, Any]] = {
        "district": {"url": f"{base}/districts/{ZXY}", "filter": {"code": district_code}},
    }
    if sees_changes and (Path(folder) / CHANGES_FILE).is_file():
        tiles["changes"] = {"url": f"{base}/changes/{ZXY}?tenure_id={quote(tenure_id)}"}
    record = _package_record(services, evaluation)
    if record is None:
        return tiles
    for side in ("start", "end"):
        vintage = str(vintages.get(side) or "")
        if vintage not in record.vintages:
            continue
        layer = f"landuse-{record.id}-{vintage}"
        for key, spec in map_style().map_themes.items():
            if spec.get("kind") == "landuse":
                query = f"theme={quote(spec['theme'])}&district_code={quote(district_code)}"
                tiles[f"{side}_{key}"] = {
                    "url": f"{base}/{layer}/{ZXY}",
                    "filter": {"district_code": district_code},
                    "min_zoom": LANDUSE_MIN_ZOOM,
                    "overview": {"url": f"{base}/{layer}/{PNG}?{query}", "max_zoom": MAX_Z},
                }
    coast = coastline_vintages(services.packages.coastline_vintages(record.id), vintages)
    for side, vintage in coast.items():
        tiles[f"{side}_coastline"] = {"url": f"{base}/coastline-{record.id}-{vintage}/{ZXY}"}
    for kind in record.zones:
        tiles[f"zone_{kind}"] = {"url": f"{base}/zones-{record.id}-{kind}/{ZXY}"}
    return tiles


def tiles_note(
    tiles: Mapping[str, Any], layers: Mapping[str, Any], unwritten: Mapping[str, int] | None = None
) -> str:
    """The page's notice (Chinese): which layers are vector tiles, which are still GeoJSON,
    and which can be drawn from neither (``unwritten``: layers with too many features for a
    GeoJSON file, see ``web.layers.MAX_FEATURES``, whose package is no longer stored)."""
    style = map_style()
    labels = {f"{s}_{k}": v["label"] for k, v in style.map_themes.items() for s in ("start", "end")}
    labels.update({f"zone_{k}": z["label"] for k, z in style.zones.items()})
    labels.update({"changes": "变化图斑", "district": "区界"})

    def names(keys: Any) -> str:
        return "、".join(dict.fromkeys(labels[k] for k in keys if k in labels))

    from_tiles = names(tiles)
    fallback = names(k for k in layers if k not in tiles)
    text = f"地图图层来自矢量瓦片：{from_tiles}。" if from_tiles else ""
    if any("overview" in spec for spec in tiles.values()):
        text += (
            f"地类图斑在 {MAX_Z} 级及以下（区县范围）显示为按地类着色的概览栅格（每个像元取其"
            f"中心所在图斑的地类），放大到 {MAX_Z + 1} 级起逐个显示图斑。"
        )
    if fallback:
        text += f"瓦片服务没有的图层仍读取 GeoJSON 文件：{fallback}。"
    missing = names(k for k in (unwritten or {}) if k not in tiles)
    if missing:
        text += (
            f"以下图层要素过多（超过 {MAX_FEATURES:,} 个），评价时没有生成 GeoJSON 文件，只能以"
            f"矢量瓦片显示，而评价所用的资料包已不在服务器上：{missing}。请重新登记该资料包后查看。"
        )
    return text + "疑点为 GeoJSON 图层（可点击查看详情）。"
