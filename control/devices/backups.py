"""Config backups: `show running-config` kept as versions (a new one only when the masked, normalised content
changed), diffs between any two, the daily backup of every device, and drift — a new version that no change of
yunzhang's took is flagged on the device, audited and counted. A later change pipeline calls
`take_backup(..., expected=True)` for its own post-change backup so that it is not taken for drift."""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from control.core import audit, duties
from control.core.auth import Actor
from control.core.clock import now
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.core.secrets import SecretError, is_named_reference, resolve_secret
from control.devices import rules, service
from control.devices.enums import BackupOutcome
from control.devices.models import Device, DeviceBackup
from control.devices.netmiko import DeviceError, Emit, Target, connect
from control.devices.schemas import BackupOut, BackupResult, DiffOut

log = logging.getLogger("yunzhang.devices")
TIMEOUT_SECONDS = 20


def target(device: Device) -> Target:
    """The device's login with its secrets resolved now (never stored); ValidationFailed naming the reference
    when one cannot be resolved, before any connection is tried."""
    values = {}
    for field, reference in (("password", device.password_ref), ("secret", device.enable_secret_ref)):
        if not reference:
            values[field] = ""
            continue
        if not is_named_reference(reference):
            raise ValidationFailed(f"设备 {device.name} 的密钥引用须为 secret:名称", code="bad_secret_reference")
        try:
            values[field] = resolve_secret(reference)
        except SecretError as exc:
            raise ValidationFailed(f"设备 {device.name} 的密钥不可用：{exc}", code="secret_unavailable") from None
    return Target(name=device.name, host=device.host, port=device.port, device_type=device.device_type,
                  username=device.username, **values)


def current_config(device: Device, emit: Emit | None = None, keep: float = 0) -> str:
    """The device's running config now, masked and normalised (as a backup would store it). The device's own
    login secrets are redacted wherever they appear in it, not only on the lines masking knows. `keep`: see
    netmiko.connect."""
    login = target(device)
    with connect(login, emit, TIMEOUT_SECONDS, keep) as connection:
        return rules.stored_form(login.redact(connection.running_config()))


def latest(session: Session, device_id: int) -> DeviceBackup | None:
    return session.execute(select(DeviceBackup).where(DeviceBackup.device_id == device_id)
                           .order_by(DeviceBackup.version.desc()).limit(1)).scalar()


def record_backup(session: Session, device: Device, content: str, *, actor: Actor,
                  expected: bool = False) -> tuple[DeviceBackup, bool]:
    """Store `content` (already in stored form) as the device's next version unless it equals the latest;
    (the current version, whether it is new). A new version not `expected` after an earlier one is drift:
    flagged on the device and audited. Commits. Two backups of one device at once (the daily job and a click)
    are taken one after the other: the device row is locked first (PostgreSQL), and a version number taken
    meanwhile (SQLite) makes this one compare again with the version now latest."""
    try:
        return _record(session, device, content, actor, expected)
    except IntegrityError:
        session.rollback()
        return _record(session, session.get(Device, device.id), content, actor, expected)


def _record(session: Session, device: Device, content: str, actor: Actor,
            expected: bool) -> tuple[DeviceBackup, bool]:
    session.execute(select(Device.id).where(Device.id == device.id).with_for_update())
    previous = latest(session, device.id)
    at = now()
    device.last_backup_at = device.last_success_at = at
    device.last_backup_error = None
    digest = rules.digest(content)
    if previous is not None and previous.digest == digest:
        device.last_backup_outcome = BackupOutcome.unchanged
        session.add(device)
        session.commit()
        return previous, False
    drift = previous is not None and not expected
    backup = DeviceBackup(device_id=device.id, version=(previous.version if previous else 0) + 1, content=content,
                          digest=digest, taken_at=at, taken_by=actor.username, expected=expected, drift=drift)
    session.add(backup)
    device.last_backup_outcome = BackupOutcome.changed
    change: dict = {"version": [previous.version if previous else None, backup.version], "digest": digest}
    if drift and not device.drifted:
        device.drifted, device.drift_since = True, at
        change["drifted"] = [False, True]
    session.add(device)
    session.flush()
    audit.record(session, actor, "drift" if drift else "backup", service.ENTITY, device.id, changes=change,
                 label=device.name)
    session.commit()
    if drift:
        log.warning("device %s: running config changed outside yunzhang (version %d)", device.name, backup.version)
    return backup, True


