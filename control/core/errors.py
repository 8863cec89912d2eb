"""One error hierarchy, rendered as RFC 9457 problem+json with zh-CN messages and English codes."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from control.core.dialect import statement_timed_out
from control.core.labels import entity_for_path
from control.core.messages import zh_error, zh_message


class ServiceError(Exception):
    status = 400
    code = "bad_request"
    title = "请求有误"

    def __init__(self, detail: str, *, code: str | None = None, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors or []
        self.headers = headers

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://yunzhang.invalid/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


class NotAuthenticated(ServiceError):
    status, code, title = 401, "not_authenticated", "未登录"


class Forbidden(ServiceError):
    status, code, title = 403, "forbidden", "无权操作"


class NotFound(ServiceError):
    status, code, title = 404, "not_found", "未找到"


class Conflict(ServiceError):
    """An illegal state transition or a uniqueness clash: the reason is in `detail`."""
    status, code, title = 409, "conflict", "状态冲突"


class ValidationFailed(ServiceError):
    status, code, title = 422, "validation_failed", "数据校验未通过"


class PayloadTooLarge(ServiceError):
    """An upload past a size limit: `detail` names the limit."""
    status, code, title = 413, "too_large", "内容过大"


class TooManyRequests(ServiceError):
    status, code, title = 429, "too_many_requests", "请求过于频繁"


class Unavailable(ServiceError):
    """The database could not serve the request in time (no free connection, a statement past the timeout):
    the client may try again after Retry-After."""
    status, code, title = 503, "database_busy", "服务繁忙"


RETRY_AFTER_SECONDS = "5"


def problem_response(exc: ServiceError) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(exc.problem(), status_code=exc.status, media_type="application/problem+json",
                        headers=headers)


def install_handlers(app: FastAPI) -> None:
    """problem+json for every error; the web layer replaces the ServiceError handler to answer pages
    with pages (control/web/render.py), so core knows nothing of templates."""
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")),
             "message": zh_message(e), "code": e.get("type", "invalid")}
            for e in exc.errors()
        ]
        # Through whichever ServiceError handler the app has: a page's bad query string (?month=13) gets the
        # web layer's error page, the API problem+json.
        handler = request.app.exception_handlers.get(ServiceError, _service_error)
        entity = entity_for_path(request.url.path)
        detail = "请求参数不符合要求：" + "；".join(dict.fromkeys(zh_error(e, entity_type=entity)
                                                               for e in exc.errors()[:5]))
        return await handler(request, ValidationFailed(detail, errors=errors))

    @app.exception_handler(sa_exc.TimeoutError)
    async def _pool_exhausted(request: Request, exc: sa_exc.TimeoutError):
        handler = request.app.exception_handlers.get(ServiceError, _service_error)
        return await handler(request, Unavailable("数据库连接已全部占用，请稍后重试（YUNZHANG_DB_POOL_SIZE）",
                                                  headers={"Retry-After": RETRY_AFTER_SECONDS}))

    @app.exception_handler(sa_exc.OperationalError)
    async def _statement_timeout(request: Request, exc: sa_exc.OperationalError):
        if not statement_timed_out(exc):
            raise exc  # any other database failure stays a 500, logged with its traceback
        handler = request.app.exception_handlers.get(ServiceError, _service_error)
        return await handler(request, Unavailable("数据库查询超时，请稍后重试（YUNZHANG_DB_STATEMENT_TIMEOUT_SECONDS）",
                                                  headers={"Retry-After": RETRY_AFTER_SECONDS}))
