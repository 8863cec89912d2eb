"""Request bodies of bounded size. A body announced larger than its route's limit is refused before a
byte of it is read; a chunked body, or one longer than its Content-Length said, is counted as it
arrives and refused the moment it passes the limit, so no handler or parser ever holds more.
Routes that take files (imports, attachments) get their own limits, larger than that of ordinary JSON and
form bodies."""
from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from control.core.errors import PayloadTooLarge, ServiceError, problem_response


def size_text(n: int) -> str:
    """A byte count as a person reads it: 10 MB, 256 KB."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            return f"{round(n / factor, 1):g} {unit}"
    return f"{n} 字节"


def too_large(limit: int, what: str = "请求内容") -> PayloadTooLarge:
    return PayloadTooLarge(f"{what}超过 {size_text(limit)} 的上限，未予处理", code="payload_too_large")


class BodyLimit:
    """ASGI middleware: `limit` bytes for a body, or the limit of the first (path regex, limit) of `routes`
    whose regex matches the whole path."""

    def __init__(self, app: ASGIApp, limit: int, routes: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.limit = limit
        self.routes = [(re.compile(pattern), n) for pattern, n in routes]

    def limit_for(self, path: str) -> int:
        return next((n for pattern, n in self.routes if pattern.fullmatch(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        received, exceeded, started, replaced = 0, False, False, False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise too_large(limit)
            return message

        async def guarded_send(message: Message) -> None:
            # Once the body ran over, the route's own answer (a parser's 400, say) is replaced by the 413,
            # unless the route already answered 413 itself (a page renders it as an error page).
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
                if exceeded and message["status"] != 413:
                    replaced = True
                    await _refuse(scope, receive, send, limit)
                    return
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
            await _refuse(scope, receive, send, limit)


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def bad_form() -> ServiceError:
    return ServiceError("表单无法读取：字段或文件过多、单项内容过大，或格式不正确", code="bad_form")


async def form_refused(request: Request, exc: HTTPException):
    """Exception handler: Starlette refuses a form past its limits (fields, files, size of a field) with an
    English 400; it is answered like every other problem. Other HTTP errors keep FastAPI's answer."""
    if exc.status_code == 400 and request.headers.get("content-type", "").startswith(FORM_TYPES):
        return problem_response(bad_form())
    return await http_exception_handler(request, exc)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    # The client may still be sending: close the connection rather than read the rest of it.
    response = problem_response(too_large(limit))
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
