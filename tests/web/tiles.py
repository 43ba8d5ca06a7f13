"""What the tenure map's land-use layers should show, from the package and the server itself:
the district's patches of a theme, the overview tiles' painted area and colours, the patches
in decoded vector tiles."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import AUDITED, PASSWORD, TENURE
from web.styles import map_style


def _api(site) -> httpx.Client:
    r = httpx.post(f"{site.base}/api/token", data={"username": "viewer", "password": PASSWORD})
    r.raise_for_status()
    token = r.json()["access_token"]
    return httpx.Client(base_url=site.base, headers={"Authorization": f"Bearer {token}"})


def vintages(site) -> dict[str, str]:
    """The tenure's start and end vintages (ISO dates)."""
    with _api(site) as client:
        return client.get(f"/api/tenures/{TENURE}/scorecard").json()["vintages"]


def theme_patches(site, side: str, theme: str):
    """Land-use patches of the audited district in a theme at the tenure's start or end."""
    from datetime import date

    from gisaudit.layers.classes import default_class_table
    from gisaudit.layers.package import load_package

    vintage = vintages(site)[side]
    package = load_package(site.package)
    frame = package.landuse_at(date.fromisoformat(vintage)).frame
    frame = frame[frame["district_code"].astype(str) == AUDITED]
    return frame[default_class_table().theme_mask(frame["code"].astype(str), theme)]


TILE_PAINT = """([key, side]) => {
    const e = gisaudit.layers[key][side];
    return Object.values(e.layer._tiles).filter(t => t.current).map(t => {
        const c = t.el, d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const colours = {};
        let painted = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] > 0) {
                painted += 1;
                const k = [d[i], d[i + 1], d[i + 2], d[i + 3]].join(",");
                colours[k] = (colours[k] || 0) + 1;
            }
        }
        return {z: t.coords.z, x: t.coords.x, y: t.coords.y, size: c.width, painted, colours};
    });
}"""


def overview_paint(page, key: str, side: str) -> tuple[float, dict[tuple[int, ...], int]]:
    """Ground area (m²) of the painted pixels of a tile layer's current tiles, and their
    colours (r, g, b, a) -> pixels."""
    import math

    from api.tiles import HALF_WORLD

    area, colours = 0.0, {}
    for t in page.evaluate(TILE_PAINT, [key, side]):
        n = 2 ** t["z"]
        lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (t["y"] + 0.5) / n))))
        pixel = 2 * HALF_WORLD / n / t["size"] * math.cos(math.radians(lat))  # ground metres
        area += t["painted"] * pixel**2
        for k, v in t["colours"].items():
            rgba = tuple(int(c) for c in k.split(","))
            colours[rgba] = colours.get(rgba, 0) + v
    return area, colours


def assert_overview(page, side: str, theme: str, site) -> float:
    """The theme's overview tiles on one map: every painted pixel in the theme's colour (at
    the layer's opacity), their area that of the district's patches of the theme."""
    from gisaudit.geodesy import ellipsoidal_area_m2

    stats = page.evaluate("([k, s]) => gisaudit.tileStats(k, s)", [f"theme_{theme}", side])
    assert stats["tiles"] > 0 and stats["overview"] == stats["tiles"] and stats["features"] == 0
    area, colours = overview_paint(page, f"theme_{theme}", side)
    r, g, b = (int(map_style().theme_colours[theme][i : i + 2], 16) for i in (1, 3, 5))
    off = {c: n for c, n in colours.items()
           if max(abs(c[0] - r), abs(c[1] - g), abs(c[2] - b)) > 3 or abs(c[3] - 140) > 2}
    assert sum(colours.values()) > 1000 and not off, off  # the theme colour at opacity 0.55
    patches = theme_patches(site, side, theme)
    expected = float(ellipsoidal_area_m2(patches.geometry.to_numpy(), patches.crs).sum())
    assert area == pytest.approx(expected, rel=0.03)  # pixel sampling at ≈ 60 m
    return area


def decoded_bsm(site, urls: list[str], theme: str) -> set[str]:
    """The district's patches of a theme in the vector tiles at ``urls`` (decoded here)."""
    import mapbox_vector_tile

    from web.pages import theme_codes

    codes = set(theme_codes()[theme])
    found: set[str] = set()
    with _api(site) as client:
        for url in urls:
            r = client.get(url)
            r.raise_for_status()
            for layer in mapbox_vector_tile.decode(r.content).values():
                found |= {f["properties"]["bsm"] for f in layer["features"]
                          if f["properties"]["district_code"] == AUDITED
                          and f["properties"]["dlbm"] in codes}  # fmt: skip
    return found
