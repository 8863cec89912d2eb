"""create_app(): one process serving the API, the web pages and /metrics."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from control.core import audit
from control.core.auth import TokenSigner
from control.core.calendar import CalendarProvider
from control.core.db import make_engine
from control.core.errors import install_handlers
from control.core.policy import load_policy
from control.scheduled import start_scheduler
from control.settings import Settings, get_settings
from control.web.render import STATIC_DIR


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Start the periodic jobs with the service (unless turned off) and stop them with it."""
    scheduler = start_scheduler(app) if app.state.settings.scheduler_enabled else None
    yield
    if scheduler is not None:
        scheduler.shutdown(wait=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="云长 yunzhang", version="0.1.0", lifespan=lifespan,
                  description="政务信息中心管控平台：信息系统清单、僵尸系统识别、专网迁移、云资源申请")
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    audit.use_key(app.state.engine, settings.resolved_audit_key())
    secret = settings.resolved_secret_key()
    app.state.tokens = TokenSigner(secret, settings.token_ttl_seconds)
    app.state.policy = load_policy(settings.policy_file or None)
    app.state.calendars = CalendarProvider(app.state.policy.calendar_arrangements())

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = audit.current_request_id.set(rid[:64])
        try:
            response = await call_next(request)
        finally:
            audit.current_request_id.reset(token)
        response.headers["X-Request-ID"] = rid[:64]
        return response

    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="yunzhang_session",
                       max_age=settings.session_ttl_seconds, same_site="lax", https_only=settings.cookie_secure)
    install_handlers(app)

    from control.cloud import api as cloud_api
    from control.cloud import pages as cloud_pages
    from control.core import audit_api, calendar_api
    from control.observability import router as metrics_router
    from control.org import api as org_api
    from control.org import pages as org_pages
    from control.systems import api as systems_api
    from control.systems import pages as systems_pages
    from control.web import audit_pages
    from control.web import pages as web_pages
    from control.zombies import api as zombies_api
    from control.zombies import pages as zombies_pages

    for router in (org_api.router, systems_api.router, cloud_api.router, calendar_api.router, zombies_api.router,
                   audit_api.router, metrics_router, web_pages.router, audit_pages.router, org_pages.router,
                   systems_pages.router, cloud_pages.router, zombies_pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"status": "ok"}

    return app
