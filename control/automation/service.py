"""Reading runs and their events, scoped: operators, the Information Center, the bureau, administrators and
auditors see every run; a department sees the runs whose subject (device, change) lies in its subtree. Then the
change pipeline's use cases (below)."""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select
from sqlmodel import Session

from control.automation import ansible, links, playbook, rules, templates
from control.automation.enums import ChangeKind, ChangeStatus, TargetStatus
from control.automation.inventory import build_inventory, classified_hosts
from control.automation.models import Change, ChangeTarget
from control.automation.schemas import ChangeActionIn, ChangeIn, ChangeOut, RunOut, TargetOut
from control.core import audit, classified, duties, runs, scope
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.clock import now
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.core.policy import Policy
from control.core.roles import Role
from control.core.scope import get_scoped, scope_condition
from control.devices.models import Device

log = logging.getLogger("yunzhang.automation")

# The bureau approves changes, after reading their checks (runs and events) too.
READ_ROLES = (Role.admin, Role.infocenter, Role.ops, Role.auditor, Role.department, Role.bureau)


def get_run(session: Session, actor: Actor, run_id: int) -> runs.Run:
    actor.require(*READ_ROLES)
    return get_scoped(session, actor, runs.Run, run_id, "运行")


def list_runs(session: Session, actor: Actor, *, status: runs.RunStatus | None = None, kind: str | None = None,
              change_id: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[runs.Run], int]:
    actor.require(*READ_ROLES)
    where = scope_condition(actor, runs.Run.department_id)
    if status is not None:
        where.append(runs.Run.status == status)
    if kind:
        where.append(runs.Run.kind == kind)
    if change_id is not None:
        where.append(runs.Run.change_id == change_id)
    total = session.execute(select(func.count()).select_from(runs.Run).where(*where)).scalar_one()
    items = session.exec(select(runs.Run).where(*where).order_by(runs.Run.id.desc()).limit(limit)
                         .offset(offset)).scalars().all()
    return list(items), total


def run_events(session: Session, actor: Actor, run_id: int, after: int = 0,
               limit: int = runs.EVENTS_LIMIT) -> tuple[runs.Run, list[runs.RunEvent], bool]:
    """The run (status read before the events, so a run seen finished has all its events in the answer or the
    next ones), its events after `after`, and whether more are waiting beyond `limit`."""
    run = get_run(session, actor, run_id)
    limit = max(1, min(limit, runs.EVENTS_LIMIT))
    items = runs.events_after(session, run_id, after, limit + 1)
    return run, items[:limit], len(items) > limit


# --- changes ------------------------------------------------------------------------------------------------
# The change pipeline's use cases. People's actions (check, approve, apply, rollback, cancel, resume) are checked
# against the transition table (rules.py) and the separation of duties (core/duties.py), audited, and hand
# the work to a run; the runs report their outcomes through `settle`, which applies the same table.

OPERATE_ROLES = (Role.admin, Role.infocenter)
ENTITY = "change"
WHAT = "变更"
RUN_ACTOR = Actor(id=None, username="automation", role=Role.infocenter, department_id=None, scope_path=None)
# Called with (session, change) when a change ends (succeeded, failed, rolled back, ...), after its state is
# committed: how the plan steps, cloud requests and zombie cases a change serves learn of it without this module
# importing them. A listener commits its own writes; its failure is logged and rolled back, never the change's.
finished_listeners: list[Callable[[Session, Change], None]] = []
ENDED = (ChangeStatus.succeeded, ChangeStatus.failed, ChangeStatus.rolled_back, ChangeStatus.rollback_failed,
         ChangeStatus.cancelled)


def _refuse(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, errors=[{"field": field, "message": message, "code": code}])


def targets_of(session: Session, change_id: int) -> list[ChangeTarget]:
    return list(session.execute(select(ChangeTarget).where(ChangeTarget.change_id == change_id)
                                .order_by(ChangeTarget.position)).scalars())


