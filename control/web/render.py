"""Template rendering shared by every page: locale, the acting user, CSRF token, flash messages."""
from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NamedTuple
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from control.core import people
from control.core.bodylimit import bad_form
from control.core.clock import SHANGHAI
from control.core.deps import PASSWORD_CHANGE_REQUIRED
from control.core.errors import Forbidden, ServiceError, problem_response
from control.core.labels import entity_for_path
from control.core.messages import zh_message
from control.core.roles import Role
from control.web.i18n import pick_locale, translations

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(gettext=lambda s: s, ngettext=lambda s, p, n: s if n == 1 else p,
                                        newstyle=True)


def local_time(at, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp shown in Asia/Shanghai (SQLite hands back naive UTC)."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(SHANGHAI).strftime(fmt)


templates.env.filters["local_time"] = local_time


def plain_number(value):
    """Decimal money and years without trailing zeros: 480.0000 → 480, 2.50 → 2.5."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


templates.env.filters["plain_number"] = plain_number


def pager_query(request: Request, keep: Collection[str] | None = None, param: str = "offset") -> str:
    """The page's filters as a query string for its pager links: every non-empty parameter but `param`
    (the offset the pager moves), repeated ones kept (only those named in `keep` when given)."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items()
                      if k != param and v and (keep is None or k in keep)])


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


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


UPLOAD_FIELD = "file"


async def read_form(request: Request) -> FormData:
    """The posted form, parsed once (Starlette keeps it for the route) within the multipart limits of the
    settings: number of fields and files, size of one text field. The body itself is bounded by BodyLimit."""
    settings = request.app.state.settings
    try:
        form = await request.form(max_fields=settings.form_max_fields, max_files=settings.form_max_files,
                                  max_part_size=settings.form_max_part_bytes)
    except HTTPException as exc:                       # Starlette's answer to a form past them, in English
        raise bad_form() from exc
    # Pages read their text fields as str: a file sent in any field but the upload field `file` is refused
    # here rather than met by .strip() in a handler.
    if any(not isinstance(value, str) for key, value in form.multi_items() if key != UPLOAD_FIELD):
        raise bad_form()
    return form


async def csrf_protect(request: Request) -> None:
    """Router dependency of every page router: a POST must carry the session's token, as the
    csrf_token form field or the X-CSRF-Token header (htmx sends it from hx-headers on <body>)."""
    if request.method in SAFE_METHODS:
        return
    token = request.headers.get("x-csrf-token")
    if not token and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await read_form(request)
        token = form.get("csrf_token") if isinstance(form.get("csrf_token"), str) else None
    check_csrf(request, token)


async def posted_form(request: Request) -> FormData:
    """The posted form after the CSRF check, as Starlette gives it (getlist for multi-selects, files)."""
    form = await read_form(request)
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    return form


