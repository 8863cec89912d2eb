"""The one way to query and fetch department-scoped rows. A department user sees their department and
those under it (Actor.scope_path); every other role sees all. Every list of scoped rows goes through
`scoped`, every fetch of one through `get_scoped`, so a new query cannot forget the scope."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlmodel import Session

from control.core.accounts import Department
from control.core.auth import Actor
from control.core.errors import Forbidden, NotFound, ValidationFailed

T = TypeVar("T")


def in_subtree(department_column: Any, path: str) -> Any:
    """`department_column` names a department at or under the one whose path is `path`. A sub-select on
    the small department table rather than a join, so counting and filtering never touch departments row
    by row; `LIKE 'prefix%'` with the prefix bound whole (startswith() would send `? || '%'`). Paths hold
    only digits and slashes, so nothing in them needs escaping."""
    return department_column.in_(select(Department.id).where(Department.path.like(path + "%")))


# The region filter's value for departments with no region code recorded (the board's "未填写" row).
NO_REGION = "-"


def of_region_level(department_column: Any, region: str | None = None, level: str | None = None) -> list[Any]:
    """The region / level filters: the row's own department (not those above it) has that region code
    (NO_REGION: none recorded) or that level: what the progress board's region and level rows count."""
    if region is None and level is None:
        return []
    where = []
    if region == NO_REGION:
        where.append(or_(Department.region.is_(None), Department.region == ""))
    elif region is not None:
        where.append(Department.region == region)
    if level is not None:
        where.append(Department.level == level)
    return [department_column.in_(select(Department.id).where(*where))]


def scope_condition(actor: Actor, department_column: Any) -> list[Any]:
    """The WHERE conditions (none or one) that keep rows of `department_column` inside the actor's scope."""
    return [] if actor.scope_path is None else [in_subtree(department_column, actor.scope_path)]


def scoped(stmt: Any, actor: Actor, department_column: Any) -> Any:
    """`stmt` narrowed to rows whose `department_column` lies in the actor's scope."""
    return stmt.where(*scope_condition(actor, department_column))


def visible_department(session: Session, actor: Actor, department_id: int, field: str | None = None) -> Department:
    """A department the actor may see: Forbidden outside the scope; when it does not exist, NotFound, or
    ValidationFailed naming `field` when the id came in a request body."""
    dept = session.get(Department, department_id)
    if dept is None and field is not None:
        raise ValidationFailed(f"部门 {department_id} 不存在",
                               errors=[{"field": field, "message": "部门不存在", "code": "not_found"}])
    if dept is None:
        raise NotFound(f"部门 {department_id} 不存在")
    actor.check_department(dept)
    return dept


def under_department(session: Session, actor: Actor, department_id: int, department_column: Any) -> Any:
    """The condition for a "this department and those under it" filter, after checking the actor may see it."""
    return in_subtree(department_column, visible_department(session, actor, department_id).path)


def get_scoped(session: Session, actor: Actor, model: type[T], row_id: Any, what: str) -> T:
    """One row (with a department_id) by primary key: NotFound (“<what> <id> 不存在”) when missing, Forbidden
    when its department is outside the actor's scope, or it has none (an automation run of no department's
    subject) and the actor is scoped. A department itself: visible_department."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} 不存在")
    if actor.scope_path is not None:
        if row.department_id is None:
            raise Forbidden(f"{what} {row_id} 不属于本单位及下级单位")
        visible_department(session, actor, row.department_id)
    return row


def subtree_path(session: Session, actor: Actor, department_id: int | None) -> str | None:
    """The path a "this department and those under it" view covers: the chosen department (after checking
    the actor may see it), else the actor's own scope; None is everything."""
    if department_id is not None:
        return visible_department(session, actor, department_id).path
    return actor.scope_path
