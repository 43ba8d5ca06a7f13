"""The OpenAPI document, completed with the answers every route of a kind can give.

Routes list their own error answers (``api.routes.problems``); what the framework answers on
its own is added here so the document holds every status a client can get: 400 for a request
body that cannot be parsed at all, 422 as ``application/problem+json`` (FastAPI would document
its own ``HTTPValidationError`` JSON, which this API never sends), and under ``/ogc`` 400
instead of 422 for invalid parameters (OGC API - Features Part 1).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import OGC_PREFIX, PROBLEM_JSON
from api.schemas import Problem

METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM_REF = "#/components/schemas/Problem"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }


def complete_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """Add the framework's own answers to every operation of ``document`` (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", Problem.model_json_schema(ref_template=PROBLEM_REF))
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", _problem("请求内容无法解析"))
            if path == OGC_PREFIX or path.startswith(OGC_PREFIX + "/"):
                if responses.pop("422", None) is not None:  # OGC: invalid parameters are 400
                    responses.setdefault("400", _problem("请求参数有误"))
            elif "422" in responses:
                responses["422"]["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_openapi(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
