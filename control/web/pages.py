"""Web pages: login and logout. Domain pages live in each domain's pages.py."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from control.core.auth import authenticate
from control.core.deps import SessionDep
from control.core.errors import NotAuthenticated, TooManyRequests
from control.web.render import render

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
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
