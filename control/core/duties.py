"""Separation of duties: the one rule deciding who may take a step on a piece of work, used by every
domain (cloud requests, zombie clean-ups; migration plans and changes later).

A domain describes the step it is at as a `Step` (which roles act on it; for a review level, also the
department whose designated reviewer signs it) and names the item's authors (applicant, creator,
proposer: usernames). `refusal` then says why an actor may not take the step, or None when they may:

- the actor's role must be one of the step's roles;
- a review level (`department_id` set, `designated`) is signed only by a user of exactly that department
  who holds the reviewer designation an admin gives (`User.reviewer`);
- an author never decides their own item, at any level or stage, whatever role or designation they hold.

Pass the authors only for decisions on the item (approve, return, reject, assess, deliver, complete); an
author's own steps on their item (submit, withdraw, edit) pass no authors. Pure: no database."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from control.core.auth import Actor
from control.core.errors import Forbidden
from control.core.roles import Role


@dataclass(frozen=True)
class Step:
    """What a step requires of whoever takes it. `name` is the step as people read it (zh-CN)."""
    name: str
    roles: tuple[Role, ...]
    department_id: int | None = None     # a review level: only this department's users
    department_name: str = ""
    designated: bool = False              # only a user designated as reviewer (with department_id)

    @classmethod
    def review_level(cls, name: str, department_id: int, department_name: str) -> Step:
        """A review level signed by the designated reviewer of one department."""
        return cls(name=name, roles=(Role.department,), department_id=department_id,
                   department_name=department_name, designated=True)


def refusal(actor: Actor, step: Step, authors: Collection[str | None] = ()) -> str | None:
    """Why `actor` may not take `step` on an item written by `authors` (zh-CN), or None if they may."""
    found = _refusal(actor, step, authors)
    return found[1] if found else None


def check(actor: Actor, step: Step, authors: Collection[str | None] = ()) -> None:
    """403 with the reason when `actor` may not take `step`; `code` is own_item for an author."""
    found = _refusal(actor, step, authors)
    if found:
        raise Forbidden(found[1], code=found[0])


def _refusal(actor: Actor, step: Step, authors: Collection[str | None]) -> tuple[str, str] | None:
    if actor.role not in step.roles:
        who = "、".join(r.zh for r in step.roles) or "无人"
        return "wrong_role", f"本步骤（{step.name}）由{who}办理，当前角色为{actor.role.zh}"
    if step.department_id is not None and actor.department_id != step.department_id:
        who = "指定审核人" if step.designated else "用户"
        return "wrong_department", f"本步骤（{step.name}）由{step.department_name}的{who}办理"
    if step.designated and not actor.reviewer:
        return "not_designated", (f"本步骤（{step.name}）须由{step.department_name}的指定审核人办理；"
                                  "您未被指定为审核人（由系统管理员在用户管理中指定）")
    if actor.username in {a for a in authors if a}:
        return "own_item", (f"您是本事项的申请人、填报人或提出人，不能办理“{step.name}”"
                            "（职责分离：不得审批自己的事项）")
    return None
