"""Property-based run of the OpenAPI schema (schemathesis): no 5xx, answers match the schema.

EVERY operation, the writing ones included (uploads, registrations, users, tenures,
evaluations, lead state changes, deletions), gets a bounded number of generated requests
signed in as admin; the lead routes run once more signed in as an auditor of one district.
Each backend gets its own freshly populated app, so what the run creates or deletes never
reaches the other API tests. Path parameters are drawn both at random and from the ids that
exist (the package, the evaluation, tenures, leads of both districts, collections), so the
200 answers are checked too, not only the 404s. Deletions run last so they cannot empty the
app under the other operations.

Checked: no 5xx and every answer as documented (status code, content type, headers, body
schema). Not checked: whether schema-valid input is accepted (a syntactically valid but
meaningless value, e.g. ``bbox=5,5,1,1`` or the date 2023-02-30, rightly gets 422/400).
(schemathesis' lazy ``from_fixture`` loader does not work with this pytest version, so the
operations are walked with its Python API.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import OTHER, OWN, PASSWORD, Api, populated_api
from tests.api.test_packages import zip_folder
from tests.databases import BACKENDS

EXAMPLES = 12
# no 5xx, and every answer as documented (status, content type, headers, body schema)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
LEAD_ROUTES = re.compile(r" /(api/leads|api/exports|api/rectification|ogc/collections|tiles/leads)")


@pytest.fixture(params=BACKENDS)
def fresh_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A populated app of its own (the run writes and deletes)."""
    with populated_api(request.param, tmp_path_factory) as state:
        yield state


def known_ids(api: Api) -> dict[str, list[str]]:
    """Path parameter name -> ids that exist in ``api``."""
    leads = [x["id"] for d in (OWN, OTHER) for x in api.leads(d)[:2]]
    tenures = [t["id"] for t in api.get("/api/tenures").json()]
    collections = [c["id"] for c in api.get("/ogc/collections").json()["collections"]]
    return {
        "lead_id": leads,
        "feature_id": [*leads, OWN, "0", "3"],
        "evaluation_id": [api.evaluation_id],
        "tenure_id": tenures,
        "package_id": [api.package_id],
        "collection_id": collections,
        "layer": [c for c in collections if c.startswith(("landuse-", "zones-"))],
        "code": [OWN, OTHER],
        "name": ["viewer", "auditor2"],  # never the admin the run signs in as
        "system_id": ["tianjin-2025"],
        "key": ["pbf_occupation"],
        "z": ["14"],
        "x": ["13710"],
        "y": ["6290"],
    }


def strategy(operation: Any, ids: dict[str, list[str]]) -> Any:
    """Random cases, and cases whose path parameters name things that exist."""
    names = [p.name for p in operation.path_parameters]
    real = [n for n in names if ids.get(n)]
    options = [operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)]
    if real:
        fixed = st.fixed_dictionaries({n: st.sampled_from(ids[n]) for n in real})
        headers = {"If-Match": "*"} if operation.path.endswith("/state") else None
        options.append(
            fixed.flatmap(
                lambda values: operation.as_strategy(path_parameters=values, headers=headers)
            )
        )
    return st.one_of(options)


def write_cases(api: Api) -> dict[str, tuple[Any, set[int]]]:
    """Valid requests of the writing operations (random ones rarely get past validation):
    label -> (call arguments, the statuses it may answer)."""
    system = api.get("/api/indicator-systems/tianjin-2025/yaml").text
    custom = system.replace("tianjin-2025", "custom-2025", 1).encode("utf-8")
    tenure = api.get("/api/tenures").json()[0]
    lead = api.leads(OWN)[0]
    tenure_body = {k: tenure[k] for k in ("district_code", "official", "position", "start", "end")}
    return {
        "POST /api/token": (
            {
                "body": {"username": "viewer", "password": PASSWORD},
                "media_type": "application/x-www-form-urlencoded",
            },
            {200},
        ),
        "POST /api/users": (
            {"body": {"name": "新用户", "password": "x-1", "role": "auditor", "districts": [OWN]}},
            {201},
        ),
        "PATCH /api/users/{name}": (
            {"path_parameters": {"name": "reviewer"}, "body": {"districts": [OTHER]}},
            {200},
        ),
        "POST /api/tenures": ({"body": {**tenure_body, "id": "schema-run-tenure"}}, {201}),
        "PUT /api/tenures/{tenure_id}": (
            {"path_parameters": {"tenure_id": tenure["id"]}, "body": tenure_body},
            {200},
        ),
        "POST /api/packages": (
            {
                "body": {"file": zip_folder(api.package_root)},
                "media_type": "multipart/form-data",
            },
            {201},
        ),
        "POST /api/packages/register": ({"body": {"path": str(api.package_root)}}, {201}),
        "POST /api/indicator-systems": (
            {"body": {"file": custom}, "media_type": "multipart/form-data"},
            {201},
        ),
        "POST /api/evaluations": (
            {"body": {"package_id": api.package_id, "reports": False, "lead_sheets": False}},
            {202},
        ),
        "POST /api/leads/{lead_id}/state": (
            {
                "path_parameters": {"lead_id": lead["id"]},
                "headers": {"If-Match": '"999"'},
                "body": {"to": "verifying"},
            },
            {412},
        ),
        "POST /api/leads/{lead_id}/notes": (
            {"path_parameters": {"lead_id": lead["id"]}, "body": {"note": "实地核查：已拍照"}},
            {201},
        ),
    }


def run_write_cases(api: Api, schema: Any) -> None:
    """The valid writes, checked like the generated cases, plus their expected status."""
    headers = api.as_("admin")
    for label, (kwargs, statuses) in write_cases(api).items():
        method, path = label.split(" ", 1)
        case = schema[path][method].Case(**kwargs)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code in statuses, (label, response.status_code, response.text)
    # a lead state change with the right ETag, then the same ETag again (now stale), then none
    lead = api.leads(OTHER)[0]
    etag = api.get(f"/api/leads/{lead['id']}").headers["ETag"]
    operation = schema["/api/leads/{lead_id}/state"]["POST"]
    for if_match, status in ((etag, 200), (etag, 412), (None, 428)):
        case = operation.Case(
            path_parameters={"lead_id": lead["id"]},
            headers={"If-Match": if_match} if if_match else {},
            body={"to": "verifying"},
        )
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == status, (if_match, response.text)


def run(api: Api, user: str, only: re.Pattern[str] | None = None) -> list[str]:
    """Every operation (``only``: those matching), signed in as ``user``; the labels run."""
    headers = api.as_(user)
    ids = known_ids(api)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    if only is None:
        run_write_cases(api, schema)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    checked = []
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        if only is not None and not only.search(label):
            continue

        @given(case=strategy(operation, ids))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
        checked.append(label)
    return checked


@pytest.mark.slow
def test_api_schema(fresh_api):
    checked = run(fresh_api, "admin")
    methods = {label.split()[0] for label in checked}
    assert methods == {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert len(checked) > 45
    assert run(fresh_api, "auditor", LEAD_ROUTES)
