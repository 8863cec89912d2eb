"""Web pages: the department tree, department and user administration for admins, and every user's own
password."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from control.core.accounts import Department, Level
from control.core.auth import Actor, recent_failures
from control.core.deps import CurrentActor, PasswordActor, SessionDep
from control.core.errors import ServiceError
from control.core.params import Id
from control.core.roles import Role
from control.org import service
from control.org.schemas import DepartmentCreate, DepartmentUpdate, PasswordChange, UserCreate, UserUpdate
from control.web.render import PostedForm, csrf_protect, field_errors, flash, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def tree(departments: list[Department]) -> list[dict]:
    """Nest the scoped departments by parent (a department whose parent is out of scope is a root)."""
    nodes = {d.id: {"d": d, "children": []} for d in departments}
    roots = []
    for d in departments:
        (nodes[d.parent_id]["children"] if d.parent_id in nodes else roots).append(nodes[d.id])
    return roots


def _form_errors(exc: Exception) -> tuple[dict[str, str], str]:
    errors, message = field_errors(exc)
    if getattr(exc, "code", "") == "duplicate_code":
        errors["code"] = message
    if getattr(exc, "code", "") == "tree_cycle":
        errors["parent_id"] = message
    return errors, message


def _values(form: Any) -> dict[str, Any]:
    return {"code": (form.get("code") or "").strip(), "name": (form.get("name") or "").strip(),
            "level": form.get("level") or "", "parent_id": form.get("parent_id") or None,
            "region": (form.get("region") or "").strip() or None}


def _page(request: Request, session, actor: Actor, values=None, errors=None, message=None,
          status_code: int = 200):
    items, total = service.list_departments(session, actor, limit=5000)
    return render(request, "departments/index.html", {
        "roots": tree(items), "total": total, "items": items, "levels": list(Level),
        "is_admin": actor.role == Role.admin, "values": values or {}, "errors": errors or {},
        "message": message}, status_code=status_code)


@router.get("/departments")
def departments(request: Request, session: SessionDep, actor: CurrentActor):
    return _page(request, session, actor)


@router.post("/departments")
def create_department(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm):
    actor.require(Role.admin)
    values = _values(form)
    try:
        dept = service.create_department(session, actor, DepartmentCreate(**values))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        errors, message = _form_errors(exc)
        return _page(request, session, actor, values, errors, message, getattr(exc, "status", 422))
    flash(request, "已新增部门“{name}”（{code}）", name=dept.name, code=dept.code)
    return redirect("/departments")


def _edit(request: Request, session, actor: Actor, dept: Department, values=None, errors=None,
          message=None, status_code: int = 200):
    items, _ = service.list_departments(session, actor, limit=5000)
    parents = [d for d in items if not d.path.startswith(dept.path)]  # not itself nor anything under it
    return render(request, "departments/edit.html", {
        "dept": dept, "parents": parents, "levels": list(Level),
        "values": values or {**dept.model_dump(), "level": dept.level.value}, "errors": errors or {},
        "message": message}, status_code=status_code)


@router.get("/departments/{department_id:int}/edit")
def edit_department_form(request: Request, session: SessionDep, actor: CurrentActor, department_id: Id):
    actor.require(Role.admin)
    return _edit(request, session, actor, service.get_department(session, actor, department_id))


@router.post("/departments/{department_id:int}/edit")
def edit_department(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm,
                    department_id: Id):
    actor.require(Role.admin)
    dept = service.get_department(session, actor, department_id)
    values = {**_values(form), "active": form.get("active") == "true"}
    try:
        service.update_department(session, actor, department_id, DepartmentUpdate(**values))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        errors, message = _form_errors(exc)
        return _edit(request, session, actor, service.get_department(session, actor, department_id), values,
                     errors, message, getattr(exc, "status", 422))
    flash(request, "已保存部门“{name}”", name=values["name"] or dept.name)
    return redirect("/departments")


# --- users (admin) ----------------------------------------------------------------------------------------

def _users_page(request: Request, session, actor: Actor, values=None, errors=None, message=None,
                status_code: int = 200, temporary: tuple[str, str] | None = None):
    """The users page; `temporary` is (username, password) right after a reset, shown this once."""
    actor.require(Role.admin)
    users, total = service.list_users(session, actor, limit=1000)
    depts, _ = service.list_departments(session, actor, limit=5000)
    return render(request, "users.html", {
        "users": users, "total": total, "depts": depts, "dept_names": {d.id: d.name for d in depts},
        "failures": recent_failures(session, request.app.state.login_throttle), "roles": list(Role),
        "values": values or {}, "errors": errors or {}, "message": message, "temporary": temporary},
        status_code=status_code)


@router.get("/users")
def users_page(request: Request, session: SessionDep, actor: CurrentActor):
    return _users_page(request, session, actor)


@router.post("/users")
def users_create(request: Request, session: SessionDep, actor: CurrentActor, posted: PostedForm):
    actor.require(Role.admin)
    form = dict(posted)
    try:
        data = UserCreate(username=form.get("username", "").strip(), password=form.get("password", ""),
                          role=form.get("role", ""), display_name=form.get("display_name", "").strip(),
                          department_id=form.get("department_id") or None, reviewer=form.get("reviewer") == "true")
        service.create_user(session, actor, data)
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        errors, message = field_errors(exc)
        if getattr(exc, "code", "") == "duplicate_username":
            errors["username"] = message
        form.pop("password", None)
        return _users_page(request, session, actor, form, errors, message, getattr(exc, "status", 422))
    flash(request, "已创建用户 {username}", username=data.username)
    return redirect("/users")


def _refused_to_flash(request: Request, exc: ServiceError):
    """A refusal on the users page (a rule, not a missing right) comes back as a notice on the page."""
    if exc.status in (401, 403, 404):
        raise exc
    flash(request, exc.detail)
    return redirect("/users")


@router.post("/users/{user_id:int}/deactivate")
def users_deactivate(request: Request, session: SessionDep, actor: CurrentActor, user_id: Id):
    try:
        user = service.deactivate_user(session, actor, user_id)
    except ServiceError as exc:
        return _refused_to_flash(request, exc)
    flash(request, "已停用 {username}", username=user.username)
    return redirect("/users")


@router.post("/users/{user_id:int}/reviewer")
def users_reviewer(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, user_id: Id):
    """Designate or undesignate a department's reviewer (audited as a change of the user)."""
    designate = form.get("reviewer") == "true"
    try:
        user = service.update_user(session, actor, user_id, UserUpdate(reviewer=designate))
    except ServiceError as exc:
        return _refused_to_flash(request, exc)
    if designate:
        flash(request, "已指定 {username} 为审核人", username=user.username)
    else:
        flash(request, "已取消 {username} 的审核人指定", username=user.username)
    return redirect("/users")


