"""Cleaning up a confirmed zombie may run the clean-up playbook (issue 15 point 8). Once the Bureau has planned
a case's clean-up, `cleanup_change` creates a draft change of zombie_cleanup (stop, archive, remove) on the
system's hosts in the service's inventory, linked to the case; when that change succeeds the case's clean-up is
completed as by hand (the system decommissioned, its cloud resources reclaimed) by the change's author, who
may not be the planner (control/core/duties.py). A classified system never gets here.

Imports go from zombies to automation, never back: the check and the completion are registered with
control/automation/links.py at start (control/wiring.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from control.automation import service as automation
from control.automation.enums import ChangeKind
from control.automation.inventory import build_inventory
from control.automation.links import Done, Link, Served, author
from control.automation.schemas import ChangeIn
from control.cloud.automation import HOST_ROOT
from control.core import classified
from control.core.auth import Actor
from control.core.errors import Conflict, Forbidden, ValidationFailed
from control.systems import service as systems
from control.zombies import service
from control.zombies.cleanup import decommission_and_reclaim
from control.zombies.enums import CaseState
from control.zombies.models import ZombieCase

if TYPE_CHECKING:
    from control.automation.models import Change

PLAYBOOK = "zombie_cleanup"


def planned_case(session: Session, actor: Actor, case_id: int) -> tuple[ZombieCase, str, str]:
    """The case (in scope) whose clean-up is planned, the system's code and name; the actor one who may
    complete the clean-up."""
    case = service.get_case(session, actor, case_id)
    system = systems.get_system(session, actor, case.system_id)
    if system.is_classified:
        classified.refuse("zombie_case_id")
    if case.state != CaseState.cleanup_planned:
        raise Conflict(f"事项为“{case.state.zh}”：大数据局安排清理后才能运行清理剧本", code="cleanup_not_planned")
    reason = service.refusal(actor, case, "complete_cleanup")
    if reason:
        raise Forbidden(reason)
    return case, system.code, system.name


def serve(session: Session, actor: Actor, case_id: int) -> Served:
    case, _, name = planned_case(session, actor, case_id)
    return Served(label=f"僵尸系统清理：{name}", url=f"/zombies/cases/{case.id}")


def describe(session: Session, case_id: int) -> Served | None:
    case = session.get(ZombieCase, case_id)
    if case is None:
        return None
    return Served(label=f"僵尸系统事项 #{case.id}", url=f"/zombies/cases/{case.id}")


def cleanup_change(session: Session, actor: Actor, case_id: int) -> Change:
    """A draft clean-up change on the system's hosts, the application folder the host preparation made."""
    case, code, name = planned_case(session, actor, case_id)
    hostvars = build_inventory(session)["_meta"]["hostvars"]
    hosts = [host for host, values in hostvars.items() if values.get("yz_system_id") == case.system_id]
    if not hosts:
        raise ValidationFailed(f"系统“{name}”在平台的主机清单中没有云主机，不能运行清理剧本", code="no_hosts")
    variables = {"app_dir": f"{HOST_ROOT}/opt/{code}", "archive_file": f"{HOST_ROOT}/archive/{code}.tar.gz",
                 "pid_file": ""}
    return automation.create_change(session, actor, ChangeIn(
        kind=ChangeKind.playbook, playbook=PLAYBOOK, hosts=hosts, variables=variables, zombie_case_id=case.id,
        title=f"僵尸系统清理：{name}"))


def case_changes(session: Session, actor: Actor, case: ZombieCase) -> dict:
    """For the case page: the clean-up changes the reader may see, and whether the reader may create one now."""
    readable = actor.role in automation.READ_ROLES
    found = automation.list_changes(session, actor, zombie_case_id=case.id, limit=20)[0] if readable else []
    may_create = (case.state == CaseState.cleanup_planned and actor.role in automation.OPERATE_ROLES
                  and service.refusal(actor, case, "complete_cleanup") is None)
    return {"changes": found, "can_create": may_create}


def cleanup_succeeded(session: Session, case_id: int, done: Done) -> str:
    actor = author(session, done)
    runs = "、".join(f"#{i}" for i in done.run_ids)
    reason = f"清理剧本变更 #{done.change_id} 执行成功（运行 {runs}）"
    case = service.case_action(session, actor, case_id, "complete_cleanup", reason, cleanup=decommission_and_reclaim)
    return f"僵尸系统事项 #{case.id} 已完成清理"


LINK = Link(field="zombie_case_id", serve=serve, succeeded=cleanup_succeeded, describe=describe)