def get_change(session: Session, actor: Actor, change_id: int) -> Change:
    actor.require(*READ_ROLES)
    change = get_scoped(session, actor, Change, change_id, WHAT)
    _settle_dead_run(session, change)
    return change


def list_changes(session: Session, actor: Actor, *, status: ChangeStatus | None = None,
                 kind: ChangeKind | None = None, plan_step_id: int | None = None, device_id: int | None = None,
                 cloud_request_id: int | None = None, zombie_case_id: int | None = None,
                 limit: int = 50, offset: int = 0) -> tuple[list[Change], int]:
    actor.require(*READ_ROLES)
    _settle_dead_runs(session)
    where = scope_condition(actor, Change.department_id)
    for column, value in ((Change.cloud_request_id, cloud_request_id), (Change.zombie_case_id, zombie_case_id)):
        if value is not None:
            where.append(column == value)
    if status is not None:
        where.append(Change.status == status)
    if kind is not None:
        where.append(Change.kind == kind)
    if plan_step_id is not None:
        where.append(Change.plan_step_id == plan_step_id)
    if device_id is not None:
        where.append(Change.id.in_(select(ChangeTarget.change_id).where(ChangeTarget.device_id == device_id)))
    total = session.execute(select(func.count()).select_from(Change).where(*where)).scalar_one()
    items = session.execute(select(Change).where(*where).order_by(Change.id.desc()).limit(limit)
                            .offset(offset)).scalars().all()
    return list(items), total


def current_digest(change: Change, targets: list[ChangeTarget]) -> str | None:
    """The digest of the checked result (None before every target has been checked)."""
    if change.status == ChangeStatus.draft or any(t.status == TargetStatus.pending for t in targets):
        return None
    return rules.approval_digest((t.name, t.backup_digest, t.commands) for t in targets)


def detail(session: Session, change: Change) -> ChangeOut:
    targets = targets_of(session, change.id)
    change_runs = session.execute(select(runs.Run).where(runs.Run.change_id == change.id)
                                  .order_by(runs.Run.id)).scalars().all()
    return ChangeOut.model_validate({**change.model_dump(), "digest": current_digest(change, targets),
                                     "actions": rules.person_actions(change.status),
                                     "targets": [TargetOut.model_validate(t) for t in targets],
                                     "runs": [RunOut.model_validate(r) for r in change_runs]})


def approval_refusal(actor: Actor, change: Change, policy: Policy) -> str | None:
    """Why `actor` may not approve `change` (zh-CN), or None: the policy's roles, never the author."""
    return duties.refusal(actor, _approve_step(change, policy), (change.author,))


def _approve_step(change: Change, policy: Policy) -> duties.Step:
    return duties.Step(name="批准变更", roles=tuple(getattr(policy.automation.approvers, change.kind.value)))


# --- creating ---------------------------------------------------------------------------------------------

def _common_department(session: Session, department_ids: set[int]) -> Department:
    """The lowest department holding all of `department_ids` (a change on two bureaus' devices is their
    common parent's, so each bureau sees only changes of its own subtree)."""
    depts = [session.get(Department, d) for d in department_ids]
    paths = [d.path.strip("/").split("/") for d in depts]
    common = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    if not common:
        raise _refuse("device_ids", "目标不属于同一上级单位，请分开建立变更", "no_common_department")
    return session.get(Department, int(common[-1]))


def _device_targets(session: Session, actor: Actor, data: ChangeIn) -> tuple[list[dict], set[int], dict]:
    if not data.template:
        raise _refuse("template", "设备变更须指定模板（template）", "template_required")
    found = templates.load_all().get(data.template)
    if found is None:
        raise _refuse("template", f"没有名为 {data.template} 的设备变更模板", "unknown_template")
    if not data.device_ids or data.hosts:
        raise _refuse("device_ids", "设备变更须列出设备（device_ids），不列主机", "device_ids_required")
    if len(set(data.device_ids)) != len(data.device_ids):
        raise _refuse("device_ids", "设备重复", "duplicate")
    strangers = sorted(set(data.device_variables) - set(data.device_ids))
    if strangers:
        raise _refuse(f"device_variables.{strangers[0]}", f"设备 {strangers[0]} 不在本变更的设备中",
                      "not_a_target")
    targets, departments = [], set()
    for device_id in data.device_ids:
        device = session.get(Device, device_id)
        if device is None:
            raise _refuse("device_ids", f"设备 {device_id} 不存在", "not_found")
        scope.visible_department(session, actor, device.department_id)
        own = data.device_variables.get(device_id, {})
        _render_for(found, data.variables, own, device)     # checked now, not at the first check
        targets.append({"device_id": device.id, "name": device.name, "variables": own})
        departments.add(device.department_id)
    return targets, departments, {"template": data.template, "title": data.title or found.header.name}


