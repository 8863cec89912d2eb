"""Web pages: the department tree, and department administration for admins."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from control.core.accounts import Department, Level
from control.core.auth import Actor
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ServiceError
from control.core.params import Id
from control.core.roles import Role
from control.org import service
from control.org.schemas import DepartmentCreate, DepartmentUpdate
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
