"""The web map in a real headless Chromium, against a real server and database.

Each test's ``page`` fixture also checks that no request left 127.0.0.1 and that no script
error happened.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.web.conftest import (
    AUDITED,
    OTHER,
    PASSWORD,
    TENURE,
    publish_screenshot,
    screenshot,
    sign_in,
    wait_for_layers,
)
from tests.web.tiles import assert_overview, decoded_bsm, theme_patches, vintages
from web.styles import map_style

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _token(site, name: str) -> str:
    r = httpx.post(f"{site.base}/api/token", data={"username": name, "password": PASSWORD})
    r.raise_for_status()
    return r.json()["access_token"]


def _api(site, name: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {_token(site, name)}"}
    return httpx.Client(base_url=site.base, headers=headers)


def _leads(site, district: str) -> list[dict]:
    """The district's leads, by id (a stable order for picking one per test)."""
    with _api(site, "viewer") as client:
        r = client.get("/api/leads", params={"district_code": district, "limit": 50})
        r.raise_for_status()
        items = sorted(r.json()["items"], key=lambda x: x["id"])
    assert items, f"the sample has no lead in {district}"
    return items


def _first_lead(site, district: str) -> dict:
    return _leads(site, district)[0]


def _move(site, lead_id: str, to: str) -> str:
    """Change a lead's state through the API as the auditor; return the new ETag."""
    with _api(site, "auditor") as client:
        etag = client.get(f"/api/leads/{lead_id}").headers["ETag"]
        r = client.post(f"/api/leads/{lead_id}/state", json={"to": to}, headers={"If-Match": etag})
        assert r.status_code == 200, r.text
        return r.headers["ETag"]


def _layer_features(site, name: str) -> int:
    index = next(site.data_dir.glob(f"evaluations/*/out/{TENURE}/map/index.json"))
    return json.loads(index.read_text("utf-8"))["layers"][name]["features"]


def test_sign_in_required(page, site):
    page.goto(f"{site.base}/tenures/{TENURE}")
    page.wait_for_url(f"{site.base}/login?next=/tenures/{TENURE}")
    page.fill("#username", "viewer")
    page.fill("#password", "错误的口令")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(".form-message.error")
    assert "登录失败" in page.inner_text(".form-message")


def test_overview_renders_the_districts(page, site):
    sign_in(page, site, "viewer")
    page.wait_for_selector("#overview-map path[data-code]")
    codes = page.eval_on_selector_all(
        "#overview-map path[data-code]", "els => els.map(e => e.getAttribute('data-code'))"
    )
    assert sorted(codes) == [f"1201{i}" for i in range(10, 20)]
    assert page.locator("#tenure-table tbody tr").count() == 10
    style = map_style()
    with _api(site, "viewer") as client:
        overview = {d["code"]: d for d in client.get("/api/overview").json()}
        cards = {c: client.get(f"/api/tenures/{d['tenures'][0]['tenure_id']}/scorecard").json()
                 for c, d in overview.items()}  # fmt: skip

    def fills() -> dict[str, str]:
        return dict(
            page.eval_on_selector_all(
                "#overview-map path[data-code]",
                "els => els.map(e => [e.getAttribute('data-code'), e.getAttribute('fill')])",
            )
        )

    assert fills() == {c: style.grade_colour(card["grade"]) for c, card in cards.items()}
    page.select_option("#indicator", "water_retention")
    scores = {c: next(i["score"] for i in card["indicators"] if i["id"] == "water_retention")
              for c, card in cards.items()}  # fmt: skip
    assert fills() == {c: style.score_colour(v) for c, v in scores.items()}
    screenshot(page, "overview")


def test_clicking_a_district_opens_its_tenure(page, site):
    sign_in(page, site, "viewer")
    page.locator(f'path[data-code="{AUDITED}"]').click()
    page.wait_for_url(f"{site.base}/tenures/{TENURE}")
    assert "津南区" in page.inner_text("h1")
    assert page.locator("#scorecard tbody tr").count() >= 10


PAINTED = """sel => Array.from(document.querySelectorAll(sel)).reduce((n, c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n += 1; } }
    return n;
}, 0)"""


