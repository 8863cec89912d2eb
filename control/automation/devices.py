"""The device-change executor: the `device` run kind, a change's check, apply (and resume) and rollback over
netmiko (control/devices/netmiko.py), one connection per device and step.

Crash safety: a device's backup and rendered commands are committed at check, before any command is sent;
each device's progress (applying, applied, verified, saved) is committed as it happens. Resume verifies the
devices a dead worker left applied or half-way: a device whose verify passes is not sent its commands again,
one whose config still equals its backup is applied as if new, and anything else fails for a person to roll
back. Cancel is read between devices, never in the middle of one."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlmodel import Session

from control.automation import rules, service, templates
from control.automation.enums import TargetStatus
from control.automation.models import Change, ChangeTarget
from control.core import runs
from control.core.clock import now
from control.core.errors import ServiceError
from control.devices import backups
from control.devices import rules as config_rules
from control.devices.models import Device, DeviceBackup
from control.devices.netmiko import Connection, DeviceError, connect
from control.settings import get_settings

KIND = "device"
# Seconds to wait after each device is done: the crash-safety test's hook to kill a worker between devices.
PAUSE_ENV = "YUNZHANG_AUTOMATION_DEVICE_PAUSE"


class DeviceFailed(Exception):
    """One device's step failed; the message (zh-CN) is kept on its target row."""


def keep() -> float:
    """Seconds a device session outlives one step of a change, for the next step to use (netmiko.connect)."""
    return get_settings().device_session_keep_seconds


def concurrency(change: Change) -> int:
    return max(1, change.concurrency or get_settings().automation_workers or 1)


def _events(ctx: runs.RunContext) -> Callable[[dict], None]:
    """netmiko's events (connect, command, error) as run events: device as host, command as task."""
    def emit(event: dict) -> None:
        ctx.emit({"event": "command" if event.get("kind") == "command" else "message",
                  "host": event.get("device", ""), "task": event.get("command") or event.get("kind", ""),
                  "stdout": event.get("output", ""), "failed": bool(event.get("failed"))})
    return emit


def _save(sessions: Callable[[], Session], target: ChangeTarget, **values) -> None:
    """Commit a target's progress now (the row is read fresh, so parallel devices never overwrite each other)."""
    with sessions() as session:
        row = session.get(ChangeTarget, target.id)
        for key, value in values.items():
            setattr(row, key, value)
            setattr(target, key, value)
        session.add(row)
        session.commit()


def _config(connection: Connection) -> str:
    """The running config in stored form (masked, normalised), as a backup keeps it."""
    return config_rules.stored_form(connection.target.redact(connection.running_config()))


def _verify(connection: Connection, target: ChangeTarget) -> list[str]:
    problems = []
    for check in target.verify:
        output = connection.show(check["command"])
        problems += [f"{check['command']}：{p}" for p in rules.verify_failures(output, check["expect"],
                                                                               check["absent"])]
    return problems


def drifted_devices(session: Session, change: Change, targets: list[ChangeTarget]) -> list[str]:
    """The devices (with why, zh-CN) whose running config differs from the backup they were checked against:
    known without a connection when a newer version has been kept since (the daily backup saw it), else read
    now, in parallel, on the sessions the check kept where they are still open. The apply run compares again
    on the connection that applies, so a change in between is still caught."""
    checked = dict(session.execute(select(DeviceBackup.id, DeviceBackup.version)
                                   .where(DeviceBackup.id.in_([t.backup_id for t in targets]))).all())
    newest = dict(session.execute(select(DeviceBackup.device_id, func.max(DeviceBackup.version))
                                  .where(DeviceBackup.device_id.in_([t.device_id for t in targets]))
                                  .group_by(DeviceBackup.device_id)).all())
    known = [f"{t.name} 自检查（第 {checked.get(t.backup_id)} 版）以来已备份到第 {newest[t.device_id]} 版"
             for t in targets if newest.get(t.device_id, 0) > (checked.get(t.backup_id) or 0)]
    if known:
        return known
    devices = {t.id: session.get(Device, t.device_id) for t in targets}

    def read(target: ChangeTarget) -> str | None:
        try:
            content = backups.current_config(devices[target.id], keep=keep())
        except (DeviceError, ServiceError) as exc:
            return f"{target.name} 无法读取配置（{getattr(exc, 'detail', exc)}）"
        if config_rules.digest(content) != target.backup_digest:
            return f"{target.name} 的当前配置与检查时的备份不同"
        return None

    with ThreadPoolExecutor(concurrency(change)) as pool:
        return [p for p in pool.map(read, targets) if p]


