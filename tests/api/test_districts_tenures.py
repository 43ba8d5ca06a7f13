"""Districts, tenures (checked like tenures.csv) and the overview."""

from __future__ import annotations

import uuid

from tests.api.conftest import OTHER, OWN


def test_districts_public(api):
    body = api.get("/api/districts", None).json()
    codes = {d["code"]: d for d in body}
    assert {OWN, OTHER} <= set(codes)
    assert codes[OWN]["name"] == "东丽区" and abs(codes[OWN]["area_ha"] - 400) < 0.5
    lon0, lat0, lon1, lat1 = codes[OWN]["bbox"]
    assert 116.9 < lon0 < lon1 < 117.1 and 38.9 < lat0 < lat1 < 39.1
    assert api.get(f"/api/districts/{OWN}", None).json()["code"] == OWN
    assert api.get("/api/districts/120119", None).status_code == 404
    assert api.get("/api/districts/abc", None).status_code == 422


def test_overview_anonymous_and_scoped(api):
    anon = {d["code"]: d for d in api.get("/api/overview", None).json()}
    assert anon[OWN]["tenures"][0]["grade"] in ("好", "较好", "一般", "较差", "差")
    assert anon[OWN]["leads_by_severity"] is None  # lead counts need a sign-in
    auditor = {d["code"]: d for d in api.get("/api/overview", "auditor").json()}
    assert sum(auditor[OWN]["leads_by_severity"].values()) >= 1
    assert auditor[OTHER]["leads_by_severity"] is None
    admin = {d["code"]: d for d in api.get("/api/overview").json()}
    assert sum(admin[OTHER]["leads_by_severity"].values()) >= 1


def test_tenures_list_and_latest_scorecard(api):
    tenures = api.get("/api/tenures", None, params={"district_code": OWN}).json()
    assert {t["id"] for t in tenures} >= {"T120110a", "T120110b"}
    assert all(t["district_code"] == OWN for t in tenures)
    card = api.get("/api/tenures/T120110a/scorecard", "viewer").json()
    assert card["schema"] == "gisaudit.scorecard/1" and card["tenure"]["id"] == "T120110a"
    assert api.get("/api/tenures/T120110a/scorecard", None).status_code == 401


def test_create_and_update_tenure(api):
    tid = f"T-{uuid.uuid4().hex[:6]}"
    body = {
        "id": tid,
        "district_code": "120112",
        "official": "王五",
        "position": "区长",
        "start": "2020-01-01",
        "end": None,
    }
    r = api.post("/api/tenures", json=body)
    assert r.status_code == 201 and r.json()["id"] == tid
    assert api.post("/api/tenures", json=body).status_code == 422  # exists
    r = api.client.put(
        f"/api/tenures/{tid}",
        headers=api.as_("admin"),
        json={**{k: v for k, v in body.items() if k != "id"}, "end": "2024-06-30"},
    )
    assert r.status_code == 200 and r.json()["end"] == "2024-06-30"
    assert api.get(f"/api/tenures/{tid}", None).json()["end"] == "2024-06-30"


def test_tenure_rules(api):
    base = {"district_code": OWN, "official": "王五", "position": "区长"}
    r = api.post(
        "/api/tenures", json={**base, "id": "bad-dates", "start": "2022-01-01", "end": "2021-01-01"}
    )
    assert r.status_code == 422 and "早于开始日期" in r.json()["detail"]
    r = api.post(
        "/api/tenures",
        json={**base, "id": "bad-district", "district_code": "110101", "start": "2022-01-01"},
    )
    assert r.status_code == 422 and "涉农区" in r.json()["detail"]
    r = api.post("/api/tenures", "reviewer", json={**base, "id": "x", "start": "2022-01-01"})
    assert r.status_code == 403
    r = api.client.put(
        "/api/tenures/nope", headers=api.as_("admin"), json={**base, "start": "2022-01-01"}
    )
    assert r.status_code == 404
