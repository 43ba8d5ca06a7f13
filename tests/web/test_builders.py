"""The web builders without a browser: local assets only, panels, map layers, page routes."""

from __future__ import annotations

import json
import re

import pytest
import shapely

from web import pages, panels
from web.assets import BASEMAP_URL_ENV, LEAFLET_JS, STATIC_DIR, LocalMap, new_map
from web.styles import map_style

URL = re.compile(r"""https?://[^\s"'<>)]+""")
DISTRICT = {
    "type": "Feature",
    "geometry": shapely.geometry.mapping(shapely.box(117.2, 39.0, 117.4, 39.2)),
    "properties": {"code": "120112", "name": "津南区", "grade": "较差", "total_score": 66.0,
                   "url": "/tenures/t1", "scores": {"farmland_retention": 80.0}},
}  # fmt: skip
SCORECARD = {
    "grade": "较差", "total_score": 66.0, "vetoes": ["pbf_loss_area"],
    "vintages": {"start": "2018-12-31", "end": "2023-12-31"},
    "indicator_system": {"id": "tianjin-2025", "name": "天津", "version": "1"},
    "indicators": [{"id": "pbf_loss_area", "name": "永久基本农田减少面积", "unit": "ha",
                    "value": 3.0, "score": 0.0, "weight": 50.0, "applicable": True, "veto": True},
                   {"id": "natural_coastline_rate", "name": "自然岸线保有率", "unit": "%",
                    "applicable": False, "weight": 0.0}],
    "areas": {"start": {"farmland": 100.0}, "end": {"farmland": 90.0}},
}  # fmt: skip
TRANSITIONS = [
    {"from_group": "farmland", "to_group": "farmland", "area_ha": 90.0},
    {"from_group": "farmland", "to_group": "built", "area_ha": 10.0},
    {"from_group": "built", "to_group": "built", "area_ha": 50.0},
]
LEAD = {
    "type": "Feature",
    "geometry": shapely.geometry.mapping(shapely.box(117.30, 39.10, 117.31, 39.11)),
    "properties": {"id": "L-1", "rule": "pbf_occupation", "name": "永久基本农田被占用",
                   "severity": "critical", "district_code": "120112", "tenure_id": "t1",
                   "area_m2": 2000.0, "area_ha": 0.2, "area_mu": 3.0, "length_m": None,
                   "from_codes": {"0101": 2000.0}, "to_codes": {"0702": 2000.0},
                   "change_vintage": "2021-12-31", "lon": 117.305, "lat": 39.105,
                   "legal_basis": "《土地管理法》第三十五条", "state": "待核实", "version": 1,
                   "reason": None, "deadline": None, "present": True},
}  # fmt: skip


def _all_pages() -> dict[str, str]:
    layers = {name: {"url": f"/map/api/tenures/t1/layers/{name}.geojson", "features": 3}
              for name in ("district", "start_farmland", "end_farmland", "changes",
                           "zone_pbf", "start_coastline", "end_coastline")}  # fmt: skip
    return {
        "login": pages.login_page("/tenures/t1"),
        "error": pages.error_page("未找到", "没有这个任期。"),
        "overview": pages.overview_page(
            {"type": "FeatureCollection", "features": [json.loads(json.dumps(DISTRICT))]},
            [{"tenure_id": "t1", "district_name": "津南区", "official": "某某", "position": "区长",
              "start": "2019-01-01", "end": None, "start_vintage": "2018-12-31",
              "end_vintage": "2023-12-31", "total_score": 66.0, "grade": "较差",
              "vetoes": ["永久基本农田减少面积"], "open_leads": 2, "rectification_pct": 50.0,
              "url": "/tenures/t1"}],
            [{"id": "farmland_retention", "name": "耕地保有率"}], user=None),
        "tenure": pages.tenure_page(
            {"id": "t1", "district_name": "津南区", "official": "某某", "position": "区长",
             "start": "2019-01-01", "end": None}, SCORECARD, TRANSITIONS, layers,
            leads=[LEAD["properties"]], leads_total=1, leads_url="/api/leads.geojson?tenure_id=t1",
            downloads=[{"url": "/api/x/scorecard.xlsx", "filename": "a.xlsx", "label": "评分表"}],
            user={"name": "a", "anonymous": False, "role_name": "审计人员",
                  "districts": ["津南区"]},
            bounds=(117.2, 39.0, 117.4, 39.2)),
        "lead": pages.lead_page(
            LEAD, history=[], next_states=[{"id": "verifying", "name": "核实中",
                                            "action": "开始核实", "requires": [], "allowed": True}],
            can_work=True, work_note="", reasons=["已批准"], user=None, district_name="津南区"),
    }  # fmt: skip


@pytest.mark.parametrize("name", ["login", "error", "overview", "tenure", "lead"])
def test_pages_reference_only_local_assets(name):
    html = _all_pages()[name]
    assert URL.findall(html) == [], "a page must work with no internet"
    for ref in re.findall(r"""(?:src|href)=["']([^"']+)["']""", html):
        assert ref.startswith(("/", "#", "data:")), ref
        if ref.startswith("/static/"):
            assert (STATIC_DIR / ref.removeprefix("/static/")).is_file(), ref
    assert LEAFLET_JS in html
    assert 'lang="zh-CN"' in html


