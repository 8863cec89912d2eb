"""create_app(): one process serving the API, the web pages and /metrics."""
from __future__ import annotations

import gc
import re
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from control.automation.kinds import start_workers
from control.core import audit, dialect
from control.core.auth import LoginThrottle, TokenSigner
from control.core.bodylimit import BodyLimit, form_refused
from control.core.calendar import CalendarProvider
from control.core.db import make_engine
from control.core.errors import install_handlers
from control.core.policy import load_policy
from control.scheduled import start_scheduler
from control.settings import Settings, get_settings
from control.web.render import STATIC_DIR, install_error_pages, templates
from control.wiring import install as install_wiring

# A client's X-Request-ID is kept (audit log, response) only when it looks like an id.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The pages load scripts and styles from /static only; style="" attributes remain in the templates, so
# inline styles are allowed, inline scripts and eval are not (app.js holds what used to be inline).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# The OpenAPI pages (control/web/docs.py) load Swagger UI / ReDoc from this service too; they add data: images
# (Swagger UI's icons) and blob: workers (ReDoc's search) to the pages' policy, and still name no other host.
DOCS_PATHS = ("/docs", "/redoc")
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

# Routes whose bodies may exceed YUNZHANG_MAX_BODY_BYTES: attachments (their own limit, plus room for the
# multipart framing and fields beside the file), file imports (read as they are parsed) and the JSON samples
# push (parsed whole, so kept smaller).
ATTACHMENT_PATHS = (r"/api/v1/cloud-requests/\d+/attachments|/cloud/\d+/attachments"
                    r"|/api/v1/migration-plans/\d+/documents|/plans/\d+/documents")
UPLOAD_PATHS = (r"/api/v1/systems/import|/systems/import|/api/v1/metrics/import"
                r"|/api/v1/migration-plans/import|/plans/import")
FORM_MARGIN = 64 * 1024


def body_limits(settings: Settings) -> list[tuple[str, int]]:
    return [(ATTACHMENT_PATHS, settings.attachment_max_bytes + FORM_MARGIN), (UPLOAD_PATHS, settings.max_upload_bytes),
            ("/api/v1/metrics/samples", settings.metrics_push_max_bytes)]


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Start the periodic jobs with the service (unless turned off) and stop them with it; what start-up
    leaves alive is frozen out of the garbage collector's full collections (Settings.freeze_gc_at_start)."""
    dialect.report_text_search(app.state.engine)
    scheduler = start_scheduler(app) if app.state.settings.scheduler_enabled else None
    workers = start_workers(app.state.engine, app.state.settings.automation_workers)
    if app.state.settings.freeze_gc_at_start:
        gc.collect()
        gc.freeze()
    yield
    if app.state.settings.freeze_gc_at_start:
        gc.unfreeze()
    if workers is not None:
        workers.stop()
    if scheduler is not None:
        scheduler.shutdown(wait=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="云长 yunzhang", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  form_limits={"max_fields": settings.form_max_fields, "max_files": settings.form_max_files,
                               "max_part_size": settings.form_max_part_bytes},
                  description="政务信息中心管控平台：信息系统清单、僵尸系统识别、专网迁移、云资源申请")
    app.state.settings = settings
    install_wiring()
    app.state.engine = make_engine(settings.database_url, settings.pool_options())
    audit.use_key(app.state.engine, settings.resolved_audit_key())
    secret = settings.resolved_secret_key()
    app.state.tokens = TokenSigner(secret, settings.token_ttl_seconds)
    app.state.login_throttle = LoginThrottle.from_settings(settings)
    app.state.policy = load_policy(settings.policy_file or None)
    app.state.calendars = CalendarProvider(app.state.policy.calendar_arrangements())
    security_headers = dict(SECURITY_HEADERS)
    if settings.cookie_secure:
        security_headers["Strict-Transport-Security"] = f"max-age={settings.hsts_seconds}"

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, routes=body_limits(settings))
    app.add_exception_handler(StarletteHTTPException, form_refused)

    @app.middleware("http")
    async def request_id_and_headers(request: Request, call_next):
        rid = request.headers.get("x-request-id", "")
        if not REQUEST_ID.fullmatch(rid):
            rid = uuid.uuid4().hex  # absent, too long or odd characters: never stored nor echoed
        token = audit.current_request_id.set(rid)
        try:
            response = await call_next(request)
        finally:
            audit.current_request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        response.headers.update(security_headers)
        if request.url.path in DOCS_PATHS:
            response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="yunzhang_session",
                       max_age=settings.session_ttl_seconds, same_site="lax", https_only=settings.cookie_secure)
    # Outermost: the client address every later part sees (login throttle, sessions) is the peer's own
    # unless the peer is a configured proxy.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    install_handlers(app)
    install_error_pages(app)

    from control.cloud import api as cloud_api
    from control.cloud import pages as cloud_pages
    from control.core import audit_api, calendar_api
    from control.migration import api as migration_api
    from control.migration import pages as migration_pages
    from control.navigation import NAV, TEMPLATE_GLOBALS, field_label, install_labels
    from control.networks import api as networks_api
    from control.networks import pages as networks_pages
    from control.observability import router as metrics_router
    from control.org import api as org_api
    from control.org import pages as org_pages
    from control.systems import api as systems_api
    from control.systems import pages as systems_pages
    from control.web import audit_pages, calendar_pages, docs
    from control.web import pages as web_pages
    from control.zombies import api as zombies_api
    from control.zombies import pages as zombies_pages

    install_labels()
    templates.env.globals.update(TEMPLATE_GLOBALS)
    app.state.nav, app.state.field_label = NAV, field_label
    for router in (org_api.router, systems_api.router, cloud_api.router, calendar_api.router, zombies_api.router,
                   networks_api.router, audit_api.router, metrics_router, web_pages.router, audit_pages.router,
                   org_pages.router, systems_pages.router, cloud_pages.router, calendar_pages.router,
                   zombies_pages.router, networks_pages.router, docs.router):
        app.include_router(router)
    app.include_router(migration_api.router)
    app.include_router(migration_pages.router)
    from control.devices import api as devices_api
    from control.devices import pages as devices_pages
    app.include_router(devices_api.router)
    app.include_router(devices_pages.router)
    from control.automation import api as automation_api
    from control.automation import pages as automation_pages
    app.include_router(automation_api.router)
    app.include_router(automation_api.templates_router)
    app.include_router(automation_api.changes_router)
    app.include_router(automation_pages.router)
    app.mount(docs.ASSETS_URL, docs.ASSETS, name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"status": "ok"}

    return app
