"""Request bodies of bounded size. A body announced larger than its route's limit is refused before a
byte of it is read; a chunked body, or one longer than its Content-Length said, is counted as it
arrives and refused the moment it passes the limit, so no handler or parser ever holds more.
Upload routes (imports, attachments) get a larger limit than ordinary JSON and form bodies."""
from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from control.core.errors import ServiceError, problem_response


class PayloadTooLarge(ServiceError):
    status, code, title = 413, "payload_too_large", "请求内容过大"


def size_text(n: int) -> str:
    """A byte count as a person reads it: 10 MB, 256 KB."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            return f"{round(n / factor, 1):g} {unit}"
    return f"{n} 字节"


def too_large(limit: int, what: str = "请求内容") -> PayloadTooLarge:
    return PayloadTooLarge(f"{what}超过 {size_text(limit)} 的上限，未予处理", code="payload_too_large")


class BodyLimit:
    """ASGI middleware: `limit` bytes for every body, `upload_limit` for paths matching `upload_paths`."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int, upload_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.limit, self.upload_limit = limit, upload_limit
        self.upload_paths = re.compile("|".join(f"(?:{p})" for p in upload_paths) or r"(?!)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if self.upload_paths.fullmatch(scope["path"]) else self.limit
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
