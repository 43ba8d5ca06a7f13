"""Evaluation jobs (202 + Location, states, progress), scorecards, transitions, accounts."""

from __future__ import annotations

import pytest

from gisaudit.evaluation import validate_scorecard
from tests.api.conftest import wait_for_job


def test_job_is_done_with_scorecards(api):
    body = api.get(f"/api/evaluations/{api.evaluation_id}", "viewer").json()
    assert body["state"] == "done" and body["progress"]["done"] == 4
    assert body["indicator_system_id"] == "tianjin-2025" and body["user"] == "admin"
    tenures = {t["tenure_id"]: t for t in body["tenures"]}
    assert set(tenures) == {"T120110a", "T120110b", "T120111a", "T120111b"}
    assert tenures["T120110a"]["lead_count"] == 2 and tenures["T120111a"]["lead_count"] == 1
    href = next(x["href"] for x in tenures["T120110a"]["links"] if x["rel"] == "scorecard")
    card = api.client.get(href, headers=api.as_("viewer")).json()
    validate_scorecard(card)
    assert card["leads"]["count"] == 2 and card["leads"]["by_rule"] == {
        "farmland_to_construction": 1,
        "pbf_occupation": 1,
    }
    listing = api.get("/api/evaluations", "viewer").json()
    assert api.evaluation_id in [e["id"] for e in listing["items"]]


def test_transitions_and_account(api):
    base = f"/api/evaluations/{api.evaluation_id}/tenures/T120110a"
    cells = api.get(f"{base}/transitions", "viewer").json()
    assert abs(sum(c["area_ha"] for c in cells) - 400) < 0.1  # the whole 2 km × 2 km district
    moved = {(c["from_group"], c["to_group"]): c["area_ha"] for c in cells}
    assert abs(moved[("farmland", "built")] - 100) < 0.1
    account = {r["theme"]: r for r in api.get(f"{base}/account", "viewer").json()}
    farm = account["farmland"]
    assert abs(farm["opening_ha"] - 100) < 0.1 and abs(farm["closing_ha"]) < 1e-6
    assert (
        abs(farm["opening_ha"] + farm["additions_ha"] - farm["reductions_ha"] - farm["closing_ha"])
        < 1e-6
    )


def test_report_files_absent_without_reports(api):
    r = api.get(f"/api/evaluations/{api.evaluation_id}/tenures/T120110a/report.pdf", "viewer")
    assert r.status_code == 404 and "报告" in r.json()["detail"]


def test_submit_checks_now(api):
    r = api.post("/api/evaluations", json={"package_id": api.package_id, "tenure_ids": ["nope"]})
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    r = api.post("/api/evaluations", json={"package_id": "abc123"})
    assert r.status_code == 404
    r = api.post("/api/evaluations", json={"package_id": api.package_id, "indicator_system": "x"})
    assert r.status_code == 404
    for user in ("viewer", "auditor"):
        assert (
            api.post("/api/evaluations", user, json={"package_id": api.package_id}).status_code
            == 403
        )
    assert api.get("/api/evaluations/00000000-0000-0000-0000-000000000000").status_code == 404
    assert api.get("/api/evaluations/not-a-uuid").status_code == 422


@pytest.mark.slow
def test_job_with_printable_report(api):
    r = api.post(
        "/api/evaluations",
        "reviewer",
        json={"package_id": api.package_id, "tenure_ids": ["T120111a"]},
    )
    assert r.status_code == 202 and r.headers["Location"].startswith("/api/evaluations/")
    assert r.json()["state"] in ("queued", "running")
    job = wait_for_job(api.client, r.headers["Location"], api.as_("reviewer"))
    assert job["state"] == "done", job
    base = f"/api/evaluations/{job['id']}/tenures/T120111a"
    pdf = api.get(f"{base}/report.pdf", "viewer")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = api.get(f"{base}/report.html", "viewer")
    assert html.headers["content-type"].startswith("text/html") and "西青区" in html.text
    xlsx = api.get(f"{base}/scorecard.xlsx", "viewer")
    assert xlsx.content[:2] == b"PK"
    # a re-run keeps the lead ids and their workflow: same leads, still present
    assert [x["id"] for x in api.leads("120111", tenure_id="T120111a")] == [
        x["id"] for x in api.leads("120111", tenure_id="T120111a", include_gone="true")
    ]


def test_an_evaluation_job_prepares_the_package_layers_for_its_maps(api):
    layers = api.client.app.state.services.packages.layers(api.package_id)
    assert layers.warming is not None  # started by the evaluation job, not by a tile
    layers.warming.join(timeout=120)
    assert sorted(layers.built) == sorted(layers)
    assert any(i.startswith("landuse-") for i in layers.built)