def _record_failure(session: Session, device: Device, message: str) -> None:
    session.rollback()
    device = session.get(Device, device.id)
    device.last_backup_at, device.last_backup_outcome = now(), BackupOutcome.failed
    device.last_backup_error = message[:500]
    session.add(device)
    session.commit()


def take_backup(session: Session, device: Device, *, actor: Actor, emit: Emit | None = None,
                expected: bool = False, keep: float = 0) -> DeviceBackup:
    """Read the running config and keep it as a version when it changed. A device that cannot be reached or
    whose secrets cannot be resolved has the failure recorded on it, then Conflict (409) with the reason."""
    duties.check(actor, duties.Step(name="备份设备配置", roles=service.BACKUP_ROLES))
    try:
        content = current_config(device, emit, keep)
    except (DeviceError, ValidationFailed) as exc:
        message = exc.detail if isinstance(exc, ValidationFailed) else str(exc)
        _record_failure(session, device, message)
        raise Conflict(f"备份失败：{message}", code="backup_failed") from None
    backup, _ = record_backup(session, device, content, actor=actor, expected=expected)
    return backup


def backup_device(session: Session, actor: Actor, device_id: int, emit: Emit | None = None) -> BackupResult:
    """The API's and the CLI's backup of one device (scope applied)."""
    device = service.get_device(session, actor, device_id)
    before = latest(session, device.id)
    backup = take_backup(session, device, actor=actor, emit=emit)
    new = before is None or backup.id != before.id
    return BackupResult(device_id=device.id, outcome=BackupOutcome.changed if new else BackupOutcome.unchanged,
                        backup=BackupOut.model_validate(backup), drift=backup.drift and new)


def backup_all(session: Session, actor: Actor, emit: Emit | None = None,
               on_done: Callable[[str, str], None] | None = None) -> dict[str, int]:
    """Every device of the actor's scope, each in its own try/except and transaction, so one unreachable
    device does not stop the rest: {changed, unchanged, failed}."""
    counts = {"changed": 0, "unchanged": 0, "failed": 0}
    ids = [d.id for d in service.list_devices(session, actor, service.DeviceFilter(), limit=1_000_000)[0]]
    for device_id in ids:
        try:
            result = backup_device(session, actor, device_id, emit)
            outcome = result.outcome.value
        except Exception as exc:  # one device's failure is recorded on it; the others are still backed up
            session.rollback()
            outcome = "failed"
            log.warning("backup of device %s failed: %s", device_id, exc)
        counts[outcome] += 1
        if on_done:
            on_done(str(device_id), outcome)
    return counts


def list_backups(session: Session, actor: Actor, device_id: int, limit: int = 100,
                 offset: int = 0) -> tuple[list[BackupOut], int]:
    device = service.get_device(session, actor, device_id)
    total = session.execute(select(func.count()).select_from(DeviceBackup)
                            .where(DeviceBackup.device_id == device.id)).scalar_one()
    rows = session.execute(select(DeviceBackup).where(DeviceBackup.device_id == device.id)
                           .order_by(DeviceBackup.version.desc()).limit(limit).offset(offset)).scalars()
    return [BackupOut.model_validate(r).model_copy(update={"content": None}) for r in rows], total


def get_version(session: Session, actor: Actor, device_id: int, version: int) -> DeviceBackup:
    device = service.get_device(session, actor, device_id)
    found = session.execute(select(DeviceBackup).where(DeviceBackup.device_id == device.id,
                                                       DeviceBackup.version == version)).scalar()
    if found is None:
        raise NotFound(f"设备 {device.name} 没有第 {version} 版配置")
    return found


def diff(session: Session, actor: Actor, device_id: int, from_version: int, to_version: int) -> DiffOut:
    old = get_version(session, actor, device_id, from_version)
    new = get_version(session, actor, device_id, to_version)
    text = rules.unified_diff(old.content, new.content, f"v{old.version}", f"v{new.version}")
    return DiffOut(device_id=device_id, from_version=old.version, to_version=new.version, diff=text)
