"""Device use cases: the only code that writes devices (backups: control/devices/backups.py). Every function
takes the acting user, applies the department scope and records the audit entry. Devices come from records
created here and from `inventory/devices.yaml` (sync_inventory: all or nothing, idempotent, audited). A
device of a classified network is refused before anything is read or written."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from control.core import audit, classified, dialect, scope
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.clock import now
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.core.messages import zh_error
from control.core.roles import Role
from control.devices.enums import DeviceSource
from control.devices.models import Device, DeviceBackup
from control.devices.netmiko import device_types
from control.devices.schemas import DeviceCreate, DeviceOut, DeviceSummary, SyncResult
from control.networks.models import PrivateNetwork

MANAGE_ROLES = (Role.admin, Role.infocenter)
BACKUP_ROLES = (Role.admin, Role.infocenter, Role.ops)
ENTITY = "device"
WHAT = "设备"
AUDIT_EXCLUDE = {"created_at", "updated_at", "last_backup_at", "last_backup_outcome", "last_backup_error",
                 "last_success_at", "drift_since"}
INVENTORY = Path("inventory/devices.yaml")
# The file's names for the reference fields (the API's names are accepted too).
FILE_KEYS = {"password": "password_ref", "enable_secret": "enable_secret_ref"}
# Fields the inventory file sets (name is the key); a device the file describes is the file's to change.
SYNCED = ("host", "port", "device_type", "site", "department_id", "network_id", "zone", "username", "password_ref",
          "enable_secret_ref")


@dataclass
class DeviceFilter:
    """The one filter set every list of devices uses: API, pages, CLI."""
    department_id: int | None = None
    drifted: bool | None = None
    q: str | None = None


def _refuse(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, errors=[{"field": field, "message": message, "code": code}])


def _conditions(session: Session, actor: Actor, f: DeviceFilter) -> list:
    where = scope.scope_condition(actor, Device.department_id)
    if f.department_id is not None:
        where.append(scope.under_department(session, actor, f.department_id, Device.department_id))
    if f.drifted is not None:
        where.append(Device.drifted.is_(f.drifted))
    if f.q and f.q.strip():
        where.append(dialect.contains_text([Device.name, Device.host, Device.site], f.q.strip()))
    return where


def _summary_query():
    return (select(Device.id, Device.name, Device.host, Device.port, Device.device_type, Device.site,
                   Device.department_id, Department.name.label("department_name"), Device.network_id,
                   PrivateNetwork.name.label("network_name"), Device.zone, Device.source, Device.drifted,
                   Device.last_backup_at, Device.last_backup_outcome, Device.last_success_at)
            .join(Department, Department.id == Device.department_id)
            .outerjoin(PrivateNetwork, PrivateNetwork.id == Device.network_id))


def list_devices(session: Session, actor: Actor, f: DeviceFilter, limit: int = 50,
                 offset: int = 0) -> tuple[list[DeviceSummary], int]:
    where = _conditions(session, actor, f)
    total = session.execute(select(func.count()).select_from(Device).where(*where)).scalar_one()
    rows = session.execute(_summary_query().where(*where).order_by(Device.name).limit(limit).offset(offset))
    return [DeviceSummary.model_validate(row._mapping) for row in rows], total


def get_device(session: Session, actor: Actor, device_id: int) -> Device:
    return scope.get_scoped(session, actor, Device, device_id, WHAT)


def get_by_name(session: Session, actor: Actor, name: str) -> Device:
    found = session.execute(select(Device.id).where(Device.name == name)).scalar()
    if found is None:
        raise NotFound(f"设备 {name} 不存在")
    return get_device(session, actor, found)


def detail(session: Session, device: Device) -> DeviceOut:
    row = session.execute(_summary_query().where(Device.id == device.id)).one()
    versions = session.execute(select(func.count()).select_from(DeviceBackup)
                               .where(DeviceBackup.device_id == device.id)).scalar_one()
    return DeviceOut.model_validate({**device.model_dump(), **row._mapping, "versions": versions})


def _check(session: Session, actor: Actor, data: DeviceCreate) -> None:
    """A classified network first (nothing else about the device is looked at), then the department in the
    actor's scope, a device type netmiko drives and a network of the device's own department."""
    if data.on_classified_network:
        classified.refuse("on_classified_network")
    department = scope.visible_department(session, actor, data.department_id, field="department_id")
    if data.device_type not in device_types():
        raise _refuse("device_type", f"设备类型 {data.device_type} 不是 netmiko 支持的类型（如 cisco_ios）",
                      "unknown_device_type")
    if data.network_id is not None:
        network = session.get(PrivateNetwork, data.network_id)
        if network is None:
            raise _refuse("network_id", f"业务专网 {data.network_id} 不存在", "not_found")
        owner = session.get(Department, network.department_id)
        if not owner.path.startswith(department.path) and not department.path.startswith(owner.path):
            raise _refuse("network_id", f"业务专网“{network.name}”不属于{department.name}", "other_department")


def _values(data: DeviceCreate) -> dict[str, Any]:
    return data.model_dump(exclude={"on_classified_network", "name"})


def create_device(session: Session, actor: Actor, data: DeviceCreate, source: DeviceSource = DeviceSource.service,
                  commit: bool = True) -> Device:
    actor.require(*MANAGE_ROLES)
    _check(session, actor, data)
    if session.execute(select(Device.id).where(Device.name == data.name)).scalar() is not None:
        raise Conflict(f"已有名为 {data.name} 的设备", code="duplicate_name")
    device = Device(name=data.name, source=source, **_values(data))
    session.add(device)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"已有名为 {data.name} 的设备", code="duplicate_name") from None
    audit.record(session, actor, "create", ENTITY, device.id, after=audit.snapshot(device, AUDIT_EXCLUDE),
                 label=device.name)
    if commit:
        session.commit()
    return device


# --- the inventory file --------------------------------------------------------------------------------

def _file_rows(session: Session, path: Path) -> list[DeviceCreate]:
    """The file's devices as create requests, every problem named by its entry and field (all or nothing)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"无法读取设备清单文件 {path}：{type(exc).__name__}") from None
    entries = data.get("devices") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValidationFailed(f"设备清单文件 {path} 应有 devices: 列表")
    rows, errors, names = [], [], set()
    for i, entry in enumerate(entries, 1):
        where = f"第 {i} 项"
        if not isinstance(entry, dict):
            errors.append({"field": where, "message": "应为键值对", "code": "invalid"})
            continue
        entry = dict(entry)
        where = f"第 {i} 项（{entry.get('name', '')}）"
        code, network = entry.pop("department", None), entry.pop("network", None)
        for short, field in FILE_KEYS.items():
            if short in entry:
                entry[field] = entry.pop(short)
        if entry.pop("classified", False):
            entry["on_classified_network"] = True
        department = session.execute(select(Department).where(Department.code == str(code or "").upper())).scalar()
        if department is None:
            errors.append({"field": f"{where} department", "message": f"部门代码 {code} 不存在", "code": "not_found"})
            continue
        entry["department_id"] = department.id
        if network:
            found = session.execute(select(PrivateNetwork.id).where(PrivateNetwork.department_id == department.id,
                                                                    PrivateNetwork.name == network)).scalar()
            if found is None:
                errors.append({"field": f"{where} network", "message": f"{department.name}没有业务专网“{network}”",
                               "code": "not_found"})
                continue
            entry["network_id"] = found
        try:
            row = DeviceCreate.model_validate(entry)
        except ValidationError as exc:
            errors += [{"field": f"{where} {'.'.join(map(str, e['loc']))}", "message": zh_error(e), "code": "invalid"}
                       for e in exc.errors()]
            continue
        if row.name in names:
            errors.append({"field": f"{where} name", "message": f"设备名 {row.name} 重复", "code": "duplicate"})
        names.add(row.name)
        rows.append(row)
    if errors:
        raise ValidationFailed(f"设备清单文件有 {len(errors)} 处错误，未同步任何设备", errors=errors)
    return rows


