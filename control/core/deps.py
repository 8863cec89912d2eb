"""FastAPI dependencies: the database session and the acting user (bearer token or web session)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from control.core import sessions
from control.core.accounts import User
from control.core.auth import Actor, actor_for
from control.core.errors import Forbidden, NotAuthenticated

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _user_from_request(request: Request, session: Session) -> User | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return request.app.state.tokens.resolve(session, header[7:].strip())
    # The browser session also reads the API (downloads, htmx fragments), but never writes through
    # it: writes from pages go through form routes that check a CSRF token.
    token = request.session.get("sid") if "session" in request.scope else None
    if not isinstance(token, str):
        return None
    uid = sessions.resolve(session, token, request.app.state.settings.session_idle_seconds)
    user = session.get(User, uid) if uid is not None else None
    if user is None or not user.active:
        request.session.clear()
        return None
    if request.url.path.startswith("/api/") and request.method not in SAFE_METHODS:
        raise NotAuthenticated("通过 API 修改数据需要 Bearer 令牌", code="token_required")
    return user


PASSWORD_CHANGE_REQUIRED = "password_change_required"


def _signed_in(request: Request, session: Session, *, temporary_ok: bool) -> Actor:
    user = _user_from_request(request, session)
    if user is None:
        raise NotAuthenticated("请先登录或提供 Bearer 令牌")
    if user.must_change_password and not temporary_ok:
        # A temporary password from an admin opens one door only: choosing a new password.
        raise Forbidden("请先修改管理员设置的临时密码，修改后才能继续使用（页面 /me/password，"
                        "API POST /api/v1/me/password）", code=PASSWORD_CHANGE_REQUIRED)
    actor = actor_for(session, user)
    request.state.actor = actor
    return actor


def current_actor(request: Request, session: SessionDep) -> Actor:
    return _signed_in(request, session, temporary_ok=False)


def password_actor(request: Request, session: SessionDep) -> Actor:
    """The acting user even while they hold a temporary password: for changing it and reading /me only."""
    return _signed_in(request, session, temporary_ok=True)


def optional_actor(request: Request, session: SessionDep) -> Actor | None:
    try:
        user = _user_from_request(request, session)
    except NotAuthenticated:
        return None
    return actor_for(session, user) if user else None


CurrentActor = Annotated[Actor, Depends(current_actor)]
PasswordActor = Annotated[Actor, Depends(password_actor)]
