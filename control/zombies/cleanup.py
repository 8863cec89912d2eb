"""Completing a zombie clean-up: the system is decommissioned and its cloud allocations reclaimed,
in the caller's transaction, each change audited. A flow across the systems and cloud domains."""
from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from control.cloud.enums import ReclaimReason, RequestStatus
from control.cloud.models import CloudRequest
from control.core import audit
from control.core.auth import Actor
from control.core.clock import now
from control.core.errors import Conflict
from control.systems.enums import SystemStatus
from control.systems.models import InformationSystem

# running → stopped → decommissioned, the lifecycle's own path.
PATH = {SystemStatus.running: [SystemStatus.stopped, SystemStatus.decommissioned],
        SystemStatus.stopped: [SystemStatus.decommissioned], SystemStatus.decommissioned: []}


def decommission_and_reclaim(session: Session, actor: Actor, system_id: int) -> None:
    system = session.get(InformationSystem, system_id)
    steps = PATH.get(system.status)
    if steps is None:
        raise Conflict(
            f"系统为“{system.status.zh}”，须先投入运行或登记停止后才能按清理流程下线", code="illegal_transition"
        )
    for target in steps:
        audit.record(session, actor, "decommission" if target == SystemStatus.decommissioned else "stop", "system",
                     system.id, changes={"status": [system.status.value, target.value], "comment": "僵尸系统清理"},
                     label=system.name)
        system.status = target
    system.updated_at = now()
    session.add(system)
    for req in session.execute(select(CloudRequest).where(CloudRequest.system_id == system_id,
                                                          CloudRequest.status == RequestStatus.in_use)).scalars():
        req.status, req.reclaim_reason, req.updated_at = RequestStatus.reclaimed, ReclaimReason.zombie_cleanup, now()
        session.add(req)
        audit.record(session, actor, "reclaim", "cloud_request", req.id,
                     changes={"status": ["in_use", "reclaimed"], "reclaim_reason": "zombie_cleanup"},
                     label=req.number)