def _render_for(found: templates.Template, common: dict, own: dict, device: Device) -> None:
    """Render the template for one device, its own variables over the common ones; an error in one of its own
    is named device_variables.<id>.<name> and its message names the device."""
    try:
        found.render({**common, **own})
    except ValidationFailed as exc:
        if not own:
            raise
        errors = [{**e, "field": e["field"].replace("variables.", f"device_variables.{device.id}.", 1)}
                  if e.get("field", "").removeprefix("variables.") in own else e for e in exc.errors]
        raise ValidationFailed(f"设备 {device.name}：{exc.detail}", code=exc.code, errors=errors) from None


def _host_targets(session: Session, actor: Actor, data: ChangeIn) -> tuple[list[dict], set[int], dict]:
    if not data.playbook or playbook.playbook_file(data.playbook, "apply") is None:
        raise _refuse("playbook", f"没有名为 {data.playbook or ''} 的剧本", "unknown_playbook")
    if not data.hosts or data.device_ids or data.device_variables:
        raise _refuse("hosts", "剧本变更须列出主机（hosts），不列设备", "hosts_required")
    if len(set(data.hosts)) != len(data.hosts):
        raise _refuse("hosts", "主机重复", "duplicate")
    bad = sorted(k for k in data.variables if k.startswith("ansible_"))
    if bad:
        raise _refuse("variables", f"变量 {', '.join(bad)} 由平台的主机清单给出，不能在变更中指定", "reserved")
    hostvars = build_inventory(session)["_meta"]["hostvars"]
    secret_hosts = classified_hosts(session)
    targets, departments = [], set()
    for host in data.hosts:
        if host in secret_hosts:
            classified.refuse("hosts")
        if host not in hostvars:
            raise _refuse("hosts", f"主机 {host} 不在平台的主机清单中（已交付的云主机）", "unknown_host")
        dept = session.execute(select(Department).where(Department.code == hostvars[host]["yz_department"])).scalar()
        scope.visible_department(session, actor, dept.id)
        targets.append({"host": host, "name": host})
        departments.add(dept.id)
    return targets, departments, {"playbook": data.playbook,
                                  "title": data.title or playbook.PLAYBOOKS[data.playbook]}


def create_change(session: Session, actor: Actor, data: ChangeIn) -> Change:
    """A draft change with its targets in order. Classified systems and networks are refused before anything
    else is looked at."""
    actor.require(*OPERATE_ROLES)
    if data.on_classified_network:
        classified.refuse("on_classified_network")
    links.serve(session, actor, {"plan_step_id": data.plan_step_id, "cloud_request_id": data.cloud_request_id,
                                 "zombie_case_id": data.zombie_case_id})
    maker = _device_targets if data.kind == ChangeKind.device else _host_targets
    targets, departments, fields = maker(session, actor, data)
    department = _common_department(session, departments)
    change = Change(kind=data.kind, variables=data.variables, department_id=department.id, author=actor.username,
                    concurrency=data.concurrency, plan_step_id=data.plan_step_id,
                    cloud_request_id=data.cloud_request_id, zombie_case_id=data.zombie_case_id, **fields)
    session.add(change)
    session.flush()
    for position, target in enumerate(targets):
        session.add(ChangeTarget(change_id=change.id, position=position, **target))
    audit.record(session, actor, "create", ENTITY, change.id,
                 after={**audit.snapshot(change, {"created_at", "updated_at"}),
                        "targets": [t["name"] for t in targets],
                        **({"device_variables": {t["name"]: t["variables"] for t in targets if t.get("variables")}}
                           if data.device_variables else {})}, label=change.title)
    session.commit()
    return change


