"""Leads: filters, paging, GeoJSON, detail with evidence, workflow with ETag/If-Match, exports."""

from __future__ import annotations

import io

import openpyxl
import pytest

from gisaudit.leads import LEAD_COLUMNS
from tests.api.conftest import OTHER, OWN, read_gpkg


def test_filters_and_paging(api):
    all_ = api.get("/api/leads", "viewer").json()
    assert all_["total"] == 6
    critical = api.get("/api/leads", "viewer", params={"severity": "critical"}).json()
    assert critical["total"] == 2 and {x["rule"] for x in critical["items"]} == {"pbf_occupation"}
    both = api.get(
        "/api/leads", "viewer", params=[("district_code", OWN), ("district_code", OTHER)]
    ).json()
    assert both["total"] == 6
    page = api.get("/api/leads", "viewer", params={"limit": 4, "offset": 0}).json()
    assert len(page["items"]) == 4 and page["total"] == 6
    nxt = next(x["href"] for x in page["links"] if x["rel"] == "next")
    rest = api.client.get(nxt, headers=api.as_("viewer")).json()
    assert len(rest["items"]) == 2
    assert {x["id"] for x in page["items"]} | {x["id"] for x in rest["items"]} == {
        x["id"] for x in all_["items"]
    }
    far = api.get("/api/leads", "viewer", params={"bbox": "100,20,101,21"}).json()
    assert far["total"] == 0
    near = api.get("/api/leads", "viewer", params={"bbox": "116.9,38.9,117.1,39.1"}).json()
    assert near["total"] == 6
    assert api.get("/api/leads", "viewer", params={"bbox": "1,2,3"}).status_code == 422
    pending = api.get(
        "/api/leads", "viewer", params={"state": "pending", "tenure_id": "T120111b"}
    ).json()
    assert pending["total"] == 1


def test_geojson_has_spec_properties(api):
    r = api.get("/api/leads.geojson", "viewer", params={"district_code": OWN})
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 4
    feature = body["features"][0]
    assert set(LEAD_COLUMNS) <= set(feature["properties"])
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    lon, lat = (
        feature["geometry"]["coordinates"][0][0][:2]
        if feature["geometry"]["type"] == "Polygon"
        else feature["geometry"]["coordinates"][0][0][0][:2]
    )
    assert 116.9 < lon < 117.1 and 38.9 < lat < 39.1


def test_detail_with_evidence_history_and_legal_basis(api):
    lead = api.leads(OWN, rule="pbf_occupation", tenure_id="T120110a")[0]
    r = api.get(f"/api/leads/{lead['id']}", "viewer")
    assert r.status_code == 200 and r.headers["etag"] == f'"{lead["version"]}"'
    body = r.json()
    assert body["history"][0]["note"] == "评价生成疑点"
    assert body["knowledge"]["legal_basis"] and body["knowledge"]["audit_steps"]
    flow = api.get("/api/workflow", None).json()["transitions"]
    expected = [t["to"] for t in flow if t["from"] == body["state_id"]]
    assert [s["id"] for s in body["next_states"]] == expected and expected
    assert not any(s["allowed"] for s in body["next_states"])  # a viewer may not work leads
    mine = api.get(f"/api/leads/{lead['id']}", "reviewer").json()["next_states"]
    assert all(s["allowed"] for s in mine)
    chips = [e["href"] for e in body["evidence"] if e["rel"] == "evidence"]
    assert len(chips) == 2
    png = api.client.get(chips[0], headers=api.as_("viewer"))
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    sheet = next(
        e["href"] for e in body["evidence"] if e["rel"] == "sheet" and e["type"] == "text/html"
    )
    assert "永久基本农田" in api.client.get(sheet, headers=api.as_("viewer")).text
    assert api.get("/api/leads/L-nope", "viewer").status_code == 404


