"""Who a recorded username is, as people read it. Histories store usernames (they outlive renames and
deactivations); pages show the person's name and department instead, looked up here in one query."""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session

from control.core.accounts import Department, User
from control.core.roles import Role


class Person(NamedTuple):
    name: str
    department: str | None      # None for users outside any department (admin, bureau, …)
    role: Role


def directory(session: Session) -> dict[str, Person]:
    """Every user, active or not, by username: one query however many names a page shows."""
    rows = session.execute(select(User.username, User.display_name, User.role, Department.name)
                           .outerjoin(Department, Department.id == User.department_id)).all()
    return {username: Person(display or username, dept, role) for username, display, role, dept in rows}
