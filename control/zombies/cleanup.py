"""Completing a zombie clean-up: the system is decommissioned and its cloud allocations reclaimed,
through the systems and cloud services (their rules and audit), in the caller's transaction. A flow
across the systems and cloud domains."""
from __future__ import annotations

from sqlmodel import Session

from control.cloud import service as cloud_service
from control.cloud.enums import ReclaimReason
from control.core.auth import Actor
from control.systems import service as systems_service

COMMENT = "僵尸系统清理"


def decommission_and_reclaim(session: Session, actor: Actor, system_id: int) -> None:
    systems_service.decommission(session, actor, system_id, COMMENT)
    cloud_service.reclaim_for_system(session, actor, system_id, ReclaimReason.zombie_cleanup, COMMENT)
