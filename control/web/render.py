"""Template rendering shared by every page: locale, the acting user, CSRF token, flash messages."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from control.web.i18n import pick_locale, translations

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(gettext=lambda s: s, ngettext=lambda s, p, n: s if n == 1 else p,
                                        newstyle=True)


def wants_html(request: Request) -> bool:
    """A browser page request (not the API, not an htmx fragment asking for JSON)."""
    if request.url.path.startswith("/api/") or request.url.path == "/metrics":
        return False
    return "text/html" in request.headers.get("accept", "")


def request_locale(request: Request) -> str:
    actor = getattr(request.state, "actor", None)
    return pick_locale(request.cookies.get("lang"), request.headers.get("accept-language"),
                       getattr(actor, "locale", None), request.app.state.settings.default_locale)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    locale = request_locale(request)
    trans = translations(locale)
    ctx = {"request": request, "locale": locale, "actor": getattr(request.state, "actor", None),
           "csrf_token": csrf_token(request), "_": trans.gettext, "gettext": trans.gettext,
           "flash": request.session.pop("flash", None)}
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=headers)


def render_error_page(request: Request, exc) -> HTMLResponse:  # noqa: ANN001
    if exc.status == 401:
        from fastapi.responses import RedirectResponse
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, "error.html", {"error": exc}, status_code=exc.status)
