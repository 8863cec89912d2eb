"""Web pages shared by every domain: login, logout, language, home (dashboard)."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request

from control import demo
from control.cloud import service as cloud_service
from control.core import sessions
from control.core.auth import authenticate
from control.core.clock import today
from control.core.deps import CurrentActor, SessionDep, optional_actor
from control.core.errors import NotAuthenticated, TooManyRequests
from control.core.roles import Role
from control.org import service as org_service
from control.org.schemas import UserUpdate
from control.systems import service as systems_service
from control.systems.enums import Network, SystemStatus
from control.web.i18n import LOCALES
from control.web.render import PostedForm, csrf_protect, redirect, render
from control.zombies import service as zombie_service
from control.zombies.enums import CaseState

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def safe_next(target: str | None) -> str:
    """Only local paths, so the login form cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# --- sign in and out, language -------------------------------------------------------------------------

def _login_page(request: Request, session, context: dict[str, Any], status_code: int = 200,
                headers: dict[str, str] | None = None):
    """The login form; on a database holding the demo, with every demo account listed."""
    accounts = demo.demo_accounts() if demo.is_loaded(session) else []
    return render(request, "login.html", {"demo_accounts": accounts, **context}, status_code=status_code,
                  headers=headers)


@router.get("/login")
def login_form(request: Request, session: SessionDep, next: str | None = None):
    return _login_page(request, session, {"next": safe_next(next), "error": None})


@router.post("/login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/"):
    client = request.client.host if request.client else ""
    try:
        user = authenticate(session, username, password, client, request.app.state.login_throttle)
    except (NotAuthenticated, TooManyRequests) as exc:
        context = {"next": safe_next(next), "error": exc.detail, "username": username}
        return _login_page(request, session, context, status_code=exc.status, headers=exc.headers)
    request.session.clear()  # a new session (and CSRF token) after sign-in
    request.session["sid"] = sessions.start(session, user.id, client,
                                            request.app.state.settings.session_ttl_seconds)
    if user.must_change_password:
        return redirect(f"/me/password?next={quote(safe_next(next), safe='/')}")
    return redirect(safe_next(next))


@router.post("/logout")
def logout(request: Request, session: SessionDep):
    """Revoke the server-side session, so a copy of the cookie is worthless too."""
    token = request.session.get("sid")
    if isinstance(token, str):
        sessions.revoke(session, token)
        session.commit()
    request.session.clear()
    return redirect("/login")


@router.post("/lang")
def switch_language(request: Request, session: SessionDep, actor: Annotated[Any, Depends(optional_actor)],
                    form: PostedForm):
    """zh_CN ⇄ en: kept in the `lang` cookie and, when signed in, on the user (self-service)."""
    lang = form.get("lang") if form.get("lang") in LOCALES else "zh_CN"
    if actor is not None and actor.id is not None:
        org_service.update_user(session, actor, actor.id, UserUpdate(locale=lang))
    response = redirect(safe_next(form.get("next")))
    response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


# --- home ---------------------------------------------------------------------------------------------

# Cloud rows of the 待我处理 panel: (label, filter of the list it links to); awaiting_me keeps to what the
# user may decide, mine to what they filed.
CLOUD_AWAITING = {
    Role.department: [("待我审核的申请", {"awaiting_me": True}),
                      ("我填报的退回待修改申请", {"status": "returned", "mine": True}),
                      ("我填报的草稿", {"status": "draft", "mine": True})],
    Role.bureau: [("待受理审批", {"queue": "acceptance", "awaiting_me": True})],
    Role.infocenter: [("待评估", {"queue": "assessment", "awaiting_me": True}),
                      ("待交付", {"queue": "delivery", "awaiting_me": True})],
}
# Zombie cases waiting in a state, for whoever takes the step that moves them on.
ZOMBIE_AWAITING = [(CaseState.candidate, "confirm", "待审核的疑似僵尸系统"),
                   (CaseState.confirmed, "plan_cleanup", "已确认待安排清理"),
                   (CaseState.cleanup_planned, "complete_cleanup", "已安排待完成清理")]


def awaiting_me(session, actor) -> list[dict]:
    """The home page's 待我处理 panel: what waits for this user, each count linking to its filtered list.
    A department user who is not a designated reviewer has no review row."""
    rows = []
    for label, filters in CLOUD_AWAITING.get(actor.role, []):
        if filters.get("awaiting_me") and actor.role == Role.department and not actor.reviewer:
            continue
        _, total = cloud_service.list_requests(session, actor, cloud_service.RequestFilter(**filters), limit=1)
        query = urlencode({k: "true" if v is True else v for k, v in filters.items()})
        rows.append({"label": label, "count": total, "link": f"/cloud?{query}"})
    for state, action, label in ZOMBIE_AWAITING:
        if actor.role in zombie_service.CASE_ACTIONS[action]:
            _, total = zombie_service.list_cases(session, actor, state=state, limit=1)
            rows.append({"label": label, "count": total, "link": f"/zombies?state={state.value}"})
    return rows


@router.get("/")
def home(request: Request, session: SessionDep, actor: CurrentActor):
    counts = systems_service.dashboard_counts(session, actor)
    calendar = request.app.state.calendars.get(session)
    overdue = cloud_service.list_requests(session, actor, cloud_service.RequestFilter(overdue=True), limit=5)
    known_until = calendar.known_until()
    return render(request, "home.html", {
        "counts": counts, "total": sum(counts["status"].values()), "statuses": list(SystemStatus),
        "networks": list(Network), "overdue": overdue, "known_until": known_until,
        "calendar_warning": known_until - today() < timedelta(days=45), "awaiting": awaiting_me(session, actor),
        "can_write": actor.role in systems_service.WRITE_ROLES})
