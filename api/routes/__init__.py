"""Routers of the API; ``problems`` documents the problem+json answers of a route."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.errors import PROBLEM_JSON, STATUS_CODES
from api.schemas import Link, Problem

_TITLES = dict(STATUS_CODES.values())
_TITLES.update({400: "请求参数有误", 422: "输入有误", 404: "未找到"})


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses (problem+json bodies)."""
    return {
        status: {
            "description": _TITLES.get(status, "错误"),
            "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
        }
        for status in statuses
    }


def link(
    request: Request,
    path: str,
    rel: str,
    type_: str | None = None,
    title: str | None = None,
    **query: Any,
) -> Link:
    """An absolute link to ``path`` on this server."""
    url = str(request.base_url).rstrip("/") + path
    params = [(k, v) for k, v in query.items() if v is not None]
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params, doseq=True)
    return Link(href=url, rel=rel, type=type_, title=title)
