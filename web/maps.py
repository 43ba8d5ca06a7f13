"""The folium maps of the pages: overview of the districts, a tenure's start | end maps, a lead.

Large layers are not embedded: ``LazyGeoJson`` fetches its GeoJSON from gisaudit's own server
the first time it is shown (see ``static/gisaudit.js``), so hidden themes cost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import MacroElement
from folium.map import FitBounds
from folium.template import Template
from folium.utilities import JsCode

from web.assets import Basemap, LocalMap, new_map
from web.styles import map_style

BBox = Sequence[float]  # west, south, east, north (degrees)


class LazyGeoJson(MacroElement):
    """A GeoJSON layer fetched from ``url`` when first shown, styled by ``kind`` in the browser.

    ``key`` groups the same layer on several maps (a page-level toggle shows or hides all of
    them); ``side`` is "start", "end" or "main". ``kind``: district, theme:<id>, coast,
    changes, zone:<kind>, leads.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gisaudit.lazyGeoJson({{ this.url|tojson }},
            {{ this.kind|tojson }});
        gisaudit.register({{ this.key|tojson }}, {{ this.side|tojson }},
            {{ this._parent.get_name() }}, {{ this.get_name() }}, {{ this.show|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, url: str, key: str, kind: str, *, side: str = "main", show: bool = False):
        super().__init__()
        self._name = "LazyGeoJson"
        self.url, self.key, self.kind, self.side, self.show = url, key, kind, side, show


class LazyTiles(MacroElement):
    """A layer of the API's Mapbox vector tiles (``url``: a ``{z}/{x}/{y}`` template), drawn on
    canvas tiles in the browser (``static/mvt.js``), styled by ``kind`` like ``LazyGeoJson``.

    ``filter``: which features to draw (``{"district_code": ...}`` or ``{"code": ...}``);
    ``min_zoom``: the lowest zoom the server fills (lower zooms scale those tiles down);
    ``overview``: ``{"url": <{z}/{x}/{y} template of PNG tiles>, "max_zoom": n}``, drawn
    instead of the vector tiles up to that zoom (land use by class at district scale).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gisaudit.mvtLayer({{ this.url|tojson }},
            {{ this.kind|tojson }}, {{ this.filter|tojson }}, {{ this.min_zoom|tojson }},
            {{ this.overview|tojson }});
        gisaudit.register({{ this.key|tojson }}, {{ this.side|tojson }},
            {{ this._parent.get_name() }}, {{ this.get_name() }}, {{ this.show|tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        key: str,
        kind: str,
        *,
        side: str = "main",
        show: bool = False,
        filter: Mapping[str, str] | None = None,
        min_zoom: int = 0,
        overview: Mapping[str, Any] | None = None,
    ):
        super().__init__()
        self._name = "LazyTiles"
        self.url, self.key, self.kind, self.side, self.show = url, key, kind, side, show
        self.filter, self.min_zoom = dict(filter or {}), int(min_zoom)
        self.overview = dict(overview) if overview else None


def _layer(
    name: str,
    layers: Mapping[str, Mapping[str, Any]],
    tiles: Mapping[str, Mapping[str, Any]],
    key: str,
    kind: str,
    side: str,
    show: bool,
) -> MacroElement | None:
    """The map layer ``name``: from vector tiles when ``tiles`` has it, else its GeoJSON."""
    if name in tiles:
        spec = tiles[name]
        return LazyTiles(spec["url"], key, kind, side=side, show=show,
                         filter=spec.get("filter"), min_zoom=spec.get("min_zoom", 0),
                         overview=spec.get("overview"))  # fmt: skip
    if name in layers:
        return LazyGeoJson(layers[name]["url"], key, kind, side=side, show=show)
    return None


def _fit(m: folium.Map, bounds: BBox | None) -> None:
    """Open the map on ``bounds``, at once: an animated fit from the initial zoom would have
    the tile layers added meanwhile fetch the tiles of that zoom first, then the fitted one's."""
    if bounds is not None and len(bounds) == 4:
        west, south, east, north = (float(v) for v in bounds)
        fit = FitBounds([[south, west], [north, east]])
        fit.options["animate"] = False
        m.add_child(fit)


def overview_map(districts: Mapping[str, Any], *, basemap: Basemap | None = None) -> LocalMap:
    """The districts coloured by grade; click one to open its latest tenure.

    ``districts``: a GeoJSON FeatureCollection (lon/lat) whose properties carry ``code``,
    ``name``, ``grade``, ``total_score``, ``url`` (its tenure page or None) and ``scores``
    (indicator id -> score), used by the page to recolour by an indicator.
    """
    style = map_style()
    m = new_map(basemap=basemap)
    features = list(districts.get("features", []))
    for f in features:
        f["properties"]["fill"] = style.grade_colour(f["properties"].get("grade"))

    def colour(feature: dict[str, Any]) -> dict[str, Any]:
        return {"fillColor": feature["properties"]["fill"], "color": style.district_outline,
                "weight": 1.5, "fillOpacity": 0.75}  # fmt: skip

    if not features:  # nothing evaluated yet: an empty map (the page says so)
        return m
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="districts",
        style_function=colour,
        highlight_function=lambda _f: {"weight": 3.5},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "grade_text", "score_text"], aliases=["区", "等级", "总分"]
        ),
        on_each_feature=JsCode(
            "function(feature, layer) { gisaudit.districtClick(feature, layer); }"
        ),
    ).add_to(m)
    bounds = _collection_bounds(features)
    _fit(m, bounds)
    return m