def _painted(page, side: str, kind: str) -> int:
    """Non-transparent pixels of the canvas tiles of one tile layer (kind as in the class)."""
    return page.evaluate(PAINTED, f"#map-{side} .kind-{kind} canvas.gisaudit-mvt")


def _drawn(page, key: str, side: str) -> int:
    """Distinct features the page drew from the vector tiles of one layer."""
    return page.evaluate("([k, s]) => gisaudit.tileStats(k, s).features", [key, side])


def _requested(page, part: str) -> list[str]:
    return [u for u in page.recorder.urls if part in u]


def test_theme_layers_come_from_vector_tiles(page, site):
    """At the district scale the page opens at, land use is the overview by class (PNG tiles
    sampled from the patches); changes, zones and the district are vector tiles."""
    sign_in(page, site, "auditor", f"/tenures/{TENURE}")
    wait_for_layers(page)
    notice = page.inner_text("p.notice")
    assert "矢量瓦片" in notice and "按地类着色的概览栅格" in notice
    # the themes come from /tiles/landuse-….png, the change polygons and the district from
    # /tiles/…mvt, with the sign-in; no land-use vector tile at this scale
    assert any(".png?theme=farmland&district_code=" + AUDITED in u
               for u in _requested(page, "/tiles/landuse-"))  # fmt: skip
    assert not any(".mvt" in u for u in _requested(page, "/tiles/landuse-"))
    for part in ("/tiles/changes/", "/tiles/districts/"):
        assert any(u.endswith(".mvt") or ".mvt?" in u for u in _requested(page, part)), part
    assert not _requested(page, "start_farmland.geojson")
    assert not _requested(page, "changes.geojson")
    assert page.evaluate("gisaudit.layers.theme_farmland.start.map.getZoom()") <= 12
    # the theme drawn is the district's land of that theme, by class, at start and at end
    farmland = {side: assert_overview(page, side, "farmland", site) for side in ("start", "end")}
    assert farmland["start"] != farmland["end"]  # two vintages
    changes = _painted(page, "end", "changes")
    assert changes > 0 and _drawn(page, "changes", "end") > 0
    publish_screenshot(screenshot(page, "tenure"), "screenshot-tenure.png")
    # toggling an overlay removes and restores its tiles
    page.uncheck('input[data-layer="changes"]')
    assert _painted(page, "end", "changes") == 0
    page.check('input[data-layer="changes"]')
    wait_for_layers(page)
    assert _painted(page, "end", "changes") == changes
    # a zone from its tiles
    page.check('input[data-layer="zone_pbf"]')
    wait_for_layers(page)
    assert _requested(page, "/tiles/zones-")
    assert _painted(page, "start", "zone-pbf") > 0
    # another theme: the first one's tiles go, the new one's are drawn
    page.check('input[name="theme"][value="water"]')
    wait_for_layers(page)
    assert _painted(page, "start", "theme-farmland") == 0
    assert _requested(page, ".png?theme=water&district_code=" + AUDITED)
    assert_overview(page, "start", "water", site)
    page.check('input[name="theme"][value=""]')
    assert _painted(page, "start", "theme-water") == 0
    # the leads stay a GeoJSON layer with their popups
    assert page.locator("#map-end path[data-lead-id]").count() > 0


def test_land_use_patches_are_vector_tiles_from_zoom_13(page, site):
    """Zoomed in past the overview, each map draws the district's patches of the theme from
    the land-use vector tiles: exactly those the tiles hold, all of them the theme's."""
    sign_in(page, site, "auditor", f"/tenures/{TENURE}")
    wait_for_layers(page)
    patches = {side: theme_patches(site, side, "farmland") for side in ("start", "end")}
    days = vintages(site)
    biggest = patches["start"].geometry.area.idxmax()  # planar m² is enough to pick one
    centre = patches["start"].to_crs(4326).geometry[biggest].representative_point()
    page.evaluate("c => gisaudit.layers.theme_farmland.start.map.setView(c, 13, {animate: false})",
                  [centre.y, centre.x])  # fmt: skip
    wait_for_layers(page)
    assert page.evaluate("gisaudit.layers.theme_farmland.end.map.getZoom()") == 13  # in sync
    for side in ("start", "end"):
        stats = page.evaluate("([k, s]) => gisaudit.tileStats(k, s)", ["theme_farmland", side])
        assert stats["tiles"] > 0 and stats["overview"] == 0
        urls = [u for u in _requested(page, f"-{days[side]}/13/") if ".mvt" in u]
        assert urls, side
        drawn = set(stats["keys"])
        assert drawn == {f"bsm:{b}" for b in decoded_bsm(site, urls, "farmland")}
        assert drawn and drawn <= {f"bsm:{b}" for b in patches[side]["bsm"].astype(str)}
    assert f"bsm:{patches['start'].loc[biggest, 'bsm']}" in set(
        page.evaluate("([k, s]) => gisaudit.tileStats(k, s).keys", ["theme_farmland", "start"])
    )
    assert _painted(page, "start", "theme-farmland") > 1000