def sync_inventory(session: Session, actor: Actor, path: Path = INVENTORY) -> SyncResult:
    """Make the devices of the file match it: new ones created, changed ones updated (audited with the
    change), the rest untouched; a second run changes nothing. Devices registered in the service are the
    file's only when it names them. Devices of the file no longer in it are reported, not deleted (their
    backups are history)."""
    actor.require(*MANAGE_ROLES)
    rows = _file_rows(session, path)
    result = SyncResult(created=[], updated=[], unchanged=[], not_in_file=[])
    for row in rows:
        _check(session, actor, row)
        device = session.execute(select(Device).where(Device.name == row.name)).scalar()
        if device is None:
            create_device(session, actor, row, DeviceSource.inventory, commit=False)
            result.created.append(row.name)
            continue
        scope.visible_department(session, actor, device.department_id)
        before = audit.snapshot(device, AUDIT_EXCLUDE)
        for key, value in _values(row).items():
            setattr(device, key, value)
        device.source = DeviceSource.inventory
        change = audit.diff(before, audit.snapshot(device, AUDIT_EXCLUDE))
        if not change:
            result.unchanged.append(row.name)
            continue
        device.updated_at = now()
        session.add(device)
        audit.record(session, actor, "sync", ENTITY, device.id, changes=change, label=device.name)
        result.updated.append(row.name)
    named = {row.name for row in rows}
    result.not_in_file = sorted(n for n in session.execute(select(Device.name).where(
        Device.source == DeviceSource.inventory)).scalars() if n not in named)
    session.commit()
    return result


# --- drift --------------------------------------------------------------------------------------------

def accept_drift(session: Session, actor: Actor, device_id: int, comment: str = "") -> Device:
    """The info centre has looked at a drifted device's change and takes its config as the new baseline."""
    actor.require(*MANAGE_ROLES)
    device = get_device(session, actor, device_id)
    if not device.drifted:
        raise Conflict(f"设备 {device.name} 没有配置漂移", code="not_drifted")
    device.drifted, device.drift_since, device.updated_at = False, None, now()
    session.add(device)
    audit.record(session, actor, "accept_drift", ENTITY, device.id, changes={"drifted": [True, False],
                                                                                "comment": comment},
                 label=device.name)
    session.commit()
    return device


def metric_figures(session: Session) -> tuple[dict[str, int], dict[str, float]]:
    """Per department code: devices drifted now, and the oldest last successful backup of its devices (0 when
    one was never backed up), so an alert on the oldest sees any device left behind."""
    drifted: dict[str, int] = {}
    oldest: dict[str, float] = {}
    rows = session.execute(select(Department.code, Device.drifted, Device.last_success_at)
                           .join(Department, Department.id == Device.department_id))
    for code, is_drifted, success in rows:
        drifted[code] = drifted.get(code, 0) + int(bool(is_drifted))
        stamp = success.timestamp() if success else 0.0
        oldest[code] = min(oldest.get(code, stamp), stamp)
    return drifted, oldest