# --- people's actions ---------------------------------------------------------------------------------------

def act(session: Session, actor: Actor, policy: Policy, change_id: int, action: str,
        body: ChangeActionIn) -> Change:
    """One action on a change. Not in this state: 409 with the reason; wrong person: 403."""
    if action not in rules.ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作")
    change = get_change(session, actor, change_id)
    session.execute(select(Change.id).where(Change.id == change.id).with_for_update())
    session.refresh(change)
    reason = rules.transition_error(change.status, action)
    if reason:
        raise Conflict(reason, code="illegal_transition")
    if action == "approve":
        duties.check(actor, _approve_step(change, policy), (change.author,))
    else:
        duties.check(actor, duties.Step(name=rules.ACTION_LABELS[action], roles=OPERATE_ROLES))
    run = session.get(runs.Run, change.run_id) if change.run_id else None
    busy = run is not None and run.status not in runs.FINISHED
    if busy and action != "cancel":
        raise Conflict("变更正在运行中，请等待当前运行结束", code="busy")
    before = change.status
    extra: dict = {}
    targets = targets_of(session, change.id)
    if action == "check":
        change.approved_at = change.approved_by = change.approved_digest = None
        _start(session, change, "check", actor)
    elif action == "approve":
        digest = current_digest(change, targets)
        if body.digest is not None and body.digest != digest:
            raise Conflict("变更的检查结果已更新，请重新查看命令和差异后再批准", code="stale_digest")
        change.approved_at, change.approved_by, change.approved_digest = now(), actor.username, digest
        extra["digest"] = digest
    elif action == "apply":
        if current_digest(change, targets) != change.approved_digest:
            raise Conflict("检查结果与批准时不一致，请重新检查并批准", code="stale_approval")
        if change.kind == ChangeKind.device:
            _refuse_drifted(session, change, targets)
        _start(session, change, "apply", actor)
    elif action == "rollback":
        if not any(t.applied or t.status in (TargetStatus.applying, TargetStatus.failed,
                                             TargetStatus.rollback_failed) for t in targets):
            raise Conflict("没有已变更的设备或主机，无需回退", code="nothing_to_roll_back")
        _start(session, change, "rollback", actor)
    elif action == "resume":
        if change.status == ChangeStatus.failed and change.kind == ChangeKind.device:
            raise Conflict("设备变更失败后不能继续执行：请先回退，再新建变更", code="resume_failed_device")
        last = session.get(runs.Run, change.run_id) if change.run_id else None
        if last is not None and last.mode == "rollback":
            raise Conflict("中断的是回退：请执行“回退”继续", code="resume_rollback")
        _start(session, change, "apply", actor, resume=True)
    elif action == "cancel" and busy:
        runs.request_cancel(session, run)
        extra["run_id"] = run.id
    change.status = rules.next_state(change.status, action)
    if action == "cancel" and busy and run.status == runs.RunStatus.cancelled and change.status in rules.ACTIVE:
        change.status = rules.next_state(change.status, "cancelled")      # it was still queued: nothing ran
    change.updated_at = now()
    session.add(change)
    audit.record(session, actor, action, ENTITY, change.id,
                 changes={"status": [before.value, change.status.value], "comment": body.comment, **extra},
                 label=change.title)
    session.commit()
    runs.wake()
    if change.status in ENDED and change.status != before:
        _notify(session, change)
    return change