COAST = "120116"  # 滨海新区: the sample's coastal district


def _evaluated_tenure(site, district: str) -> str:
    """The district's evaluated tenure (the one with a scorecard)."""
    with _api(site, "viewer") as client:
        for t in client.get("/api/tenures", params={"district_code": district}).json():
            if client.get(f"/api/tenures/{t['id']}/scorecard").status_code == 200:
                return t["id"]
    raise AssertionError(f"no evaluated tenure in {district}")


def test_coastline_comes_from_vector_tiles(page, site):
    tenure = _evaluated_tenure(site, COAST)
    sign_in(page, site, "viewer", f"/tenures/{tenure}")
    wait_for_layers(page)
    assert "海岸线" in page.inner_text("p.notice").split("GeoJSON")[0]
    assert not _requested(page, "/tiles/coastline-")  # hidden until its theme is chosen
    page.check('input[name="theme"][value="coastline"]')
    wait_for_layers(page)
    for side in ("start", "end"):
        assert _painted(page, side, "coast") > 0, side
        assert _drawn(page, "theme_coastline", side) > 0, side
    tiles = _requested(page, "/tiles/coastline-")
    assert tiles and all(".mvt" in u for u in tiles)
    assert not _requested(page, "_coastline.geojson")
    # drawn in the legend's colours of natural / artificial / estuary coast
    colours = page.evaluate(
        """sel => { const seen = {};
            document.querySelectorAll(sel).forEach(c => {
              const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
              for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] === 255) {
                  const k = "#" + [d[i], d[i + 1], d[i + 2]]
                    .map(v => v.toString(16).padStart(2, "0")).join("");
                  seen[k] = (seen[k] || 0) + 1;
                }
              }
            });
            return seen; }""",
        "#map-end .kind-coast canvas.gisaudit-mvt",
    )
    legend = set(map_style().coastline_colours.values())
    in_legend = sum(n for c, n in colours.items() if c in legend)
    assert in_legend > 0.9 * sum(colours.values())  # the rest: blended where lines cross
    assert "自然岸线" in page.inner_text("body")
    page.check('input[name="theme"][value="farmland"]')
    wait_for_layers(page)
    assert _painted(page, "start", "coast") == 0


