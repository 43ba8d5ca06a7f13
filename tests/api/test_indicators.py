"""Indicator systems, lead rules, knowledge base, workflow."""

from __future__ import annotations

import uuid


def test_default_indicator_system(api):
    systems = api.get("/api/indicator-systems", None).json()
    default = next(s for s in systems if s["id"] == "tianjin-2025")
    assert default["builtin"] is True and default["indicators"] == 14
    body = api.get("/api/indicator-systems/tianjin-2025", None).json()
    assert {i["id"] for i in body["indicators"]} >= {"farmland_retention", "reclamation_area"}
    r = api.get("/api/indicator-systems/tianjin-2025/yaml", None)
    assert (
        r.headers["content-type"].startswith("application/yaml") and "farmland_retention" in r.text
    )
    assert api.get("/api/indicator-systems/nope", None).status_code == 404


def test_upload_custom_system(api):
    text = api.get("/api/indicator-systems/tianjin-2025/yaml", None).text
    new_id = f"custom-{uuid.uuid4().hex[:6]}"
    custom = text.replace("id: tianjin-2025", f"id: {new_id}", 1)
    assert custom != text
    r = api.post(
        "/api/indicator-systems", files={"file": ("c.yaml", custom.encode(), "application/yaml")}
    )
    assert r.status_code == 201, r.text
    assert r.json()["id"] == new_id and r.json()["builtin"] is False
    assert new_id in [s["id"] for s in api.get("/api/indicator-systems", None).json()]
    assert api.get(f"/api/indicator-systems/{new_id}/yaml", None).text == custom


def test_bad_custom_system_names_line_and_field(api):
    text = api.get("/api/indicator-systems/tianjin-2025/yaml", None).text
    bad = text.replace("id: tianjin-2025", "id: broken-one", 1).replace(
        "weight: 12", "weight: 十二", 1
    )
    r = api.post(
        "/api/indicator-systems", files={"file": ("bad.yaml", bad.encode(), "application/yaml")}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_config" and "行" in r.json()["detail"]
    r = api.post(
        "/api/indicator-systems", files={"file": ("d.yaml", text.encode(), "application/yaml")}
    )
    assert r.status_code == 422 and "内置" in r.json()["detail"]
    assert (
        api.post(
            "/api/indicator-systems",
            "reviewer",
            files={"file": ("x.yaml", b"x", "application/yaml")},
        ).status_code
        == 403
    )


def test_rules_knowledge_workflow(api):
    rules = {r["id"]: r for r in api.get("/api/lead-rules", None).json()}
    assert rules["pbf_occupation"]["severity"] == "critical"
    kb = api.get("/api/knowledge-base/farmland_to_construction", None).json()
    assert kb["legal_basis"] and kb["audit_steps"]
    assert api.get("/api/knowledge-base/nope", None).status_code == 404
    flow = api.get("/api/workflow", None).json()
    assert flow["initial"] == "pending" and "已批准" in flow["reasons"]