def _start(session: Session, change: Change, mode: str, actor: Actor, resume: bool = False) -> None:
    """Queue the run of this step in the action's own transaction (not runs.enqueue, which commits alone): the
    change's new state and its run are committed together or not at all."""
    kind = runs_kind(change)
    params = {"actor": actor.username, "resume": resume}
    if change.kind == ChangeKind.playbook:
        params.update(playbook.params(change.playbook, inventory_for(session, change),
                                      dict(change.variables)))
    run = runs.Run(kind=kind, mode=mode, params=params, change_id=change.id, department_id=change.department_id,
                   created_at=now())
    session.add(run)
    session.flush()
    change.run_id, change.error = run.id, ""


def runs_kind(change: Change) -> str:
    return "device" if change.kind == ChangeKind.device else playbook.KIND


def _refuse_drifted(session: Session, change: Change, targets: list[ChangeTarget]) -> None:
    """409 naming the devices whose running config is no longer the backup they were checked against (noise
    aside) or that cannot be read now; read in parallel, as many at once as the apply would."""
    from control.automation.devices import drifted_devices
    problems = drifted_devices(session, change, targets)
    if problems:
        raise Conflict(f"{rules.DEVICE_CHANGED}：" + "；".join(problems), code="device_changed")


# --- what the runs report ------------------------------------------------------------------------------------

def settle(session: Session, change_id: int, outcome: str, error: str = "", **values) -> Change:
    """Move a change by a run's outcome (the transition table decides; an outcome that does not apply in the
    change's state is ignored), audited as the automation's own entry. Commits."""
    change = session.get(Change, change_id)
    session.execute(select(Change.id).where(Change.id == change_id).with_for_update())
    session.refresh(change)
    if rules.transition_error(change.status, outcome):
        return change
    before = change.status
    change.status = rules.next_state(change.status, outcome)
    for key, value in values.items():
        setattr(change, key, value)
    change.error, change.updated_at = error[:2000] or change.error, now()
    session.add(change)
    audit.record(session, RUN_ACTOR, outcome, ENTITY, change.id,
                 changes={"status": [before.value, change.status.value], **({"error": error} if error else {})},
                 label=change.title)
    session.commit()
    if change.status in ENDED and change.status != before:
        _notify(session, change)
    return change


def _settle_dead_run(session: Session, change: Change) -> None:
    """A change whose run ended without reporting (its worker was killed, or it broke unexpectedly) follows the
    run: interrupted, or failed with the run's error."""
    if change.status not in rules.ACTIVE or change.run_id is None:
        return
    run = session.get(runs.Run, change.run_id)
    if run is None or run.status not in runs.FINISHED:
        return
    outcome = {runs.RunStatus.interrupted: "interrupted", runs.RunStatus.cancelled: "cancelled"}.get(run.status)
    if change.status == ChangeStatus.rolling_back and outcome is None:
        outcome = "rollback_failed"
    settle(session, change.id, outcome or "failed", run.error)
    session.refresh(change)


def _settle_dead_runs(session: Session) -> None:
    """Every change still shown under way whose run has ended without reporting (see _settle_dead_run)."""
    stuck = session.execute(select(Change).join(runs.Run, runs.Run.id == Change.run_id)
                            .where(Change.status.in_(rules.ACTIVE), runs.Run.status.in_(runs.FINISHED))).scalars()
    for change in list(stuck):
        _settle_dead_run(session, change)


def _notify(session: Session, change: Change) -> None:
    for listener in finished_listeners:
        try:
            listener(session, change)
        except Exception:   # a listener's failure must not undo the change's own outcome
            session.rollback()
            log.exception("change %s: a finished-listener failed", change.id)


def inventory_for(session: Session, change: Change) -> dict:
    """Ansible's JSON inventory of the change's hosts, from the service's inventory now; a loopback host is
    reached with the local connection (the service's own machine)."""
    hostvars = build_inventory(session)["_meta"]["hostvars"]
    hosts = {}
    for target in targets_of(session, change.id):
        variables = dict(hostvars.get(target.host, {"ansible_host": target.host}))
        if target.host in ("127.0.0.1", "localhost", "::1"):
            variables.update(ansible.local_host())
        hosts[target.host] = variables
    return {"all": {"hosts": hosts}}


def templates_list() -> list[dict]:
    return [t.describe() for t in templates.load_all().values()]