def test_lead_popup_shows_its_fields(page, site):
    lead = _first_lead(site, AUDITED)
    sign_in(page, site, "auditor", f"/tenures/{TENURE}")
    wait_for_layers(page)
    page.locator(f'#map-end path[data-lead-id="{lead["id"]}"]').dispatch_event("click")
    popup = page.locator(".leaflet-popup-content .lead-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert lead["name"] in text
    assert "亩" in text and "公顷" in text
    assert lead["state"] in text
    code = next(iter(lead["from_codes"]))
    assert code in popup.locator(".from-codes").inner_text()
    assert "法" in popup.locator(".legal").inner_text()  # the legal basis
    page.wait_for_timeout(300)  # let the chips arrive, and the popup pan the maps
    wait_for_layers(page)  # the tiles of the panned view
    screenshot(page, "tenure-lead-popup")


def test_auditor_changes_a_lead_state_and_it_persists(page, site):
    lead = _first_lead(site, AUDITED)
    assert lead["state"] == "待核实"
    sign_in(page, site, "auditor", f"/leads/{lead['id']}")
    page.select_option("#to", "verifying")
    page.fill("#note", "已安排实地核查")
    page.click("#state-form button[type=submit]")
    page.wait_for_selector(".form-message.ok")
    page.wait_for_load_state("load")
    page.reload()
    assert page.inner_text("#lead-state") == "核实中"
    history = page.inner_text("#history")
    assert "auditor" in history and "已安排实地核查" in history
    with _api(site, "viewer") as client:
        assert client.get(f"/api/leads/{lead['id']}").json()["state"] == "核实中"
    screenshot(page, "lead")


def test_refusals_are_shown_in_chinese(page, site):
    leads = _leads(site, AUDITED)
    assert len(leads) >= 3, "the sample needs three leads in the auditor's district"
    refused, stale = leads[1], leads[2]
    # only reviewers confirm or dismiss: the auditor gets no form, and is told why, in Chinese
    _move(site, refused["id"], "verifying")
    sign_in(page, site, "auditor", f"/leads/{refused['id']}")
    assert page.locator("#state-form").count() == 0
    assert "复核人员" in page.inner_text("main")
    assert page.inner_text("#lead-state") == "核实中"
    # someone else changes the lead after this page was loaded: its version is stale (412)
    page.goto(f"{site.base}/leads/{stale['id']}")
    etag = _move(site, stale["id"], "verifying")
    page.select_option("#to", "verifying")
    page.click("#state-form button[type=submit]")
    page.wait_for_function("document.querySelector('.form-message').dataset.status === '412'")
    assert "已被他人修改" in page.inner_text(".form-message")
    with _api(site, "viewer") as client:
        assert client.get(f"/api/leads/{stale['id']}").headers["ETag"] == etag


def test_another_districts_lead_is_not_reachable(page, site):
    other = _first_lead(site, OTHER)
    with _api(site, "auditor") as client:
        assert client.get(f"/api/leads/{other['id']}").status_code == 404
        listed = client.get("/api/leads.geojson", params={"district_code": OTHER}).json()
        assert listed["features"] == []
    sign_in(page, site, "auditor")
    response = page.goto(f"{site.base}/leads/{other['id']}")
    assert response is not None and response.status == 404
    assert "未找到疑点" in page.inner_text("h1")
    page.goto(f"{site.base}/tenures/{other['tenure_id']}")
    assert page.locator("#lead-table").count() == 0
    assert page.locator('input[data-layer="leads"]').is_disabled()


def test_the_tile_decoder_reads_what_the_server_encodes(page, site):
    """mvt.js against mapbox_vector_tile: same layer, properties and (zigzag, delta) vertices."""
    import base64

    import mapbox_vector_tile
    import shapely

    from api.tiles import encode_tile, tile_bounds

    minx, miny, maxx, maxy = tile_bounds(12, 3380, 1556)
    w, h = maxx - minx, maxy - miny
    square = shapely.box(minx + w * 0.1, miny + h * 0.1, minx + w * 0.6, miny + h * 0.5)
    holed = square.difference(shapely.box(minx + w * 0.2, miny + h * 0.2, minx + w * 0.3,
                                          miny + h * 0.3))  # fmt: skip
    line = shapely.LineString([(minx + w * 0.7, miny + h * 0.9), (minx + w * 0.9, miny + h * 0.1)])
    props = [{"dlbm": "0101", "dlmc": "水田", "kcxs": 0.25, "n": -7, "ok": True}, {"n": 3}]
    data = encode_tile("t", [holed, line], props, 12, 3380, 1556)
    expected = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["t"]
    sign_in(page, site, "viewer")
    got = page.evaluate(
        """b64 => { const bin = atob(b64), bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
        return gisauditMVT.decode(bytes.buffer).t; }""",
        base64.b64encode(data).decode(),
    )
    assert got["extent"] == expected["extent"] == 4096
    assert [f["properties"] for f in got["features"]] == [
        pytest.approx(f["properties"]) for f in expected["features"]
    ]
    assert [f["type"] for f in got["features"]] == [3, 2]
    polygon = expected["features"][0]["geometry"]["coordinates"]  # outer ring, hole
    assert [[tuple(p) for p in r] for r in got["features"][0]["rings"]] == [
        [tuple(p) for p in r] for r in polygon
    ]
    assert [tuple(p) for p in got["features"][1]["rings"][0]] == [
        tuple(p) for p in expected["features"][1]["geometry"]["coordinates"]
    ]