# --- the run kind -------------------------------------------------------------------------------------------

def handle(ctx: runs.RunContext) -> dict:
    with ctx.sessions() as session:
        change = session.get(Change, ctx.run.change_id)
        targets = service.targets_of(session, change.id)
        devices = {t.id: session.get(Device, t.device_id) for t in targets}
    job = Job(ctx, change, devices)
    return {"check": job.check, "apply": job.apply, "rollback": job.rollback}[ctx.run.mode](targets)


class Job:
    """One run of one change: the devices in order, their outcomes, and the first failure that stops the rest."""

    def __init__(self, ctx: runs.RunContext, change: Change, devices: dict[int, Device]):
        self.ctx, self.change, self.devices = ctx, change, devices
        self.emit = _events(ctx)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.failures: list[str] = []
        self.cancelled = False
        self.pause = float(os.environ.get(PAUSE_ENV) or 0)

    def settle(self, outcome: str, error: str = "", **values) -> None:
        with self.ctx.sessions() as session:
            service.settle(session, self.change.id, outcome, error, **values)

    def fail(self, target: ChangeTarget, message: str, **values) -> None:
        _save(self.ctx.sessions, target, error=message[:2000], **values)
        with self.lock:
            self.failures.append(f"{target.name}：{message}")
        self.stop.set()
        self.ctx.emit({"event": "message", "host": target.name, "task": "失败", "stdout": message, "failed": True})

    def each(self, targets: list[ChangeTarget], step: Callable[[ChangeTarget], None], first_alone: bool) -> None:
        """`step` on every target, the first alone (the canary) when asked, the rest `concurrency` at a time;
        none starts after a failure or a cancel request."""
        def guarded(target: ChangeTarget) -> None:
            if self.stop.is_set():
                return
            if self.ctx.cancelled():
                self.cancelled = True
                self.stop.set()
                return
            step(target)
            if self.pause:
                time.sleep(self.pause)

        if first_alone and targets:
            guarded(targets[0])
            targets = targets[1:]
        with ThreadPoolExecutor(concurrency(self.change)) as pool:
            list(pool.map(guarded, targets))

    # check ----------------------------------------------------------------------------------------------

    def check(self, targets: list[ChangeTarget]) -> dict:
        """Back each device up, render its commands and the expected diff; nothing is sent but `show`."""
        try:                                   # each device with its own variables over the common ones
            template = templates.get(self.change.template)
            rendered = {t.id: template.render({**self.change.variables, **t.variables}) for t in targets}
        except ServiceError as exc:
            self.settle("check_failed", exc.detail)
            raise runs.RunFailed(exc.detail) from None
        for target in targets:                 # a re-check starts afresh
            _save(self.ctx.sessions, target, status=TargetStatus.pending, error="")

        def one(target: ChangeTarget) -> None:
            device = self.devices[target.id]
            with self.ctx.sessions() as session:
                try:
                    backup = backups.take_backup(session, device, actor=service.RUN_ACTOR, emit=self.emit, keep=keep())
                except ServiceError as exc:
                    self.fail(target, exc.detail)
                    return
            mine = rendered[target.id]
            expected = rules.expected_config(backup.content, mine.commands)
            _save(self.ctx.sessions, target, status=TargetStatus.checked, backup_id=backup.id,
                  backup_digest=backup.digest, commands=mine.commands, rollback_commands=mine.rollback,
                  verify=mine.verify, expected_diff=config_rules.unified_diff(
                      backup.content, expected, f"{target.name} v{backup.version}", f"{target.name} 变更后（预计）"))

        self.each(targets, one, first_alone=False)
        if self.failures or self.cancelled:
            error = "；".join(self.failures) or "检查已取消"
            self.settle("check_failed", error)
            raise runs.Cancelled() if self.cancelled and not self.failures else runs.RunFailed(error)
        self.settle("check_passed", checked_at=now(), checked_by=self.ctx.run.params.get("actor"))
        return {"checked": len(targets)}

    # apply ----------------------------------------------------------------------------------------------

    def apply(self, targets: list[ChangeTarget]) -> dict:
        """Canary first, then the rest; each device: drift check, commands, verify, write memory, backup.
        On resume the devices already (or half) applied are settled first."""
        if self.ctx.run.params.get("resume"):
            self.each([t for t in targets if t.status in (TargetStatus.applying, TargetStatus.applied,
                                                          TargetStatus.verified)], self.resume_one, False)
            if not self.failures and not self.cancelled:
                self.settle("resumed")
        todo = [t for t in targets if t.status == TargetStatus.checked]
        self.sent = len(targets) - len(todo)
        self.total = len(targets)
        self.each(todo, self.apply_one, first_alone=True)
        return self.finish(targets, "verified")

    def finish(self, targets: list[ChangeTarget], success: str) -> dict:
        done = {t.name: t.status.value for t in targets}
        if self.failures:
            self.settle("failed", "；".join(self.failures))
            raise runs.RunFailed("；".join(self.failures), {"targets": done})
        if self.cancelled:
            self.settle("cancelled", "已在设备之间取消")
            raise runs.Cancelled()
        if success == "verified":
            self.settle("sent")
        self.settle(success)
        return {"targets": done}

    def _count_sent(self) -> None:
        with self.lock:
            self.sent += 1
            if self.sent == self.total:
                self.settle("sent")

    def apply_one(self, target: ChangeTarget) -> None:
        device = self.devices[target.id]
        try:
            login = backups.target(device)
            with connect(login, self.emit, backups.TIMEOUT_SECONDS, keep()) as c:
                before = _config(c)
                if config_rules.digest(before) != target.backup_digest:
                    self.fail(target, rules.DEVICE_CHANGED, status=TargetStatus.failed)
                    return
                _save(self.ctx.sessions, target, status=TargetStatus.applying)
                try:
                    c.configure(target.commands)
                except DeviceError as exc:
                    self._roll_back_alone(c, target, str(exc))
                    return
                _save(self.ctx.sessions, target, status=TargetStatus.applied, applied=True, applied_at=now())
                self._count_sent()
                self._verify_and_save(c, target)
        except (DeviceError, ServiceError) as exc:      # lost half-way: some commands may have gone out
            self.fail(target, getattr(exc, "detail", None) or str(exc), status=TargetStatus.failed,
                      applied=target.applied or target.status == TargetStatus.applying)

    def _verify_and_save(self, c: Connection, target: ChangeTarget) -> None:
        problems = _verify(c, target)
        if problems:
            self._roll_back_alone(c, target, "验证未通过：" + "；".join(problems))
            return
        _save(self.ctx.sessions, target, status=TargetStatus.verified, verified=True, verified_at=now())
        c.write_memory()
        content = _config(c)
        with self.ctx.sessions() as session:
            backups.record_backup(session, session.get(Device, target.device_id), content, actor=service.RUN_ACTOR,
                                  expected=True)
        _save(self.ctx.sessions, target, status=TargetStatus.saved, saved_at=now())

    def _roll_back_alone(self, c: Connection, target: ChangeTarget, why: str) -> None:
        """A device that refused a command or failed its verify is rolled back by itself, the rollback checked
        against its backup (noise aside); then the run stops."""
        ok = self._rollback_on(c, target)
        self.fail(target, why + ("；已回退到检查时的配置" if ok else "；回退后配置与备份不一致"),
                  status=TargetStatus.rolled_back if ok else TargetStatus.rollback_failed,
                  rolled_back_at=now() if ok else None)

    def _rollback_on(self, c: Connection, target: ChangeTarget) -> bool:
        """The rollback commands, unless the device already holds its backup (nothing of the change took);
        True when its config equals the backup afterwards (noise aside)."""
        with self.ctx.sessions() as session:
            backup = session.get(DeviceBackup, target.backup_id)
        current = _config(c)
        if current == backup.content:
            return True
        try:
            c.configure(rules.applicable(target.rollback_commands, current))
        except DeviceError as exc:       # judged by the config below
            self.ctx.emit({"event": "message", "host": target.name, "task": "回退", "stdout": str(exc)})
        if _config(c) != backup.content:
            return False
        with self.ctx.sessions() as session:    # yunzhang's own change back: a version, but not drift
            backups.record_backup(session, session.get(Device, target.device_id), backup.content,
                                  actor=service.RUN_ACTOR, expected=True)
        return True

    def resume_one(self, target: ChangeTarget) -> None:
        """A device a dead worker left applied or half-way: verify passes → done (saved), never sent again; its
        config still the backup → applied afresh with the rest; anything else fails for a rollback."""
        device = self.devices[target.id]
        try:
            with connect(backups.target(device), self.emit, backups.TIMEOUT_SECONDS, keep()) as c:
                if not _verify(c, target):
                    if target.status != TargetStatus.verified:
                        _save(self.ctx.sessions, target, applied=True, applied_at=target.applied_at or now())
                    self._verify_and_save(c, target)
                    return
                if config_rules.digest(_config(c)) == target.backup_digest:
                    _save(self.ctx.sessions, target, status=TargetStatus.checked, applied=False, applied_at=None)
                    return
                self.fail(target, "中断时命令已部分下发且验证未通过，请回退", status=TargetStatus.failed,
                          applied=True)
        except (DeviceError, ServiceError) as exc:
            self.fail(target, getattr(exc, "detail", None) or str(exc), status=TargetStatus.failed)

    # rollback -------------------------------------------------------------------------------------------

    def rollback(self, targets: list[ChangeTarget]) -> dict:
        """Every device already changed (or half-way, or whose rollback failed) gets the rollback commands; each
        is judged by its config equalling its backup; saved devices are saved again."""
        changed = [t for t in targets if t.status != TargetStatus.rolled_back
                   and (t.applied or t.status in (TargetStatus.applying, TargetStatus.rollback_failed))]

        def one(target: ChangeTarget) -> None:
            try:
                with connect(backups.target(self.devices[target.id]), self.emit, backups.TIMEOUT_SECONDS,
                             keep()) as c:
                    if not self._rollback_on(c, target):
                        self.fail(target, "回退后配置与备份不一致", status=TargetStatus.rollback_failed)
                        return
                    if target.saved_at:
                        c.write_memory()
                _save(self.ctx.sessions, target, status=TargetStatus.rolled_back, rolled_back_at=now(), error="")
            except (DeviceError, ServiceError) as exc:
                self.fail(target, getattr(exc, "detail", None) or str(exc), status=TargetStatus.rollback_failed)

        for target in changed:           # one after another: a rollback is not cancelled half-way
            one(target)
        done = {t.name: t.status.value for t in targets}
        if self.failures:
            self.settle("rollback_failed", "；".join(self.failures))
            raise runs.RunFailed("；".join(self.failures), {"targets": done})
        self.settle("rolled_back")
        return {"targets": done}
