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
        return dict(page.eval_on_selector_all(
            "#overview-map path[data-code]",
            "els => els.map(e => [e.getAttribute('data-code'), e.getAttribute('fill')])"))

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


def test_layer_toggles_change_what_is_drawn(page, site):
    sign_in(page, site, "auditor", f"/tenures/{TENURE}")
    wait_for_layers(page)
    start = "#map-start path.leaflet-interactive"
    end = "#map-end path.leaflet-interactive"
    farmland_start = _layer_features(site, "start_farmland")
    assert page.locator(start).count() == farmland_start
    n_end = page.locator(end).count()
    changes = _layer_features(site, "changes")
    assert changes > 0
    page.uncheck('input[data-layer="changes"]')
    assert page.locator(end).count() == n_end - changes
    page.check('input[data-layer="changes"]')
    assert page.locator(end).count() == n_end
    page.check('input[data-layer="zone_pbf"]')
    wait_for_layers(page)
    pbf = _layer_features(site, "zone_pbf")
    assert pbf > 0
    assert page.locator(start).count() == farmland_start + pbf
    page.check('input[name="theme"][value="water"]')
    wait_for_layers(page)
    assert page.locator(start).count() == _layer_features(site, "start_water") + pbf


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
    page.wait_for_timeout(300)  # let the chips arrive
    path = screenshot(page, "tenure")
    publish_screenshot(path, "screenshot-tenure.png")


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