@router.post("/users/{user_id:int}/unlock")
def users_unlock(request: Request, session: SessionDep, actor: CurrentActor, user_id: Id):
    user, _forgotten = service.unlock_user(session, actor, user_id)
    flash(request, "已解除 {username} 的登录锁定", username=user.username)
    return redirect("/users")


@router.post("/users/{user_id:int}/reset-password")
def users_reset_password(request: Request, session: SessionDep, actor: CurrentActor, user_id: Id):
    """Answers with the page itself (not a redirect), so the temporary password never sits in the cookie."""
    user, temporary = service.reset_password(session, actor, user_id)
    return _users_page(request, session, actor, temporary=(user.username, temporary))


# --- one's own password -----------------------------------------------------------------------------------

def _password_page(request: Request, session, actor: Actor, next_path: str, errors=None, message=None,
                   status_code: int = 200):
    """While the password is a temporary one the page shows no navigation: nothing else would open."""
    must_change = service.get_user(session, actor, actor.id).must_change_password
    extra = {"nav": []} if must_change else {}
    return render(request, "password.html", {"next": next_path, "errors": errors or {}, "message": message,
                                             "must_change": must_change, **extra}, status_code=status_code)


def _safe_next(target: str | None) -> str:
    """A local path only (as the login's next), never this page itself."""
    if target and target.startswith("/") and not target.startswith(("//", "/me/password")) and "\\" not in target:
        return target
    return "/"


@router.get("/me/password")
def password_form(request: Request, session: SessionDep, actor: PasswordActor, next: str | None = None):
    return _password_page(request, session, actor, _safe_next(next))


@router.post("/me/password")
def password_change(request: Request, session: SessionDep, actor: PasswordActor, form: PostedForm):
    next_path = _safe_next(form.get("next"))
    try:
        if form.get("new_password") != form.get("confirm_password"):
            message = "两次输入的新密码不一致"
            return _password_page(request, session, actor, next_path, {"confirm_password": message}, message, 422)
        data = PasswordChange(current_password=form.get("current_password") or "",
                              new_password=form.get("new_password") or "")
        service.change_own_password(session, actor, data, client=request.client.host if request.client else "",
                                    limits=request.app.state.login_throttle, keep_session=request.session.get("sid"))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        if getattr(exc, "status", 422) == 401 or getattr(exc, "code", "") == "no_user":
            raise
        errors, message = field_errors(exc)
        if getattr(exc, "code", "") == "wrong_password":
            errors["current_password"] = message
        return _password_page(request, session, actor, next_path, errors, message, getattr(exc, "status", 422))
    flash(request, "密码已修改，其他设备上的登录已退出")
    return redirect(next_path)