def test_workflow_with_etag(api):
    lead = api.leads(OWN, rule="farmland_to_construction", tenure_id="T120110b")[0]
    url = f"/api/leads/{lead['id']}/state"
    r = api.post(url, "auditor", json={"to": "verifying"})
    assert r.status_code == 428 and r.json()["code"] == "precondition_required"
    etag = api.get(f"/api/leads/{lead['id']}", "auditor").headers["etag"]
    r = api.post(
        url, "auditor", json={"to": "verifying", "note": "已派员核查"}, headers={"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    new_etag = r.headers["etag"]
    assert new_etag != etag and r.json()["state"] == "核实中"
    # the stale ETag is refused and nothing changes
    r = api.post(url, "reviewer", json={"to": "confirmed"}, headers={"If-Match": etag})
    assert r.status_code == 412 and r.json()["code"] == "stale_update"
    assert api.get(f"/api/leads/{lead['id']}").json()["state"] == "核实中"
    # auditors may not confirm; reviewers may
    r = api.post(url, "auditor", json={"to": "confirmed"}, headers={"If-Match": new_etag})
    assert r.status_code == 403
    r = api.post(url, "reviewer", json={"to": "dismissed"}, headers={"If-Match": new_etag})
    assert r.status_code == 409 and "原因" in r.json()["detail"]
    r = api.post(url, "reviewer", json={"to": "confirmed"}, headers={"If-Match": new_etag})
    assert r.status_code == 200
    r = api.post(url, "auditor", json={"to": "rectifying"}, headers={"If-Match": r.headers["etag"]})
    assert r.status_code == 409 and "整改期限" in r.json()["detail"]
    etag = api.get(f"/api/leads/{lead['id']}", "auditor").headers["etag"]
    r = api.post(
        url, "auditor", json={"to": "整改中", "deadline": "2025-12-31"}, headers={"If-Match": etag}
    )
    assert r.status_code == 200 and r.json()["deadline"] == "2025-12-31"
    r = api.post(url, "auditor", json={"to": "rectified"}, headers={"If-Match": r.headers["etag"]})
    assert r.status_code == 200
    history = api.get(f"/api/leads/{lead['id']}/history", "auditor").json()
    assert [(h["to_state"], h["user"]) for h in history[1:]] == [
        ("核实中", "auditor"),
        ("已确认", "reviewer"),
        ("整改中", "auditor"),
        ("已整改", "auditor"),
    ]
    assert history[1]["note"] == "已派员核查"
    rates = {x["key"]: x for x in api.get("/api/rectification", "viewer").json()}
    assert rates[OWN]["rectified"] >= 1 and rates[OWN]["rate_pct"] is not None


def test_notes(api):
    lead = api.leads(OWN, tenure_id="T120110a")[0]
    r = api.post(f"/api/leads/{lead['id']}/notes", "auditor", json={"note": "现场为在建厂房"})
    assert r.status_code == 201 and r.json()["user"] == "auditor"
    after = api.get(f"/api/leads/{lead['id']}").json()
    assert after["version"] == lead["version"]  # a note does not change the state's version
    assert after["history"][-1]["note"] == "现场为在建厂房"
    assert (
        api.post(f"/api/leads/{lead['id']}/notes", "auditor", json={"note": ""}).status_code == 422
    )


def test_exports(api):
    r = api.get("/api/exports/leads.gpkg", "viewer", params={"district_code": OWN})
    assert r.status_code == 200
    frame = read_gpkg(r.content, layer="leads")
    assert len(frame) == 4 and set(LEAD_COLUMNS) <= set(frame.columns)
    assert frame.crs.to_epsg() == 4527
    r = api.get("/api/exports/leads.xlsx", "viewer")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "永久基本农田被占用" in text and "西青区" in text


@pytest.mark.parametrize("value", ['W/"999"', '"abc"'])
def test_if_match_variants_that_do_not_match(api, value):
    lead = api.leads(OTHER, tenure_id="T120111b")[0]
    r = api.post(
        f"/api/leads/{lead['id']}/state",
        "reviewer",
        json={"to": "verifying"},
        headers={"If-Match": value},
    )
    assert r.status_code == 412
