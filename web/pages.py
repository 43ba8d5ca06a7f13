"""Whole pages (Chinese): overview, tenure, lead, sign-in and error, as HTML strings.

Every function takes plain data (dicts, lists; GeoJSON in lon/lat) and returns the page; the
web framework, the database and the sign-in live in ``api.routes.pages``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import jinja2

from gisaudit.layers.classes import default_class_table
from web import maps, panels
from web.assets import (
    APP_CSS,
    APP_JS,
    LEAFLET_CSS,
    LEAFLET_JS,
    MVT_JS,
    TEMPLATES_DIR,
    Basemap,
    map_parts,
)
from web.styles import map_style

GRADES = ("好", "较好", "一般", "较差", "差")
ASSETS = {"leaflet_js": LEAFLET_JS, "leaflet_css": LEAFLET_CSS, "app_js": APP_JS,
          "mvt_js": MVT_JS, "app_css": APP_CSS}  # fmt: skip
LEAD_ROWS = 200  # leads listed under a tenure's map


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def theme_codes() -> dict[str, list[str]]:
    """Per land-use map theme, every land-class code (as the tiles' ``dlbm``) in that theme."""
    table = default_class_table()
    return {
        key: sorted(c for c in table.names if table.in_theme(c, spec["theme"]))
        for key, spec in map_style().map_themes.items()
        if spec.get("kind") == "landuse"
    }


def _config() -> dict[str, Any]:
    style = map_style()
    return {
        "style": style.as_js(),
        "classNames": dict(default_class_table().names),
        "themeCodes": theme_codes(),
        "severityLabels": style.severity_labels,
        "scoreRamp": list(style.score_ramp),
        "noData": style.no_data,
    }


def render(template: str, *, title: str, page: str, user: Mapping[str, Any] | None,
           maps_: Sequence[folium.Map] = (),
           **context: Any) -> str:  # fmt: skip
    """Render one page template with the shared parts (assets, script config, maps)."""
    parts = [map_parts(m) for m in maps_]
    return _env().get_template(template).render(
        title=title, page=page, user=user, maps=parts, assets=ASSETS, config=_config(),
        **context,
    )  # fmt: skip


def login_page(next_url: str = "/") -> str:
    """The sign-in page; after signing in the browser goes to ``next_url`` (a local path)."""
    safe = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
    return render("login.html.j2", title="登录", page="login", user=None, next_url=safe)


def error_page(heading: str, message: str, user: Mapping[str, Any] | None = None) -> str:
    """A page telling the user, in Chinese, what went wrong and what to do."""
    return render("error.html.j2", title=heading, page="error", user=user, heading=heading,
                  message=message)  # fmt: skip


def overview_page(
    districts: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    indicators: Sequence[Mapping[str, Any]],
    *,
    user: Mapping[str, Any] | None,
    basemap: Basemap | None = None,
) -> str:
    """The overview: districts coloured by grade (or an indicator's score) and the table of
    the latest evaluation's tenures.

    ``districts``: FeatureCollection, properties code, name, grade, total_score, url, scores.
    ``rows``: per tenure: tenure_id, district_name, official, position, start, end,
    start_vintage, end_vintage, total_score, grade, vetoes (names), open_leads (None: hidden),
    rectification_pct (None: none confirmed), url.
    """
    style = map_style()
    for f in districts.get("features", []):
        p = f["properties"]
        p["grade_text"] = p.get("grade") or "尚无评价"
        p["score_text"] = panels.fmt(p.get("total_score"), 1)
    m = maps.overview_map(districts, basemap=basemap)
    table = []
    for r in rows:
        rate = r.get("rectification_pct")
        table.append({**r, "total_score": panels.fmt(r.get("total_score"), 1),
                      "grade_colour": style.grade_colour(r.get("grade")),
                      "rectification": "—" if rate is None else f"{rate:.1f}%"})  # fmt: skip
    ramp = style.score_ramp
    score_legend = [
        {"colour": c, "label": f"{round(100 * i / (len(ramp) - 1))} 分"} for i, c in enumerate(ramp)
    ]
    return render(
        "overview.html.j2", title="总览", page="overview", user=user, maps_=[m], rows=table,
        indicators=indicators, no_data=style.no_data, score_legend=score_legend[::-1],
        grades=[{"name": g, "colour": style.grade_colour(g)} for g in GRADES],
    )  # fmt: skip


def tenure_page(
    tenure: Mapping[str, Any],
    scorecard: Mapping[str, Any],
    transitions: Sequence[Mapping[str, Any]],
    layers: Mapping[str, Mapping[str, Any]],
    *,
    leads: Sequence[Mapping[str, Any]],
    leads_total: int,
    leads_url: str | None,
    downloads: Sequence[Mapping[str, str]],
    user: Mapping[str, Any] | None,
    bounds: Sequence[float] | None = None,
    basemap: Basemap | None = None,
    map_note: str | None = None,
    tiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """A tenure: start | end maps per theme with changes, leads and zones; the scorecard,
    the transition chart, the asset account, the leads and the downloads.

    ``tenure``: id, district_name, official, position, start, end. ``layers``: name ->
    ``{"url", "features"}`` (see ``web.layers``); ``tiles``: name -> ``{"url", "filter",
    "min_zoom"}`` for the layers drawn from vector tiles instead (see ``maps.tenure_maps``).
    ``leads``: spec §8 dicts (the first ``LEAD_ROWS`` are listed). ``downloads``: dicts with
    url, filename, label.
    """
    style = map_style()
    tiles = tiles or {}
    have = {**layers, **tiles}
    theme = next((k for k in style.map_themes if layers.get(f"end_{k}", {}).get("features")
                  or f"end_{k}" in tiles), "farmland")  # fmt: skip
    start_map, end_map = maps.tenure_maps(layers, leads_url=leads_url, bounds=bounds,
                                          theme=theme, basemap=basemap, tiles=tiles)  # fmt: skip
    themes = [
        {"key": k, "label": s["label"], "colour": style.theme_colours.get(k, "#888"),
         "line": s.get("kind") == "coastline", "checked": k == theme,
         "available": f"start_{k}" in have or f"end_{k}" in have}
        for k, s in style.map_themes.items()
    ]  # fmt: skip
    overlays = [
        {"key": "changes", "label": "变化图斑", "colour": "#999", "checked": True,
         "available": "changes" in have},
        {"key": "leads", "label": "疑点", "colour": style.severity_colours["high"],
         "checked": True, "available": leads_url is not None},
    ] + [
        {"key": f"zone_{k}", "label": z["label"], "colour": z["colour"], "checked": False,
         "available": f"zone_{k}" in have}
        for k, z in style.zones.items()
    ]  # fmt: skip
    coast = any(k.endswith("_coastline") for k in have)
    lead_rows = [
        {**lead, "severity_label": style.severity_labels.get(lead.get("severity", ""), ""),
         "area_mu": panels.fmt(lead.get("area_mu")), "area_ha": panels.fmt(lead.get("area_ha"), 4)}
        for lead in leads[:LEAD_ROWS]
    ]  # fmt: skip
    vetoes = _veto_names(scorecard)
    return render(
        "tenure.html.j2", title=f"{tenure.get('district_name', '')} {tenure.get('official', '')}",
        page="tenure", user=user, maps_=[start_map, end_map],
        tenure=tenure, card=scorecard, total_score=panels.fmt(scorecard.get("total_score"), 1),
        grade_colour=style.grade_colour(scorecard.get("grade")), vetoes=vetoes,
        indicators=panels.indicator_rows(scorecard), chart=panels.transition_chart_svg(transitions),
        account=panels.group_account(transitions), theme_areas=panels.theme_area_rows(scorecard),
        themes=themes, overlays=overlays, downloads=downloads, map_note=map_note,
        group_legend=[{"name": n, "colour": style.group_colours.get(g, "#bdbdbd")}
                      for g, n in style.group_names.items()],
        severity_legend=[{"label": style.severity_labels.get(s, s), "colour": c}
                         for s, c in style.severity_colours.items()],
        coast_legend=[{"label": style.coastline_labels.get(k, k), "colour": c}
                      for k, c in style.coastline_colours.items()] if coast else [],
        leads=lead_rows, leads_total=leads_total,
        leads_empty="该任期没有疑点。" if leads_url else "您无权查看该区的疑点。",
    )  # fmt: skip


def _veto_names(scorecard: Mapping[str, Any]) -> list[str]:
    names = {i.get("id"): i.get("name", i.get("id")) for i in scorecard.get("indicators", [])}
    return [str(names.get(v, v)) for v in scorecard.get("vetoes", [])]


def lead_page(
    lead: Mapping[str, Any],
    *,
    history: Sequence[Mapping[str, Any]],
    next_states: Sequence[Mapping[str, Any]],
    can_work: bool,
    work_note: str,
    reasons: Sequence[str],
    user: Mapping[str, Any] | None,
    district_name: str = "",
    district_url: str | None = None,
    basemap: Basemap | None = None,
) -> str:
    """One lead: its map, chips, figures, legal basis, history and (for a user who may work
    it) the state change form, which posts to the API with the lead's version (If-Match).

    ``lead``: a GeoJSON Feature (lon/lat) whose properties are spec §8 plus version, reason,
    deadline, present. ``next_states``: id, name, action, requires (list), allowed (bool).
    """
    style = map_style()
    p = dict(lead["properties"])
    info = {
        **p,
        "severity_label": style.severity_labels.get(p.get("severity", ""), p.get("severity")),
        "district_name": district_name or p.get("district_code", ""),
        "area_m2": panels.fmt(p.get("area_m2"), 0), "area_mu": panels.fmt(p.get("area_mu")),
        "area_ha": panels.fmt(p.get("area_ha"), 4),
        "length_m": panels.fmt(p.get("length_m"), 1) if p.get("length_m") is not None else None,
        "lonlat": f"{p['lon']:.6f}°E, {p['lat']:.6f}°N" if p.get("lon") is not None else "—",
        "from_rows": panels.code_rows(p.get("from_codes")),
        "to_rows": panels.code_rows(p.get("to_codes")),
    }  # fmt: skip
    if p.get("area_m2") is None:
        info["area_mu"] = None
    m = maps.lead_map(lead, district_url=district_url, basemap=basemap)
    return render(
        "lead.html.j2", title=f"疑点 {p.get('name', '')}", page="lead", user=user, maps_=[m],
        lead=info, history=panels.history_rows(history),
        next_states=next_states, can_work=can_work, work_note=work_note, reasons=reasons,
    )  # fmt: skip
