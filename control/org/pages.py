"""Web pages: the department tree, and department administration for admins."""
from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ServiceError
from control.org import service
from control.org.models import Level, Role
from control.org.schemas import DepartmentCreate
from control.web.render import flash, form_data, redirect, render

router = APIRouter(include_in_schema=False)


def tree(departments) -> list[dict]:  # noqa: ANN001
    """Nest the scoped departments by parent (a department whose parent is out of scope is a root)."""
    nodes = {d.id: {"d": d, "children": []} for d in departments}
    roots = []
    for d in departments:
        (nodes[d.parent_id]["children"] if d.parent_id in nodes else roots).append(nodes[d.id])
    return roots


@router.get("/departments")
def departments(request: Request, session: SessionDep, actor: CurrentActor):
    items, total = service.list_departments(session, actor, limit=5000)
    return render(request, "departments.html", {"roots": tree(items), "total": total, "items": items,
                                                "levels": list(Level), "is_admin": actor.role == Role.admin,
                                                "error": None})


@router.post("/departments")
async def create_department(request: Request, session: SessionDep, actor: CurrentActor):
    form = await form_data(request)
    try:
        data = DepartmentCreate(code=form.get("code", ""), name=form.get("name", ""), level=form.get("level", ""),
                                parent_id=int(form["parent_id"]) if form.get("parent_id") else None)
        dept = service.create_department(session, actor, data)
    except ValidationError as exc:
        items, total = service.list_departments(session, actor, limit=5000)
        return render(request, "departments.html", {
            "roots": tree(items), "total": total, "items": items, "levels": list(Level), "is_admin": True,
            "error": "；".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()), "form": form},
            status_code=422)
    except ServiceError as exc:
        session.rollback()
        items, total = service.list_departments(session, actor, limit=5000)
        return render(request, "departments.html", {
            "roots": tree(items), "total": total, "items": items, "levels": list(Level), "is_admin": True,
            "error": exc.detail, "form": form}, status_code=exc.status)
    flash(request, f"已新增部门“{dept.name}”")
    return redirect("/departments")