def test_vendored_leaflet_has_its_licence():
    licence = (STATIC_DIR / "vendor" / "leaflet" / "LICENSE").read_text("utf-8")
    assert "BSD 2-Clause" in licence
    assert (STATIC_DIR / "vendor" / "leaflet" / "images" / "layers.png").is_file()


def test_local_map_replaces_every_cdn():
    assert all(url.startswith("/static/") for _, url in LocalMap.default_js + LocalMap.default_css)
    html = new_map().get_root().render()
    assert URL.findall(html) == []


def test_the_basemap_is_the_only_outside_address(monkeypatch):
    monkeypatch.setenv(BASEMAP_URL_ENV, "https://t0.tianditu.gov.cn/img_w/wmts?tk=KEY&x={x}&y={y}&z={z}")
    html = pages.overview_page({"type": "FeatureCollection", "features": []}, [], [], user=None,
                               basemap=pages_basemap())  # fmt: skip
    assert {u.split("/")[2] for u in URL.findall(html)} == {"t0.tianditu.gov.cn"}


def pages_basemap():
    from web.assets import basemap_from_env

    return basemap_from_env()


def test_pages_are_chinese_and_escape_data():
    html = _all_pages()["tenure"]
    assert "评分卡" in html and "期初 2018-12-31" in html and "永久基本农田减少面积" in html
    evil = json.loads(json.dumps(LEAD))
    evil["properties"]["name"] = "<script>alert(1)</script>"
    page = pages.lead_page(evil, history=[], next_states=[], can_work=False, work_note="",
                           reasons=[], user=None)  # fmt: skip
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_group_account_balances():
    rows = {r["group"]: r for r in panels.group_account(TRANSITIONS)}
    assert rows["farmland"]["opening"] == "100.00" and rows["farmland"]["closing"] == "90.00"
    assert rows["farmland"]["reductions"] == "10.00" and rows["built"]["additions"] == "10.00"
    assert rows["built"]["net"] == "10.00"


def test_transition_chart_shows_only_changes():
    svg = str(panels.transition_chart_svg(TRANSITIONS))
    assert svg.count("<rect") == 1
    assert "耕地 → 城镇村及工矿用地" in svg and "10.00 公顷" in svg
    assert "没有变化" in str(panels.transition_chart_svg(TRANSITIONS[:1]))


def test_code_rows_in_mu_and_ha():
    (row,) = panels.code_rows({"0101": 10_000.0})
    assert row["name"] == "水田" and row["mu"] == "15.00" and row["ha"] == "1.0000"


def test_score_colours_follow_the_ramp():
    style = map_style()
    assert style.score_colour(0) == style.score_ramp[0]
    assert style.score_colour(100) == style.score_ramp[-1]
    assert style.score_colour(None) == style.no_data
    assert style.grade_colour("好") != style.grade_colour("差")


OVERVIEW = "/tiles/landuse-p-2018-12-31/{z}/{x}/{y}.png?theme=farmland&district_code=120112"


def test_tenure_layers_from_tiles_win_over_geojson():
    layers = {name: {"url": f"/map/api/tenures/t1/layers/{name}.geojson", "features": 3}
              for name in ("district", "start_farmland", "end_farmland", "changes",
                           "start_coastline", "end_coastline")}  # fmt: skip
    tiles = {
        "start_farmland": {"url": "/tiles/landuse-p-2018-12-31/{z}/{x}/{y}.mvt",
                           "filter": {"district_code": "120112"}, "min_zoom": 9,
                           "overview": {"url": OVERVIEW, "max_zoom": 12}},
        "end_farmland": {"url": "/tiles/landuse-p-2023-12-31/{z}/{x}/{y}.mvt",
                         "filter": {"district_code": "120112"}, "min_zoom": 9},
        "zone_pbf": {"url": "/tiles/zones-p-pbf/{z}/{x}/{y}.mvt"},
    }  # fmt: skip
    html = pages.tenure_page(
        {"id": "t1", "district_name": "津南区", "official": "某某", "position": "区长",
         "start": "2019-01-01", "end": None}, SCORECARD, TRANSITIONS, layers,
        leads=[], leads_total=0, leads_url="/api/leads.geojson?tenure_id=t1", downloads=[],
        user=None, tiles=tiles)  # fmt: skip
    assert html.count("gisaudit.mvtLayer(") == 4  # farmland at start and end, pbf on both maps
    assert "/tiles/landuse-p-2018-12-31/{z}/{x}/{y}.mvt" in html
    # the start map's farmland draws the overview PNG tiles up to zoom 12; the end's has none
    calls = [json.loads(f"[{c}]") for c in re.findall(r"gisaudit\.mvtLayer\((.*?)\);", html, re.S)]
    start = next(c for c in calls if "2018-12-31" in c[0])
    end = next(c for c in calls if "2023-12-31" in c[0])
    assert start[-1] == {"url": OVERVIEW, "max_zoom": 12} and end[-1] is None
    assert "farmland.geojson" not in html and "zones-p-pbf" in html
    for geojson in ("start_coastline", "end_coastline", "changes", "district"):
        assert f"layers/{geojson}.geojson" in html  # no tiles for these here: GeoJSON fallback
    pbf = re.search(r'data-layer="zone_pbf"[^>]*>', html, re.S)
    assert pbf and "disabled" not in pbf.group(0)  # the zone exists only as tiles: offered
    assert '"themeCodes"' in html and '"0101"' in html