def _collection_bounds(features: Sequence[Mapping[str, Any]]) -> BBox | None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        else:
            for c in coords:
                walk(c)

    for f in features:
        geom = f.get("geometry") or {}
        walk(geom.get("coordinates") or [])
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def tenure_maps(
    layers: Mapping[str, Mapping[str, Any]],
    *,
    leads_url: str | None,
    bounds: BBox | None,
    theme: str = "farmland",
    basemap: Basemap | None = None,
    tiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[LocalMap, LocalMap]:
    """The start and end maps of a tenure (the page keeps them in sync).

    ``layers``: layer name -> ``{"url": ..., "features": n}`` for the GeoJSON files of
    ``web.layers`` (district, start_<theme>, end_<theme>, changes, zone_<kind>, …).
    ``tiles``: the same names -> ``{"url": <{z}/{x}/{y} template>, "filter": {...},
    "min_zoom": n, "overview": {"url", "max_zoom"}}`` for layers drawn from the API's vector
    tiles instead (they win; with an overview, its PNG tiles up to its zoom).
    Both maps show the district, the chosen ``theme`` and the zones as toggles; the end map
    also has the change polygons and the leads (always GeoJSON: they have popups).
    """
    style = map_style()
    tiles = tiles or {}
    maps = (new_map(basemap=basemap), new_map(basemap=basemap))
    for side, m in zip(("start", "end"), maps, strict=True):
        _fit(m, bounds)
        found = [_layer("district", layers, tiles, "district", "district", side, True)]
        for key, spec in style.map_themes.items():
            kind = "coast" if spec.get("kind") == "coastline" else f"theme:{key}"
            found.append(_layer(f"{side}_{key}", layers, tiles, f"theme_{key}", kind, side,
                                key == theme))  # fmt: skip
        for kind in style.zones:
            found.append(_layer(f"zone_{kind}", layers, tiles, f"zone_{kind}", f"zone:{kind}",
                                side, False))  # fmt: skip
        if side == "end":
            found.append(_layer("changes", layers, tiles, "changes", "changes", side, True))
        for element in found:
            if element is not None:
                element.add_to(m)
    if leads_url:
        LazyGeoJson(leads_url, "leads", "leads", side="end", show=True).add_to(maps[1])
    return maps


def lead_map(
    lead: Mapping[str, Any],
    *,
    district_url: str | None = None,
    basemap: Basemap | None = None,
) -> LocalMap:
    """One lead on its own map (``lead``: a GeoJSON Feature in lon/lat with spec §8 fields)."""
    style = map_style()
    m = new_map(basemap=basemap)
    if district_url:
        LazyGeoJson(district_url, "district", "district", show=True).add_to(m)
    colour = style.severity_colours.get(str(lead["properties"].get("severity")), "#d7301f")
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [dict(lead)]},
        name="lead",
        style_function=lambda _f: {
            "color": colour, "fillColor": colour, "weight": 3, "fillOpacity": 0.35
        },
    ).add_to(m)
    _fit(m, _padded(_collection_bounds([lead])))
    return m


def _padded(bounds: BBox | None, factor: float = 1.5, minimum: float = 0.003) -> BBox | None:
    if bounds is None:
        return None
    west, south, east, north = bounds
    dx = max((east - west) * factor, minimum)
    dy = max((north - south) * factor, minimum)
    cx, cy = (west + east) / 2, (south + north) / 2
    return (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)


def style_json() -> str:
    """The map style for the browser script, as JSON."""
    return json.dumps(map_style().as_js(), ensure_ascii=False)
