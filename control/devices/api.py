"""REST: network devices, their config backups, versions and diffs."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from control.core.deps import CurrentActor, SessionDep
from control.core.params import Id, Int32, Offset, SearchText
from control.core.textsafe import CleanText
from control.devices import backups, service
from control.devices.schemas import (
    BackupList,
    BackupOut,
    BackupResult,
    DeviceCreate,
    DeviceList,
    DeviceOut,
    DiffOut,
)
from control.devices.service import DeviceFilter

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
Version = Annotated[Int32, Field(ge=1)]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Annotated[CleanText, Field(max_length=2000)] = ""


def device_filter(department_id: Id | None = None, drifted: bool | None = None,
                  q: SearchText | None = None) -> DeviceFilter:
    """`department_id`: that department and those under it; `drifted`: only devices whose config drifted."""
    return DeviceFilter(department_id=department_id, drifted=drifted, q=q)


@router.get("", response_model=DeviceList)
def list_devices(session: SessionDep, actor: CurrentActor, f: Annotated[DeviceFilter, Depends(device_filter)],
                 limit: int = Query(50, ge=1, le=500), offset: Offset = 0):
    items, total = service.list_devices(session, actor, f, limit, offset)
    return DeviceList(items=items, total=total, limit=limit, offset=offset)


@router.post("", response_model=DeviceOut, status_code=201)
def create_device(session: SessionDep, actor: CurrentActor, data: DeviceCreate):
    """Credentials are `secret:NAME` references. A device of a classified network
    (`on_classified_network: true`) is refused with 422 and nothing about it is stored."""
    return service.detail(session, service.create_device(session, actor, data))


@router.get("/{device_id:int}", response_model=DeviceOut)
def get_device(session: SessionDep, actor: CurrentActor, device_id: Id):
    return service.detail(session, service.get_device(session, actor, device_id))


@router.post("/{device_id:int}/backup", response_model=BackupResult)
def backup(session: SessionDep, actor: CurrentActor, device_id: Id):
    """Read the running config now and keep it as a version when it changed (noise aside); 409 with the
    reason when the device cannot be reached or its secrets resolved."""
    return backups.backup_device(session, actor, device_id)


@router.post("/{device_id:int}/accept-drift", response_model=DeviceOut)
def accept_drift(session: SessionDep, actor: CurrentActor, device_id: Id, body: CommentIn | None = None):
    """Take a drifted device's current config as its baseline (info centre or admin)."""
    return service.detail(session, service.accept_drift(session, actor, device_id, (body or CommentIn()).comment))


@router.get("/{device_id:int}/backups", response_model=BackupList)
def list_backups(session: SessionDep, actor: CurrentActor, device_id: Id, limit: int = Query(100, ge=1, le=500),
                 offset: Offset = 0):
    items, total = backups.list_backups(session, actor, device_id, limit, offset)
    return BackupList(items=items, total=total)


@router.get("/{device_id:int}/backups/diff", response_model=DiffOut)
def diff(session: SessionDep, actor: CurrentActor, device_id: Id,
         from_version: Annotated[Version, Query(alias="from")], to_version: Annotated[Version, Query(alias="to")]):
    """Unified diff between two versions (`from`, `to`: version numbers)."""
    return backups.diff(session, actor, device_id, from_version, to_version)


@router.get("/{device_id:int}/backups/{version:int}", response_model=BackupOut)
def get_version(session: SessionDep, actor: CurrentActor, device_id: Id, version: Version):
    """One version with its (masked) content."""
    return BackupOut.model_validate(backups.get_version(session, actor, device_id, version))
