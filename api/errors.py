"""Errors as RFC 7807 ``application/problem+json`` answers, from ONE status table.

Every answer has ``type``, ``title``, ``status``, ``detail`` (Chinese, says what to do) and
``code`` (stable, the error class's ``code``). No traceback, server path or SQL is ever sent:
unexpected errors are logged and answered with a generic message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gisaudit.errors import (
    AnalysisError,
    ConfigError,
    GisAuditError,
    InputError,
    LayerReadError,
    NotFoundError,
    PackageError,
    StaleUpdateError,
    StorageError,
    UnknownClassCodeError,
    WorkflowError,
)

log = logging.getLogger("gisaudit.api")
PROBLEM_JSON = "application/problem+json"


class AuthenticationError(GisAuditError):
    """No valid sign-in (missing, wrong or expired token or password)."""

    code = "not_authenticated"


class PermissionDeniedError(GisAuditError):
    """Signed in, but the role does not allow this."""

    code = "forbidden"


class PreconditionRequiredError(GisAuditError):
    """A write that needs ``If-Match`` came without it."""

    code = "precondition_required"


class PayloadTooLargeError(InputError):
    """An upload (or its unpacked content) is larger than the limit."""

    code = "payload_too_large"


class UnsafeArchiveError(InputError):
    """An uploaded zip has unsafe entries (``../``, absolute paths, links) or looks like a bomb."""

    code = "unsafe_archive"


# THE table: error type -> (HTTP status, title). The most specific class in an error's MRO wins.
STATUS_CODES: dict[type[BaseException], tuple[int, str]] = {
    AuthenticationError: (401, "需要登录"),
    PermissionDeniedError: (403, "没有权限"),
    NotFoundError: (404, "未找到"),
    WorkflowError: (409, "疑点状态不能这样变更"),
    StaleUpdateError: (412, "数据已被他人修改"),
    PayloadTooLargeError: (413, "上传内容过大"),
    PackageError: (422, "数据包校验未通过"),
    LayerReadError: (422, "图层无法读取"),
    UnknownClassCodeError: (422, "地类编码未知"),
    ConfigError: (422, "配置文件有误"),
    UnsafeArchiveError: (422, "压缩包不安全"),
    InputError: (422, "输入有误"),
    PreconditionRequiredError: (428, "缺少 If-Match 请求头"),
    AnalysisError: (500, "分析失败"),
    StorageError: (503, "数据库暂时不可用"),
    GisAuditError: (500, "服务器内部错误"),
}
HTTP_TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "未找到",
    405: "不支持该请求方法",
    406: "无法提供所要求的格式",
    413: "上传内容过大",
    415: "不支持的内容类型",
    422: "输入有误",
}
HTTP_DETAILS = {
    404: "没有这个地址。请检查网址，接口列表见 /docs。",
    405: "该地址不支持这种请求方法。接口列表见 /docs。",
}
STORAGE_DETAIL = "数据库暂时无法读写，请稍后重试；如果一直出现，请联系管理员检查数据库。"
INTERNAL_DETAIL = "服务器遇到意外问题，操作未完成。请稍后重试；如果一直出现，请联系技术支持。"


def status_for(exc: BaseException) -> tuple[int, str]:
    """HTTP status and title of an error, from ``STATUS_CODES``."""
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500, "服务器内部错误"


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An ``application/problem+json`` response."""
    body = {
        "type": f"urn:gisaudit:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _scrub(request: Request, text: str) -> str:
    """Remove the server's own folders from a message (paths are never sent)."""
    for folder in getattr(request.app.state, "private_paths", ()):
        text = text.replace(str(folder), "…")
    return text


async def _gisaudit_error(request: Request, exc: Exception) -> JSONResponse:
    status, title = status_for(exc)
    code = getattr(exc, "code", "gisaudit_error")
    extra: dict[str, Any] = {}
    headers = None
    if isinstance(exc, StorageError):
        log.error("storage error on %s: %s", request.url.path, exc)
        detail = STORAGE_DETAIL
    elif status >= 500:
        log.error("error on %s: %s", request.url.path, exc, exc_info=exc)
        detail = _scrub(request, str(exc)) if isinstance(exc, AnalysisError) else INTERNAL_DETAIL
    else:
        detail = _scrub(request, str(exc))
    if isinstance(exc, PackageError):
        extra["problems"] = [
            {
                "file": p.file,
                "layer": p.layer,
                "feature": p.feature,
                "message": p.message,
                "action": p.action,
            }
            for p in exc.problems
        ]
        detail = (
            f"数据包校验未通过，共 {len(exc.problems)} 个问题，见 problems。逐条处理后重新上传。"
        )
    if isinstance(exc, AuthenticationError):
        headers = {"WWW-Authenticate": 'Bearer realm="gisaudit"'}
    return problem(status, title, detail, code, headers, **extra)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = HTTP_DETAILS.get(status) or (
        exc.detail if isinstance(exc.detail, str) else HTTP_TITLES.get(status, "请求有误")
    )
    return problem(
        status,
        HTTP_TITLES.get(status, "请求有误"),
        detail,
        f"http_{status}",
        headers=getattr(exc, "headers", None),
    )


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "请求"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field(e.get("loc", ())),
            "where": str((e.get("loc") or ["?"])[0]),
            "message": str(e.get("msg", "")),
        }
        for e in exc.errors()
    ]
    fields = "、".join(dict.fromkeys(e["field"] for e in errors)) or "请求"
    detail = f"请求参数不正确：{fields}。请按接口说明（/docs）修改后重试。"
    return problem(422, "输入有误", detail, "validation_failed", errors=errors)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return problem(500, "服务器内部错误", INTERNAL_DETAIL, "internal_error")


def add_exception_handlers(app: FastAPI) -> None:
    """Install the problem+json handlers on ``app``."""
    app.add_exception_handler(GisAuditError, _gisaudit_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
