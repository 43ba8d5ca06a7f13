"""Local assets: every script, style sheet and image the pages use is served by gisaudit itself.

folium references CDNs by default; ``LocalMap`` replaces them with the vendored Leaflet under
``/static/vendor/``, so the map works on a machine with no internet at all. The only outside
address a page may use is an optional basemap the administrator configures
(``GISAUDIT_BASEMAP_URL``, e.g. a 天地图 WMTS template with its key).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import folium
from branca.element import Element, Figure

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_URL = "/static"

LEAFLET_JS = f"{STATIC_URL}/vendor/leaflet/leaflet.js"
LEAFLET_CSS = f"{STATIC_URL}/vendor/leaflet/leaflet.css"
APP_JS = f"{STATIC_URL}/gisaudit.js"
MVT_JS = f"{STATIC_URL}/mvt.js"  # the vector tile decoder
APP_CSS = f"{STATIC_URL}/gisaudit.css"

BASEMAP_URL_ENV = "GISAUDIT_BASEMAP_URL"
BASEMAP_ATTRIBUTION_ENV = "GISAUDIT_BASEMAP_ATTRIBUTION"


class LocalMap(folium.Map):
    """A folium map that loads Leaflet from gisaudit's own ``/static`` (no CDN)."""

    default_js = [("leaflet", LEAFLET_JS)]  # noqa: RUF012 (folium reads class attributes)
    default_css = [("leaflet_css", LEAFLET_CSS)]  # noqa: RUF012


@dataclass(frozen=True)
class Basemap:
    """An optional raster basemap: an XYZ/WMTS URL template (``{z}/{x}/{y}``) and its credit."""

    url: str
    attribution: str


def basemap_from_env() -> Basemap | None:
    """The basemap configured by ``GISAUDIT_BASEMAP_URL``; None (no basemap) by default."""
    url = os.environ.get(BASEMAP_URL_ENV, "").strip()
    if not url:
        return None
    credit = os.environ.get(BASEMAP_ATTRIBUTION_ENV, "").strip() or "底图"
    return Basemap(url=url, attribution=credit)


def new_map(
    *,
    basemap: Basemap | None = None,
    location: tuple[float, float] = (39.3, 117.3),
    zoom_start: int = 8,
) -> LocalMap:
    """An empty map without any basemap (or with the configured one), sized by the page."""
    m = LocalMap(
        location=list(location),
        zoom_start=zoom_start,
        tiles=None,
        control_scale=True,
        width="100%",
        height="100%",
    )
    if basemap is not None:
        folium.TileLayer(
            tiles=basemap.url, attr=basemap.attribution, name="底图", overlay=False, control=False
        ).add_to(m)
    return m


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for embedding in a page: ``head`` (styles), ``body`` (the div),
    ``script`` (the JavaScript that builds it), and its JS variable ``name``."""

    name: str
    head: str
    body: str
    script: str


# folium's page-level header entries that the page templates provide themselves
_PAGE_HEADER = {"leaflet", "leaflet_css", "meta_http", "css_style", "map_style"}


def map_parts(m: folium.Map) -> MapParts:
    """Render ``m`` and split it into the parts a page template embeds."""
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError("map has no figure")
    root.render()
    head = "\n".join(
        child.render()
        for key, child in root.header._children.items()
        if key not in _PAGE_HEADER and isinstance(child, Element)
    )
    return MapParts(
        name=m.get_name(),
        head=head,
        body=root.html.render(),
        script=root.script.render(),
    )
