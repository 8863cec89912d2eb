"""Template rendering shared by every page: locale, the acting user, CSRF token, flash messages."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from control.core.errors import Forbidden
from control.web.i18n import pick_locale, translations

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(gettext=lambda s: s, ngettext=lambda s, p, n: s if n == 1 else p,
                                        newstyle=True)


def wants_html(request: Request) -> bool:
    """Everything outside /api and /metrics is a page: errors render as pages, 401 goes to the login."""
    return not (request.url.path.startswith("/api/") or request.url.path == "/metrics")


def request_locale(request: Request) -> str:
    actor = getattr(request.state, "actor", None)
    return pick_locale(request.cookies.get("lang"), getattr(actor, "locale", None),
                       request.app.state.settings.default_locale)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, form_token: str | None) -> None:
    """Every form POST carries the session's token (hidden field or htmx header)."""
    expected = request.session.get("csrf")
    given = form_token or request.headers.get("x-csrf-token")
    if not expected or not given or not secrets.compare_digest(expected, given):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试", code="csrf")


async def form_data(request: Request) -> dict[str, Any]:
    """The posted form after the CSRF check; repeated keys (checkboxes) become lists."""
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    out: dict[str, Any] = {}
    for key in form.keys():
        values = form.getlist(key)
        out[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return out


NAV = [  # (path, zh-CN label, roles that see it; None: everyone)
    ("/", "首页", None),
    ("/systems", "信息系统清单", None),
    ("/systems/import", "导入普查表", ("admin", "infocenter", "department")),
    ("/departments", "部门", None),
    ("/cloud", "云资源申请", None),
    ("/cloud/capacity", "容量与配额", ("admin", "infocenter", "bureau", "auditor")),
    ("/calendar", "工作日日历", None),
    ("/zombies", "僵尸系统", None),
    ("/audit", "审计日志", ("admin", "auditor")),
    ("/users", "用户", ("admin",)),
]


def nav_for(actor) -> list[tuple[str, str]]:  # noqa: ANN001
    if actor is None:
        return []
    return [(path, label) for path, label, roles in NAV if roles is None or actor.role.value in roles]


def enum_label(value: Any, locale: str) -> str:
    """The label of an enum member in the locale; plain values pass through."""
    return value.label(locale) if hasattr(value, "label") else ("" if value is None else str(value))


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    locale = request_locale(request)
    trans = translations(locale)
    actor = getattr(request.state, "actor", None)
    ctx = {"request": request, "locale": locale, "actor": actor, "nav": nav_for(actor),
           "csrf_token": csrf_token(request), "_": trans.gettext, "gettext": trans.gettext,
           "label": lambda value: enum_label(value, locale), "flash": request.session.pop("flash", None)}
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=headers)


def render_error_page(request: Request, exc) -> HTMLResponse:  # noqa: ANN001
    if exc.status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, "error.html", {"error": exc}, status_code=exc.status)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)