async def form_data(request: Request) -> dict[str, Any]:
    """The posted form after the CSRF check; repeated keys (checkboxes) become lists."""
    form = await posted_form(request)
    out: dict[str, Any] = {}
    for key in form:
        values = form.getlist(key)
        out[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return out


# Page handlers are plain `def` (run on a worker thread, as their services do database work) and take
# the form read on the event loop through these: `form: FormDep` (a dict) or `form: PostedForm`.
FormDep = Annotated[dict[str, Any], Depends(form_data)]
PostedForm = Annotated[FormData, Depends(posted_form)]


class NavEntry(NamedTuple):
    """One navigation link; the list itself is given by the app (control/navigation.py) as app.state.nav."""
    path: str
    label: str                          # zh-CN msgid, translated in base.html
    roles: tuple[Role, ...] | None      # who sees it; None: everyone signed in


def nav_for(nav: list[NavEntry], actor, current_path: str = "") -> list[dict[str, Any]]:
    """The entries this actor's role may see; the one whose path is the longest prefix of the
    current page is marked active (so /systems/import lights up 导入普查表, /systems/7 the list)."""
    if actor is None:
        return []
    entries = [e for e in nav if e.roles is None or actor.role in e.roles]

    def matches(path: str) -> bool:
        return current_path == path or (path != "/" and current_path.startswith(path + "/"))
    active = max((e.path for e in entries if matches(e.path)), key=len, default=None)
    return [{"path": e.path, "label": e.label, "active": e.path == active} for e in entries]


def enum_label(value: Any, locale: str) -> str:
    """The label of an enum member in the locale; plain values pass through."""
    return value.label(locale) if hasattr(value, "label") else ("" if value is None else str(value))


def person_label(person, locale: str) -> str:
    """“姓名（部门）”, or “姓名（角色）” for a user outside any department."""
    where = person.department or person.role.label(locale)
    return f"{person.name} ({where})" if locale == "en" else f"{person.name}（{where}）"


def _person(request: Request, locale: str) -> Callable[[str | None], str]:
    """The template's person(username): the users are read once per request, at the first name shown.
    A name that is no user's (system, cli:…, demo-loader) is shown as recorded."""
    def show(username: str | None) -> str:
        if not username:
            return ""
        found = getattr(request.state, "people", None)
        if found is None:
            with Session(request.app.state.engine) as session:
                found = request.state.people = people.directory(session)
        return person_label(found[username], locale) if username in found else username
    return show


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    locale = request_locale(request)
    trans = translations(locale)
    actor = getattr(request.state, "actor", None)
    site = request.app.state
    ctx = {"request": request, "locale": locale, "actor": actor, "nav": nav_for(site.nav, actor, request.url.path),
           "csrf_token": csrf_token(request), "_": trans.gettext, "gettext": trans.gettext,
           "label": lambda value: enum_label(value, locale),
           "field_label": lambda name, entity_type=None: site.field_label(
               name, locale, entity_type or entity_for_path(request.url.path)),
           "person": _person(request, locale),
           "flash": _flash_text(request, locale, trans.gettext)}
    ctx.update(context or {})
    # A page URL answers a whole page or, to htmx, a fragment: the browser must not keep either for the
    # other (the back button used to show a bare table), nor keep signed-in pages at all.
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store", **(headers or {})}
    return templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=headers)


def render_error_page(request: Request, exc) -> HTMLResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if exc.status == 401:
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    if exc.code == PASSWORD_CHANGE_REQUIRED:     # a temporary password: every page leads to changing it
        return RedirectResponse(f"/me/password?next={quote(target, safe='/')}", status_code=303)
    return render(request, "error.html", {"error": exc}, status_code=exc.status)


def install_error_pages(app: FastAPI) -> None:
    """Replace core's problem+json handler: a page answers an error with a page (401 with the login),
    the API and /metrics keep problem+json."""
    @app.exception_handler(ServiceError)
    async def _page_or_problem(request: Request, exc: ServiceError):
        return render_error_page(request, exc) if wants_html(request) else problem_response(exc)


def flash(request: Request, message: str, **params: Any) -> None:
    """A notice for the next page. `message` is a msgid with {named} places, translated when shown;
    an enum parameter shows its label in the reader's locale, a text parameter is translated if it is
    a msgid (action labels) and shown as it is otherwise (names, codes, reasons)."""
    request.session["flash"] = {"msgid": message, "params": {
        k: {"zh_CN": v.zh, "en": v.en} if hasattr(v, "zh") else str(v) for k, v in params.items()}}


def _flash_text(request: Request, locale: str, gettext: Callable[[str], str]) -> str | None:
    stored = request.session.pop("flash", None)
    if not stored:
        return None
    params = {k: v.get(locale, v["zh_CN"]) if isinstance(v, dict) else gettext(v) for k, v in stored["params"].items()}
    return gettext(stored["msgid"]).format(**params) if params else gettext(stored["msgid"])


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def field_errors(exc: Exception) -> tuple[dict[str, str], str]:
    """({field: zh-CN message}, overall message) from a pydantic ValidationError or a ServiceError,
    so a form can show each problem next to its field."""
    if isinstance(exc, ValidationError):
        errors: dict[str, str] = {}
        for e in exc.errors():
            errors.setdefault(str(e["loc"][0]) if e["loc"] else "", zh_message(e))
        return errors, "请修改标出的字段"
    errors = {e["field"]: e["message"] for e in getattr(exc, "errors", None) or [] if e.get("field")}
    return errors, getattr(exc, "detail", str(exc))
