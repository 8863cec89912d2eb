"""Web pages shared by every domain: login, logout, language, home, audit log, users."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from control.cloud import service as cloud_service
from control.core.audit_api import AuditFilter, list_entries
from control.core.audit import verify_chain
from control.core.auth import authenticate
from control.core.clock import today
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import NotAuthenticated, ServiceError, TooManyRequests
from control.org import service as org_service
from control.org.models import Role
from control.org.schemas import UserCreate, UserUpdate
from control.systems import service as systems_service
from control.systems.enums import Network, SystemStatus
from control.web.render import flash, form_data, redirect, render

router = APIRouter(include_in_schema=False)

def safe_next(target: str | None) -> str:
    """Only local paths, so the login form cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"

@router.get("/login")
def login_form(request: Request, next: str | None = None):
    return render(request, "login.html", {"next": safe_next(next), "error": None})

@router.post("/login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/"):
    settings = request.app.state.settings
    client = request.client.host if request.client else ""
    try:
        user = authenticate(session, username, password, client, settings.login_max_failures,
                            settings.login_window_seconds)
    except (NotAuthenticated, TooManyRequests) as exc:
        return render(request, "login.html", {"next": safe_next(next), "error": exc.detail, "username": username},
                      status_code=exc.status)
    request.session.clear()
    request.session.update({"uid": user.id, "fp": user.password_hash[-16:]})
    return redirect(safe_next(next))

@router.post("/logout")
async def logout(request: Request):
    await form_data(request)
    request.session.clear()
    return redirect("/login")

@router.post("/lang")
async def switch_language(request: Request, session: SessionDep, actor: CurrentActor):
    form = await form_data(request)
    lang = form.get("lang") if form.get("lang") in ("zh_CN", "en") else "zh_CN"
    if actor.id is not None:
        org_service.update_user(session, actor, actor.id, UserUpdate(locale=lang))
    response = redirect(safe_next(form.get("next")))
    response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response

@router.get("/")
def home(request: Request, session: SessionDep, actor: CurrentActor):
    counts = systems_service.dashboard_counts(session, actor)
    ctx = cloud_service.Context(calendar=request.app.state.calendars.get(session), policy=request.app.state.policy)
    overdue = cloud_service.list_requests(session, actor, cloud_service.RequestFilter(overdue=True), limit=5)
    known_until = ctx.calendar.known_until()
    return render(request, "home.html", {
        "counts": counts, "statuses": list(SystemStatus), "networks": list(Network), "overdue": overdue,
        "known_until": known_until, "calendar_warning": known_until - today() < timedelta(days=45)})

@router.get("/audit")
def audit_page(request: Request, session: SessionDep, actor: CurrentActor, actor_name: str | None = Query(None, alias="who"),
               action: str | None = None, entity_type: str | None = None, since: date | None = None,
               until: date | None = None, q: str | None = None, offset: int = Query(0, ge=0)):
    f = AuditFilter(actor=actor_name or None, action=action or None, entity_type=entity_type or None, since=since,
                    until=until, q=q or None)
    items, total = list_entries(session, actor, f, 50, offset)
    template = "_audit_table.html" if request.headers.get("hx-request") else "audit.html"
    return render(request, template, {"items": items, "total": total, "f": f, "offset": offset,
                                      "query": request.url.query})

@router.post("/audit/verify")
async def audit_verify(request: Request, session: SessionDep, actor: CurrentActor):
    await form_data(request)
    actor.require(Role.admin, Role.auditor)
    ok, _bad, message = verify_chain(session)
    return render(request, "_verify.html", {"ok": ok, "message": message})

@router.get("/users")
def users_page(request: Request, session: SessionDep, actor: CurrentActor):
    users, total = org_service.list_users(session, actor, limit=1000)
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    return render(request, "users.html", {"users": users, "depts": {d.id: d for d in depts}, "roles": list(Role),
                                          "error": None})

@router.post("/users")
async def users_create(request: Request, session: SessionDep, actor: CurrentActor):
    form = await form_data(request)
    try:
        data = UserCreate(username=form.get("username", ""), password=form.get("password", ""),
                          role=form.get("role", ""), display_name=form.get("display_name", ""),
                          department_id=int(form["department_id"]) if form.get("department_id") else None)
        org_service.create_user(session, actor, data)
    except (ServiceError, ValueError) as exc:
        flash(request, f"未创建：{getattr(exc, 'detail', exc)}")
        return redirect("/users")
    flash(request, f"已创建用户 {data.username}")
    return redirect("/users")

@router.post("/users/{user_id:int}/deactivate")
async def users_deactivate(request: Request, session: SessionDep, actor: CurrentActor, user_id: int):
    await form_data(request)
    user = org_service.deactivate_user(session, actor, user_id)
    flash(request, f"已停用 {user.username}")
    return redirect("/users")
