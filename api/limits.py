"""A request-body size limit for upload routes (pure ASGI middleware).

A declared ``Content-Length`` over the limit is refused at once; a body that turns out larger
while it streams (chunked uploads) is cut off, and whatever the app would have answered is
replaced by the same 413 problem.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` on paths starting with one of ``prefixes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, prefixes: Sequence[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefixes = tuple(prefixes)

    async def _refuse(self, send: Send) -> None:
        limit_mb = self.max_bytes / 1024 / 1024
        body = json.dumps(
            {
                "type": "urn:gisaudit:problem:payload_too_large",
                "title": "上传内容过大",
                "status": 413,
                "code": "payload_too_large",
                "detail": f"上传内容超过 {limit_mb:.0f} MB 的上限。请删除不需要的文件后重新打包，"
                "或请管理员把数据包放到服务器上后登记该文件夹。",
            },
            ensure_ascii=False,
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        exceeded = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise ValueError("request body too large")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused
            if exceeded:
                if not refused:
                    refused = True
                    await self._refuse(send)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ValueError:
            if not exceeded:
                raise
            if not refused:
                await self._refuse(send)
