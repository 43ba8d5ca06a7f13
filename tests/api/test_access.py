"""The access matrix: every role × every lead, export and tile route × own/other district.

``auditor`` is assigned 120110 (own) and not 120111 (other); leads of both exist.
"""

from __future__ import annotations

import mapbox_vector_tile
import pytest

from tests.api.conftest import OTHER, OWN, read_gpkg

ROLES = [None, "viewer", "auditor", "reviewer", "admin"]
TILE = "/tiles/leads/10/844/391.mvt"  # holds both test districts (≈117.0°E 39.0°N)


def sees(role: str | None, district: str) -> bool:
    return role is not None and (role != "auditor" or district == OWN)


def lead_of(api, district: str) -> dict:
    return api.leads(district, tenure_id=f"T{district}a")[0]


@pytest.mark.parametrize("role", ROLES)
def test_lists_geojson_exports_tiles_ogc(api, role):
    ok = 401 if role is None else 200
    districts_seen = {d for d in (OWN, OTHER) if sees(role, d)}
    r = api.get("/api/leads", role, params={"limit": 1000})
    assert r.status_code == ok
    if role:
        assert {x["district_code"] for x in r.json()["items"]} == districts_seen
        # asking for the other district explicitly does not help
        other = api.get("/api/leads", role, params={"district_code": OTHER}).json()
        assert other["total"] == (2 if sees(role, OTHER) else 0)
    r = api.get("/api/leads.geojson", role)
    assert r.status_code == ok
    if role:
        assert {f["properties"]["district_code"] for f in r.json()["features"]} == districts_seen
    r = api.get("/api/exports/leads.gpkg", role)
    assert r.status_code == ok
    if role:
        frame = read_gpkg(r.content, layer="leads")
        assert set(frame["district_code"]) == districts_seen
    r = api.get("/api/exports/leads.xlsx", role)
    assert r.status_code == ok
    if role:
        text = r.content
        assert text[:2] == b"PK"
    r = api.get(TILE, role)
    assert r.status_code == ok
    if role:
        layer = mapbox_vector_tile.decode(r.content).get("leads", {"features": []})
        assert {f["properties"]["district_code"] for f in layer["features"]} == districts_seen
    r = api.get("/ogc/collections/leads/items", role)
    assert r.status_code == ok
    if role:
        assert {f["properties"]["district_code"] for f in r.json()["features"]} == districts_seen
    r = api.get("/api/rectification", role)
    assert r.status_code == ok
    if role == "auditor":
        assert {x["key"] for x in r.json()} <= {OWN}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("district", [OWN, OTHER])
def test_one_lead_routes(api, role, district):
    lead = lead_of(api, district)
    lid = lead["id"]
    expected = 401 if role is None else (200 if sees(role, district) else 404)
    assert api.get(f"/api/leads/{lid}", role).status_code == expected
    assert api.get(f"/api/leads/{lid}/history", role).status_code == expected
    assert api.get(f"/ogc/collections/leads/items/{lid}", role).status_code == expected
    chip = api.get(f"/api/leads/{lid}/evidence/before.png", role)
    assert chip.status_code == expected
    sheet = api.get(f"/api/leads/{lid}/sheet.html", role)
    assert sheet.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("district", [OWN, OTHER])
def test_writes(api, role, district):
    lid = lead_of(api, district)["id"]
    may_work = role in ("auditor", "reviewer", "admin") and sees(role, district)
    r = api.post(f"/api/leads/{lid}/notes", role, json={"note": f"{role} 的备注"})
    if role is None:
        assert r.status_code == 401
    elif role == "viewer":
        assert r.status_code == 403
    else:
        assert r.status_code == (201 if may_work else 404)
    # a state change is refused before anything is written when the role may not work the lead
    r = api.post(
        f"/api/leads/{lid}/state", role, json={"to": "verifying"}, headers={"If-Match": '"1"'}
    )
    if role is None:
        assert r.status_code == 401
    elif role == "viewer":
        assert r.status_code == 403
    elif not may_work:
        assert r.status_code == 404
    history = api.get(f"/api/leads/{lid}/history", "admin").json()
    writers = {h["user"] for h in history}
    if not may_work:
        assert role not in writers


def test_anonymous_read_setting(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings

    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp_path}/db.sqlite", data_dir=tmp_path, anonymous_read=True
        )
    )
    with TestClient(app) as client:
        assert client.get("/api/leads").status_code == 200
        assert client.post("/api/leads/x/notes", json={"note": "x"}).status_code == 401
        assert "leads" in [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
