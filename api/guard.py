"""The first thing every request meets (pure ASGI, before routing, body parsing and authentication):

- a request without any credential to a protected path gets 401 before its body is read;
- a body larger than `MATCHER_MAX_REQUEST_BYTES` gets 413 as soon as it is known: at once from Content-Length,
  else after counting the streamed (chunked) bytes up to the limit — never after reading the rest;
- a NUL character in the path or the query string gets 422: no text stores or searches it (PostgreSQL refuses
  it outright), and bodies have theirs removed by the input cleaning (`records.CleanInput`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request

from api import problems

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
PUBLIC = ("/", "/health", "/health/live", "/health/ready", "/version", "/docs", "/docs/oauth2-redirect", "/redoc",
          "/openapi.json", "/favicon.ico")  # fmt: skip


def is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith(("/static/", "/docs-assets/"))


def has_credentials(scope: Scope) -> bool:
    names = {name.lower() for name, _ in scope.get("headers", [])}
    return b"x-api-key" in names or b"authorization" in names


def has_nul(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


def content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None


class Guard:
    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not is_public(scope["path"]) and not has_credentials(scope):
            await self._refuse(scope, send, 401, "未登录或密钥无效", "请先登录：需要访问密钥（X-API-Key 或 Bearer）")
            return
        if has_nul(scope):
            await self._refuse(scope, send, 422, "输入有误", "地址中含有空字符（NUL）")
            return
        length = content_length(scope)
        if length is not None and length > self.limit:
            await self._refuse(scope, send, 413, "上传内容过大", f"请求内容超过 {self.limit / 1e6:.0f} MB 的上限")
            return
        body = await self._read(receive)
        if body is None:
            await self._refuse(scope, send, 413, "上传内容过大", f"请求内容超过 {self.limit / 1e6:.0f} MB 的上限")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it exceeds the limit (the rest is never read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, send: Send, status: int, title: str, detail: str) -> None:
        response = problems.problem(status, title, detail, Request(scope), headers={"Connection": "close"})
        await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
