"""Errors as RFC 7807 ``application/problem+json`` answers, from ONE status table.

Every answer has ``type``, ``title``, ``status``, ``detail`` (Chinese, says what to do) and
``code`` (stable, the error class's ``code``). No traceback, server path or SQL is ever sent:
unexpected errors are logged and answered with a generic message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
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


class InvalidParameterError(InputError):
    """A query parameter whose value cannot be used (a malformed bbox or datetime)."""

    code = "invalid_parameter"


class UnstorableValueError(InputError):
    """A request value the database cannot hold or compare (e.g. a NUL character)."""

    code = "unstorable_value"


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
    InvalidParameterError: (422, "请求参数有误"),
    UnstorableValueError: (422, "输入有误"),
    InputError: (422, "输入有误"),
    PreconditionRequiredError: (428, "缺少 If-Match 请求头"),
    AnalysisError: (500, "分析失败"),
    StorageError: (503, "数据库暂时不可用"),
    GisAuditError: (500, "服务器内部错误"),
}
# OGC API - Features Part 1 (/req/core/query-param-invalid): under /ogc a parameter value the
# server cannot use (request validation, InvalidParameterError) is 400, where the rest of the
# API answers 422 (same body, same code).
OGC_PREFIX = "/ogc"
OGC_INVALID = (400, "请求参数有误")
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
    400: "请求内容无法解析（不是有效的 JSON、表单或文件上传）。请按接口说明（/docs）检查后重试。",
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


def scrub_paths(text: str, private: Iterable[str], named: Iterable[str] = ()) -> str:
    """``text`` without server folders: ``private`` ones become "…", ``named`` ones (package
    folders) "…/<folder name>" so the message still says which package. Longest first, so a
    folder inside another is replaced whole."""
    folders = {str(f): "…" for f in private if str(f) not in ("", "/", ".")}
    folders.update({str(f): f"…/{PurePath(str(f)).name}" for f in named if str(f)})
    for folder in sorted(folders, key=len, reverse=True):
        text = text.replace(folder, folders[folder])
    return text


def scrub_for(request: Request, text: str) -> str:
    """Remove the server's own folders and the packages' folders from a message."""
    private = getattr(request.app.state, "private_paths", ())
    services = getattr(request.app.state, "services", None)
    try:
        named = [r.path for r in services.packages.list()] if services is not None else []
    except OSError:
        named = []
    return scrub_paths(text, private, named)


def _is_ogc(request: Request) -> bool:
    path = request.url.path
    return path == OGC_PREFIX or path.startswith(OGC_PREFIX + "/")


UNSTORABLE_DETAIL = (
    "请求中的某个值无法在数据库中保存或查询（例如含有空字符 \\0，或数值超出范围）。"
    "请删除特殊字符后重试。"
)


async def _gisaudit_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, StorageError) and isinstance(exc.__cause__, DataError):
        # the database refused a value the client sent: the client's to fix, not a failure
        exc = UnstorableValueError(UNSTORABLE_DETAIL)
    status, title = status_for(exc)
    if isinstance(exc, InvalidParameterError | UnstorableValueError) and _is_ogc(request):
        status, title = OGC_INVALID
    code = getattr(exc, "code", "gisaudit_error")
    extra: dict[str, Any] = {}
    headers = None
    if isinstance(exc, StorageError):
        log.error("storage error on %s: %s", request.url.path, exc)
        detail = STORAGE_DETAIL
    elif status >= 500:
        log.error("error on %s: %s", request.url.path, exc, exc_info=exc)
        detail = scrub_for(request, str(exc)) if isinstance(exc, AnalysisError) else INTERNAL_DETAIL
    else:
        detail = scrub_for(request, str(exc))
    if isinstance(exc, PackageError):
        extra["problems"] = [
            {
                key: scrub_for(request, str(getattr(p, key)))
                for key in ("file", "layer", "feature", "message", "action")
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
    status, title = OGC_INVALID if _is_ogc(request) else (422, "输入有误")
    return problem(status, title, detail, "validation_failed", errors=errors)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return problem(500, "服务器内部错误", INTERNAL_DETAIL, "internal_error")


def add_exception_handlers(app: FastAPI) -> None:
    """Install the problem+json handlers on ``app``."""
    app.add_exception_handler(GisAuditError, _gisaudit_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
