"""Delivering a cloud request may prepare its hosts by automation (issue 15 point 8): with `prepare_hosts`, the
deliver step also creates a draft change of the host-preparation playbook (cloud_host_prepare) on the hosts the
delivery put in the service's inventory, linked to the request; the change then goes through its own check,
approval and apply. A change may name a request (cloud_request_id) only while the request holds its resources,
and never one of a classified system.

Imports go from cloud to automation (its service creates the change), never back: the check is registered with
control/automation/links.py at start (control/wiring.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from control.automation import service as automation
from control.automation.enums import ChangeKind
from control.automation.inventory import build_inventory
from control.automation.links import Link, Served
from control.automation.schemas import ChangeIn
from control.cloud import service
from control.cloud.enums import HOLDING_STATUSES
from control.cloud.models import CloudRequest
from control.core import classified
from control.core.auth import Actor
from control.core.errors import Conflict, ValidationFailed
from control.systems import service as systems

if TYPE_CHECKING:
    from control.automation.models import Change

PLAYBOOK = "cloud_host_prepare"
HOST_ROOT = "/srv/yunzhang"       # the playbook keeps everything it writes under this folder of the host


def holding_request(session: Session, actor: Actor, request_id: int) -> CloudRequest:
    """The request (in the actor's scope) holding delivered resources, of a system that is not classified."""
    req = service.get_request(session, actor, request_id)
    if req.system_id and systems.get_system(session, actor, req.system_id).is_classified:
        classified.refuse("cloud_request_id")
    if req.status not in HOLDING_STATUSES:
        raise Conflict(f"云资源申请 {req.number} 为“{req.status.zh}”，没有可供自动化的已交付资源", code="not_delivered")
    return req


def serve(session: Session, actor: Actor, request_id: int) -> Served:
    req = holding_request(session, actor, request_id)
    return Served(label=f"云资源申请 {req.number}", url=f"/cloud/{req.id}")


def describe(session: Session, request_id: int) -> Served | None:
    req = session.get(CloudRequest, request_id)
    return Served(label=f"云资源申请 {req.number}", url=f"/cloud/{req.id}") if req else None


def request_changes(session: Session, actor: Actor, request_id: int) -> list[Change]:
    """The changes serving the request that the reader may see (the request page lists them)."""
    if actor.role not in automation.READ_ROLES:
        return []
    return automation.list_changes(session, actor, cloud_request_id=request_id, limit=20)[0]


def hosts_of(session: Session, request_id: int) -> list[str]:
    """The request's hosts as the service's inventory has them (virtual machines with a reachable address)."""
    hostvars = build_inventory(session)["_meta"]["hostvars"]
    return [host for host, values in hostvars.items() if values.get("yz_request_id") == request_id]


def prepare_hosts(session: Session, actor: Actor, req: CloudRequest) -> Change:
    """A draft host-preparation change on the request's delivered hosts (in the caller's transaction, which the
    change's creation commits: the delivery and its change are kept together or not at all)."""
    holding_request(session, actor, req.id)
    hosts = hosts_of(session, req.id)
    if not hosts:
        raise ValidationFailed("本次交付没有平台可连接的云主机地址（如 10.1.2.3），不能运行主机准备剧本",
                               code="no_hosts", errors=[{"field": "prepare_hosts", "message": "没有可连接的云主机",
                                                         "code": "no_hosts"}])
    code = systems.get_system(session, actor, req.system_id).code if req.system_id else req.number
    variables = {"yz_root": HOST_ROOT, "system_code": code, "service_name": f"yz-{code.lower()}"}
    return automation.create_change(session, actor, ChangeIn(
        kind=ChangeKind.playbook, playbook=PLAYBOOK, hosts=hosts, variables=variables, cloud_request_id=req.id,
        title=f"准备云主机：{req.number}"))


LINK = Link(field="cloud_request_id", serve=serve, succeeded=None, describe=describe)
