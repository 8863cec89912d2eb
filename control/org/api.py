"""REST: tokens, departments, users."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import OAuth2PasswordRequestForm

from control.core.accounts import Level
from control.core.auth import authenticate
from control.core.deps import CurrentActor, PasswordActor, SessionDep
from control.core.params import Id, Offset, SearchText
from control.org import service
from control.org.schemas import (
    DepartmentCreate,
    DepartmentList,
    DepartmentPublic,
    DepartmentUpdate,
    PasswordChange,
    TemporaryPassword,
    Token,
    UserCreate,
    UserList,
    UserPublic,
    UserUpdate,
)

router = APIRouter(prefix="/api/v1")


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/auth/token", response_model=Token, tags=["auth"])
def issue_token(request: Request, session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    """OAuth2 password flow: username and password in a form, a bearer token back."""
    user = authenticate(session, form.username, form.password, client_of(request), request.app.state.login_throttle)
    tokens = request.app.state.tokens
    return Token(access_token=tokens.issue(user), expires_in=tokens.ttl)


@router.get("/me", response_model=UserPublic, tags=["auth"])
def me(session: SessionDep, actor: PasswordActor):
    """Readable with a temporary password too, so a client can see `must_change_password`."""
    return service.get_user(session, actor, actor.id)


@router.post("/me/password", response_model=UserPublic, tags=["auth"])
def change_password(request: Request, session: SessionDep, actor: PasswordActor, data: PasswordChange):
    """Set a new password with the current one (the only write allowed with a temporary password).
    Bearer tokens issued before stop working: ask for a new one."""
    return service.change_own_password(session, actor, data, client=client_of(request),
                                       limits=request.app.state.login_throttle)


@router.get("/departments", response_model=DepartmentList, tags=["departments"])
def list_departments(session: SessionDep, actor: CurrentActor, q: SearchText | None = None,
                     level: Level | None = None,
                     parent_id: Id | None = None, limit: int = Query(1000, ge=1, le=5000),
                     offset: Offset = 0):
    items, total = service.list_departments(session, actor, q=q, level=level, parent_id=parent_id,
                                            limit=limit, offset=offset)
    return DepartmentList(items=items, total=total)


@router.post("/departments", response_model=DepartmentPublic, status_code=201, tags=["departments"])
def create_department(session: SessionDep, actor: CurrentActor, data: DepartmentCreate):
    return service.create_department(session, actor, data)


@router.get("/departments/{department_id}", response_model=DepartmentPublic, tags=["departments"])
def get_department(session: SessionDep, actor: CurrentActor, department_id: Id):
    return service.get_department(session, actor, department_id)


@router.patch("/departments/{department_id}", response_model=DepartmentPublic, tags=["departments"])
def update_department(session: SessionDep, actor: CurrentActor, department_id: Id, data: DepartmentUpdate):
    return service.update_department(session, actor, department_id, data)


@router.get("/users", response_model=UserList, tags=["users"])
def list_users(session: SessionDep, actor: CurrentActor, limit: int = Query(200, ge=1, le=1000),
               offset: Offset = 0):
    items, total = service.list_users(session, actor, limit, offset)
    return UserList(items=items, total=total)


@router.post("/users", response_model=UserPublic, status_code=201, tags=["users"])
def create_user(session: SessionDep, actor: CurrentActor, data: UserCreate):
    return service.create_user(session, actor, data)


@router.get("/users/{user_id}", response_model=UserPublic, tags=["users"])
def get_user(session: SessionDep, actor: CurrentActor, user_id: Id):
    return service.get_user(session, actor, user_id)


@router.patch("/users/{user_id}", response_model=UserPublic, tags=["users"])
def update_user(session: SessionDep, actor: CurrentActor, user_id: Id, data: UserUpdate):
    return service.update_user(session, actor, user_id, data)


@router.post("/users/{user_id}/deactivate", response_model=UserPublic, tags=["users"])
def deactivate_user(session: SessionDep, actor: CurrentActor, user_id: Id):
    return service.deactivate_user(session, actor, user_id)


@router.post("/users/{user_id}/unlock", response_model=UserPublic, tags=["users"])
def unlock_user(session: SessionDep, actor: CurrentActor, user_id: Id):
    """End a user's login back-off (admin)."""
    return service.unlock_user(session, actor, user_id)[0]


@router.post("/users/{user_id}/reset-password", response_model=TemporaryPassword, tags=["users"])
def reset_password(session: SessionDep, actor: CurrentActor, user_id: Id):
    """A temporary password, shown in this answer only; the user must change it at next sign-in."""
    user, temporary = service.reset_password(session, actor, user_id)
    return TemporaryPassword(user=user, temporary_password=temporary)
