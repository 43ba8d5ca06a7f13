"""A QGIS style stored in the GeoPackage (``layer_styles``), so leads.gpkg opens styled by rule.

QGIS reads the ``layer_styles`` table (the same one it writes with "Save style → In database")
and applies the row with ``useAsDefault`` for the layer. The QML holds a categorized renderer
on ``rule``: one category per rule, coloured by the rule's ``color``. A layer may mix
polygons and coastline lines, so two styles are stored: the default with fill symbols and
one with line symbols (QGIS shows mixed layers as one sub-layer per geometry type).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from gisaudit.leads.rules import LeadRule

SEVERITY_COLORS = {"critical": "#a50f15", "high": "#e6550d", "medium": "#d9b300", "low": "#636363"}


def _rgba(hex_color: str, alpha: int = 255) -> str:
    h = hex_color.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _opts(pairs: dict[str, str]) -> str:
    option = "".join(
        f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>'
        for k, v in pairs.items()
    )
    props = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in pairs.items())
    return f'<Option type="Map">{option}</Option>{props}'


def _symbol(i: int, color: str, kind: str) -> str:
    if kind == "fill":
        layer = ("SimpleFill", {"color": _rgba(color, 90), "outline_color": _rgba(color),
                                "outline_width": "0.6", "outline_width_unit": "MM",
                                "style": "solid", "outline_style": "solid"})  # fmt: skip
    else:
        layer = ("SimpleLine", {"line_color": _rgba(color), "line_width": "1.2",
                                "line_width_unit": "MM", "line_style": "solid"})  # fmt: skip
    return (f'<symbol type="{kind}" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{layer[0]}" pass="0" locked="0" enabled="1">{_opts(layer[1])}</layer>'
            "</symbol>")  # fmt: skip


def _colors(rules: Sequence[LeadRule]) -> list[tuple[LeadRule, str]]:
    return [(r, r.color or SEVERITY_COLORS.get(r.severity, "#636363")) for r in rules]


def lead_qml(rules: Sequence[LeadRule], kind: str = "fill") -> str:
    """QML with a categorized renderer on ``rule`` (``kind``: "fill" or "line" symbols)."""
    cats = "".join(
        f'<category symbol="{i}" value={quoteattr(r.id)} label={quoteattr(r.name)} render="true"/>'
        for i, (r, _) in enumerate(_colors(rules))
    )
    symbols = "".join(_symbol(i, c, kind) for i, (_, c) in enumerate(_colors(rules)))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        '<renderer-v2 type="categorizedSymbol" attr="rule" symbollevels="0" forceraster="0" '
        f'enableorderby="0"><categories>{cats}</categories><symbols>{symbols}</symbols>'
        "</renderer-v2><layerGeometryType>"
        f"{2 if kind == 'fill' else 1}</layerGeometryType></qgis>"
    )


def lead_sld(rules: Sequence[LeadRule], layer: str) -> str:
    """A matching SLD 1.1 (one rule per lead rule), for tools that read SLD."""
    parts = []
    for r, color in _colors(rules):
        parts.append(
            f"<se:Rule><se:Name>{escape(r.id)}</se:Name><se:Description><se:Title>{escape(r.name)}"
            "</se:Title></se:Description><ogc:Filter><ogc:PropertyIsEqualTo>"
            f"<ogc:PropertyName>rule</ogc:PropertyName><ogc:Literal>{escape(r.id)}</ogc:Literal>"
            "</ogc:PropertyIsEqualTo></ogc:Filter><se:PolygonSymbolizer><se:Fill>"
            f'<se:SvgParameter name="fill">{color}</se:SvgParameter>'
            '<se:SvgParameter name="fill-opacity">0.35</se:SvgParameter></se:Fill><se:Stroke>'
            f'<se:SvgParameter name="stroke">{color}</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">2</se:SvgParameter></se:Stroke>'
            "</se:PolygonSymbolizer></se:Rule>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><StyledLayerDescriptor version="1.1.0" '
        'xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se" '
        'xmlns:ogc="http://www.opengis.net/ogc"><NamedLayer>'
        f"<se:Name>{escape(layer)}</se:Name><UserStyle><se:FeatureTypeStyle>{''.join(parts)}"
        "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
    )


_CREATE = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""


def store_qgis_style(
    gpkg: Path, layer: str, geometry_column: str, rules: Sequence[LeadRule]
) -> None:
    """Create/refresh the ``layer_styles`` table of ``gpkg`` with the lead styles of ``layer``."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with sqlite3.connect(gpkg) as con:
        con.execute(_CREATE)
        con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
        for name, kind, default in (("按疑点类型", "fill", 1), ("按疑点类型（岸线）", "line", 0)):
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name,"
                " f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description,"
                " owner, ui, update_time)"
                " VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, 'gisaudit', NULL, ?)",
                (layer, geometry_column, name, lead_qml(rules, kind), lead_sld(rules, layer),
                 default, f"疑点图层样式：{name}（gisaudit 生成）", now),
            )  # fmt: skip
        exists = con.execute(
            "SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
        if not exists:
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
                " last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', '', ?)",
                (now,),
            )
