"""Property-based run of the OpenAPI schema (schemathesis): no 5xx, answers match the schema.

Every operation gets a bounded number of generated requests (signed in as admin) so the run
finishes in a couple of minutes. Routes that create things (packages, users, evaluations,
indicator systems, tenures) are left out: their inputs are files and server folders.
Checked: no 5xx and answers as documented. Not checked: whether schema-valid input is
accepted (a syntactically valid but meaningless value, e.g. ``bbox=5,5,1,1`` or the date
2023-02-30, rightly gets 422) and whether public routes demand a sign-in (they accept an
optional one by design). (schemathesis' lazy ``from_fixture`` loader does not work with this
pytest version, so the
operations are walked with its Python API.)
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import PASSWORD

SKIP = re.compile(
    r"^POST /api/(evaluations|packages|indicator-systems|users|tenures)|^PUT |^PATCH |^DELETE "
)
EXAMPLES = 25
# no 5xx, and every answer as documented (status, content type, headers, body schema)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.slow
def test_api_schema(api):
    if api.backend != "sqlite":
        pytest.skip("the schema run uses the SQLite app only")
    token = api.client.post("/api/token", data={"username": "admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if SKIP.match(label):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
        checked.append(label)
    assert len(checked) > 30
