"""Zombie-system use cases: storing usage metrics, running scans, and the auditors' review through
to clean-up. The only code that writes these tables; every change is audited."""
from __future__ import annotations

import csv
import io
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from control.core import audit
from control.core.auth import Actor
from control.core.clock import now, today
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.core.policy import ZombiePolicy
from control.org.models import Department, Role
from control.systems.enums import SystemStatus
from control.systems.models import InformationSystem
from control.zombies import rules
from control.zombies.enums import OPEN_CASE_STATES, CaseState, Criterion, Metric, VerdictStatus
from control.zombies.models import UsageDay, UsageSummary, ZombieCase, ZombieScan, ZombieVerdict

METRIC_WRITERS = (Role.admin, Role.infocenter, Role.ops)
REVIEWERS = (Role.auditor, Role.bureau)
CLEANUP_OWNERS = (Role.bureau, Role.infocenter)
RATIO_METRICS = {Metric.cpu_p95.value, Metric.memory_avg.value}
MAX_ERRORS = 200


# --- usage metrics in ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    system_id: int
    metric: str
    day: date
    value: float


def _system_index(session: Session, actor: Actor) -> dict[str, tuple[int, str]]:
    """code → (system id, department path) of every live system."""
    rows = session.execute(select(InformationSystem.code, InformationSystem.id, Department.path)
                           .join(Department, Department.id == InformationSystem.department_id)
                           .where(InformationSystem.deleted_at.is_(None))).all()
    return {code: (sid, path) for code, sid, path in rows}


def parse_samples(session: Session, actor: Actor, rows: Iterable[tuple[int, dict]]) -> list[Sample]:
    """Validate (row number, {system_code, metric, day, value}) records; any error refuses them all."""
    actor.require(*METRIC_WRITERS)
    systems = _system_index(session, actor)
    metrics = {m.value for m in Metric}
    errors: list[dict] = []
    samples: list[Sample] = []
    seen: dict[tuple, int] = {}

    def err(row: int, column: str, message: str, code: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append({"row": row, "column": column, "message": message, "code": code})

    for row, rec in rows:
        code = (rec.get("system_code") or "").strip()
        metric = (rec.get("metric") or "").strip()
        target = systems.get(code)
        if target is None:
            err(row, "system_code", f"系统编码“{code}”不在清单中", "unknown_system")
        elif not actor.can_see_path(target[1]):
            err(row, "system_code", f"无权为系统 {code} 写入指标", "forbidden_system")
        if metric not in metrics:
            err(row, "metric", f"指标“{metric}”不是规范指标之一：{', '.join(sorted(metrics))}", "unknown_metric")
        try:
            day = date.fromisoformat(str(rec.get("day", "")).strip())
        except ValueError:
            err(row, "day", f"日期“{rec.get('day')}”应为 YYYY-MM-DD", "invalid_date")
            day = None
        try:
            value = float(rec.get("value"))
            if not math.isfinite(value) or value < 0:
                raise ValueError
            if metric in RATIO_METRICS and value > 1:
                err(row, "value", f"{metric} 是 0–1 之间的比例，收到 {value:g}", "out_of_range")
        except (TypeError, ValueError):
            err(row, "value", f"数值“{rec.get('value')}”应为非负数", "invalid_value")
            value = None
        if target is None or metric not in metrics or day is None or value is None:
            continue
        key = (target[0], metric, day)
        if key in seen:
            err(row, "day", f"与第 {seen[key]} 行重复（同一系统、指标、日期）", "duplicate_row")
            continue
        seen[key] = row
        samples.append(Sample(target[0], metric, day, value))
    if errors:
        more = "（仅列出前 200 条）" if len(errors) >= MAX_ERRORS else ""
        raise ValidationFailed(f"指标数据有 {len(errors)} 处错误{more}，未写入任何数据", errors=errors)
    return samples


def read_csv(data: bytes) -> Iterable[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("CSV 文件须为 UTF-8 编码", code="not_utf8") from None
    reader = csv.DictReader(io.StringIO(text))
    expected = ["system_code", "metric", "day", "value"]
    if [h.strip() for h in (reader.fieldnames or [])] != expected:
        raise ValidationFailed(f"CSV 表头应为 {','.join(expected)}，收到 {','.join(reader.fieldnames or [])}",
                               code="bad_header", errors=[{"row": 1, "column": "header", "code": "bad_header",
                                                           "message": "表头应为 system_code,metric,day,value"}])
    return ((i, rec) for i, rec in enumerate(reader, start=2))


def store_samples(session: Session, actor: Actor, samples: list[Sample], source: str) -> dict:
    """Upsert the samples (a re-import of the same rows changes nothing) and the per-system summary."""
    by_row: dict[tuple[int, date], dict[str, float]] = defaultdict(dict)
    for s in samples:
        by_row[(s.system_id, s.day)][s.metric] = s.value
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for (system_id, day), values in by_row.items():
        groups[tuple(sorted(values))].append({"system_id": system_id, "day": day, **values})
    for columns, rows in groups.items():
        stmt = dialect.insert(UsageDay)
        stmt = stmt.on_conflict_do_update(index_elements=["system_id", "day"],
                                          set_={c: getattr(stmt.excluded, c) for c in columns})
        for start in range(0, len(rows), 5000):
            session.execute(stmt, rows[start:start + 5000])
    _refresh_summaries(session, {s.system_id for s in samples})
    audit.record(session, actor, "import", "usage_metrics", source,
                 changes={"samples": len(samples), "systems": len({s.system_id for s in samples}),
                          "days": len({s.day for s in samples})}, label=f"使用指标（{source}）")
    session.commit()
    return {"samples": len(samples), "systems": len({s.system_id for s in samples}),
            "system_days": len(by_row)}


def _refresh_summaries(session: Session, system_ids: set[int]) -> None:
    ids = sorted(system_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = session.execute(
            select(UsageDay.system_id, func.min(UsageDay.day), func.max(UsageDay.day),
                   func.max(case((UsageDay.deployments > 0, UsageDay.day))))
            .where(UsageDay.system_id.in_(chunk)).group_by(UsageDay.system_id)).all()
        existing = {s.system_id: s for s in session.execute(
            select(UsageSummary).where(UsageSummary.system_id.in_(chunk))).scalars()}
        for sid, first, last, deployed in rows:
            summary = existing.get(sid) or UsageSummary(system_id=sid, first_day=first, last_day=last)
            summary.first_day, summary.last_day, summary.last_deployment_day = first, last, deployed
            session.add(summary)
    session.flush()


def import_csv(session: Session, actor: Actor, data: bytes) -> dict:
    return store_samples(session, actor, parse_samples(session, actor, read_csv(data)), "csv")


def usage_series(session: Session, actor: Actor, system_id: int, metric: Metric, start: date,
                 end: date) -> list[tuple[date, float | None]]:
    """One metric of one system, a point per day (None where nothing was recorded): for the charts."""
    system = session.get(InformationSystem, system_id)
    if system is None:
        raise NotFound(f"信息系统 {system_id} 不存在")
    actor.check_department(session.get(Department, system.department_id))
    column = getattr(UsageDay, metric.value)
    values = dict(session.execute(select(UsageDay.day, column).where(
        UsageDay.system_id == system_id, UsageDay.day >= start, UsageDay.day <= end)).all())
    return [(start + timedelta(days=i), values.get(start + timedelta(days=i)))
            for i in range((end - start).days + 1)]


# --- scans ---------------------------------------------------------------------------------------------

def _window_counts(p: ZombiePolicy, as_of: date) -> list:
    """The aggregate columns of the scan query: day counts over each criterion's own window."""
    c = p.criteria

    def since(days: int):  # noqa: ANN202
        return UsageDay.day >= as_of - timedelta(days=days - 1)

    def count(condition):  # noqa: ANN001, ANN202
        return func.sum(case((condition, 1), else_=0))

    bd, idle, ss = c.business_disconnected, c.idle_resources, c.small_scope_low_frequency
    return [
        count(and_(since(bd.window_days), UsageDay.requests.is_not(None))),
        count(and_(since(bd.window_days), UsageDay.requests <= bd.max_requests_per_day)),
        count(and_(since(bd.window_days), UsageDay.logins.is_not(None))),
        func.sum(case((since(bd.window_days), UsageDay.logins), else_=0)),
        count(and_(since(idle.window_days), UsageDay.cpu_p95.is_not(None), UsageDay.network_bytes.is_not(None))),
        count(and_(since(idle.window_days), UsageDay.cpu_p95 <= idle.max_cpu_p95,
                   UsageDay.network_bytes <= idle.max_network_bytes)),
        count(and_(since(ss.window_days), UsageDay.active_users.is_not(None))),
        count(and_(since(ss.window_days), UsageDay.active_users <= ss.max_active_users)),
    ]


def _usage(session: Session, p: ZombiePolicy, as_of: date) -> dict[int, rules.Usage]:
    c = p.criteria
    longest = max(c.business_disconnected.window_days, c.idle_resources.window_days,
                  c.small_scope_low_frequency.window_days)
    usage: dict[int, rules.Usage] = defaultdict(rules.Usage)
    stmt = (select(UsageDay.system_id, *_window_counts(p, as_of))
            .where(UsageDay.day > as_of - timedelta(days=longest), UsageDay.day <= as_of)
            .group_by(UsageDay.system_id))
    for sid, *n in session.execute(stmt).all():
        usage[sid] = rules.Usage(req_days=n[0] or 0, req_low_days=n[1] or 0, login_days=n[2] or 0,
                                 logins=float(n[3] or 0), idle_days_with_data=n[4] or 0, idle_days=n[5] or 0,
                                 au_days=n[6] or 0, au_low_days=n[7] or 0)
    for sid, first, deployed in session.execute(select(UsageSummary.system_id, UsageSummary.first_day,
                                                       UsageSummary.last_deployment_day)).all():
        u = usage[sid]
        u.first_day = first
        u.last_deployment_day = deployed if deployed is None or deployed <= as_of else None
    for sid, last in session.execute(select(audit.AuditEntry.entity_id, func.max(audit.AuditEntry.at))
                                     .where(audit.AuditEntry.entity_type == "system",
                                            audit.AuditEntry.action == "update")
                                     .group_by(audit.AuditEntry.entity_id)).all():
        usage[int(sid)].last_recorded_change = last.date()
    return usage


def _most_similar(facts: list[rules.SystemFacts], n: int) -> dict[int, tuple[str, float]]:
    """For each system, the most similar other running system of its department."""
    by_dept: dict[int, list[rules.SystemFacts]] = defaultdict(list)
    for f in facts:
        if (f.function_description or "").strip():
            by_dept[f.department_id].append(f)
    best: dict[int, tuple[str, float]] = {}
    for group in by_dept.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                score = rules.ngram_similarity(a.function_description, b.function_description, n)
                if score > best.get(a.id, ("", -1))[1]:
                    best[a.id] = (b.name, score)
                if score > best.get(b.id, ("", -1))[1]:
                    best[b.id] = (a.name, score)
    return best


def run_scan(session: Session, actor: Actor, p: ZombiePolicy, as_of: date | None = None) -> ZombieScan:
    """Judge every running system on the five criteria, keep the verdicts, move the review cases."""
    actor.require(Role.admin, Role.auditor, Role.bureau, Role.infocenter)
    as_of = as_of or today() - timedelta(days=1)
    started = time.perf_counter()
    replaced = {sid: name for sid, name in session.execute(select(InformationSystem.id, InformationSystem.name))}
    rows = session.execute(select(InformationSystem).where(InformationSystem.deleted_at.is_(None),
                                                           InformationSystem.status == SystemStatus.running)
                           ).scalars().all()
    classified = sum(1 for s in rows if s.is_classified)
    facts = [rules.SystemFacts(id=s.id, department_id=s.department_id, name=s.name,
                               function_description=s.function_description,
                               replaced_by=replaced.get(s.replaced_by_id) if s.replaced_by_id else None,
                               use_scopes=list(s.use_scopes or []), usage_frequency=getattr(
                                   s.usage_frequency, "value", s.usage_frequency),
                               om_vendors=s.om_vendors, om_cost_yearly=s.om_cost_yearly, build_date=s.build_date,
                               warranty_years=s.warranty_years)
             for s in rows if not s.is_classified]
    usage = _usage(session, p, as_of)
    similar = _most_similar(facts, p.criteria.replaceable.ngram)
    scan = ZombieScan(as_of=as_of, actor=actor.username, policy=p.model_dump(mode="json"),
                      classified_scanned=classified)
    session.add(scan)
    session.flush()
    verdicts = []
    for f in facts:
        status, held, criteria = rules.evaluate(f, usage.get(f.id, rules.Usage()), p, as_of, similar.get(f.id))
        verdicts.append({"scan_id": scan.id, "system_id": f.id, "department_id": f.department_id,
                         "status": status, "held": held, "criteria": criteria})
    if verdicts:
        session.execute(ZombieVerdict.__table__.insert(), verdicts)
    scan.scanned = len(facts) + classified
    scan.candidates = sum(1 for v in verdicts if v["status"] == VerdictStatus.candidate)
    scan.insufficient = sum(1 for v in verdicts if v["status"] == VerdictStatus.insufficient_data)
    moved = _move_cases(session, scan, {v["system_id"]: v for v in verdicts})
    scan.duration_seconds = round(time.perf_counter() - started, 4)
    audit.record(session, actor, "scan", "zombie_scan", scan.id,
                 changes={"as_of": as_of.isoformat(), "scanned": scan.scanned, "candidates": scan.candidates,
                          "insufficient": scan.insufficient, **moved}, label=f"僵尸系统扫描 {as_of}")
    session.commit()
    return scan


def _move_cases(session: Session, scan: ZombieScan, verdicts: dict[int, dict]) -> dict[str, int]:
    """Open a case for each new candidate; clear a candidate no longer held; flag a confirmed system
    whose usage came back; bring back an exemption that has expired."""
    opened = cleared = flagged = reopened = 0
    cases = {c.system_id: c for c in session.execute(select(ZombieCase).where(ZombieCase.state.in_(OPEN_CASE_STATES))
                                                      ).scalars()}
    entries = []
    for system_id, v in verdicts.items():
        is_candidate = v["status"] == VerdictStatus.candidate
        c = cases.get(system_id)
        if c is None:
            if is_candidate:
                c = ZombieCase(system_id=system_id, department_id=v["department_id"], opened_scan_id=scan.id,
                               last_scan_id=scan.id)
                session.add(c)
                opened += 1
            continue
        c.last_scan_id = scan.id
        before = c.state
        if c.state == CaseState.candidate and not is_candidate:
            c.state, c.cleared_scan_id = CaseState.cleared, scan.id
            cleared += 1
        elif c.state in (CaseState.confirmed, CaseState.cleanup_planned) and not is_candidate and not c.needs_rereview:
            c.needs_rereview = True
            c.rereview_reason = f"扫描 #{scan.id}（{scan.as_of}）显示判定标准已不再满足，使用情况可能已恢复"
            flagged += 1
        elif c.state == CaseState.exempted and c.exempt_until and c.exempt_until < scan.as_of and is_candidate:
            c.state, c.exempt_until = CaseState.candidate, None
            reopened += 1
        if c.state != before or c.needs_rereview:
            c.updated_at = now()
            entries.append(("scan-update", "zombie_case", system_id, None, None, "",
                            {"state": [before.value, c.state.value], "scan_id": scan.id,
                             "needs_rereview": c.needs_rereview}))
        session.add(c)
    if entries:
        audit.record_many(session, "scheduler" if scan.actor == "scheduler" else scan.actor, entries)
    return {"opened": opened, "cleared": cleared, "flagged_for_rereview": flagged, "exemptions_expired": reopened}


def get_scan(session: Session, actor: Actor, scan_id: int) -> ZombieScan:
    scan = session.get(ZombieScan, scan_id)
    if scan is None:
        raise NotFound(f"扫描 {scan_id} 不存在")
    return scan


def list_scans(session: Session, actor: Actor, limit: int = 50, offset: int = 0) -> tuple[list[ZombieScan], int]:
    total = session.execute(select(func.count()).select_from(ZombieScan)).scalar_one()
    rows = session.execute(select(ZombieScan).order_by(ZombieScan.id.desc()).limit(limit).offset(offset)).scalars()
    return list(rows), total


def verdicts(session: Session, actor: Actor, scan_id: int, candidate: bool | None = None,
             department_id: int | None = None, criterion: Criterion | None = None, limit: int = 100,
             offset: int = 0) -> tuple[list[dict], int]:
    get_scan(session, actor, scan_id)
    stmt = (select(ZombieVerdict, InformationSystem.name, InformationSystem.code, Department.name)
            .join(InformationSystem, InformationSystem.id == ZombieVerdict.system_id)
            .join(Department, Department.id == ZombieVerdict.department_id)
            .where(ZombieVerdict.scan_id == scan_id))
    if actor.scope_path is not None:
        stmt = stmt.where(Department.path.startswith(actor.scope_path))
    if department_id is not None:
        dept = session.get(Department, department_id)
        if dept is None:
            raise NotFound(f"部门 {department_id} 不存在")
        actor.check_department(dept)
        stmt = stmt.where(Department.path.startswith(dept.path))
    if candidate is not None:
        stmt = stmt.where((ZombieVerdict.status == VerdictStatus.candidate) if candidate
                          else (ZombieVerdict.status != VerdictStatus.candidate))
    if criterion is not None:
        stmt = stmt.where(cast(ZombieVerdict.held, String).like(f'%"{criterion.value}"%'))
    total = session.execute(select(func.count()).select_from(stmt.with_only_columns(ZombieVerdict.id).subquery())
                            ).scalar_one()
    rows = session.execute(stmt.order_by(Department.name, InformationSystem.name).limit(limit).offset(offset)).all()
    return [{**v.model_dump(), "system_name": name, "system_code": code, "department_name": dname}
            for v, name, code, dname in rows], total


def compare_scans(session: Session, actor: Actor, older_id: int, newer_id: int) -> dict:
    """Candidates that are new in the newer scan, gone from it, or in both."""
    def candidates(scan_id: int) -> dict[int, str]:
        get_scan(session, actor, scan_id)
        stmt = (select(ZombieVerdict.system_id, InformationSystem.name).join(
            InformationSystem, InformationSystem.id == ZombieVerdict.system_id)
            .join(Department, Department.id == ZombieVerdict.department_id)
            .where(ZombieVerdict.scan_id == scan_id, ZombieVerdict.status == VerdictStatus.candidate))
        if actor.scope_path is not None:
            stmt = stmt.where(Department.path.startswith(actor.scope_path))
        return dict(session.execute(stmt).all())
    old, new = candidates(older_id), candidates(newer_id)

    def listing(ids: set[int], names: dict[int, str]) -> list[dict]:
        return [{"system_id": i, "system_name": names[i]} for i in sorted(ids)]
    return {"older": older_id, "newer": newer_id, "new": listing(set(new) - set(old), new),
            "gone": listing(set(old) - set(new), old), "unchanged": listing(set(old) & set(new), new)}


# --- the review ------------------------------------------------------------------------------------------

def get_case(session: Session, actor: Actor, case_id: int) -> ZombieCase:
    c = session.get(ZombieCase, case_id)
    if c is None:
        raise NotFound(f"审核事项 {case_id} 不存在")
    actor.check_department(session.get(Department, c.department_id))
    return c


def list_cases(session: Session, actor: Actor, state: CaseState | None = None, department_id: int | None = None,
               needs_rereview: bool | None = None, limit: int = 100, offset: int = 0) -> tuple[list[dict], int]:
    stmt = (select(ZombieCase, InformationSystem.name, InformationSystem.code, Department.name)
            .join(InformationSystem, InformationSystem.id == ZombieCase.system_id)
            .join(Department, Department.id == ZombieCase.department_id))
    if actor.scope_path is not None:
        stmt = stmt.where(Department.path.startswith(actor.scope_path))
    if department_id is not None:
        dept = session.get(Department, department_id)
        if dept is None:
            raise NotFound(f"部门 {department_id} 不存在")
        actor.check_department(dept)
        stmt = stmt.where(Department.path.startswith(dept.path))
    if state is not None:
        stmt = stmt.where(ZombieCase.state == state)
    if needs_rereview is not None:
        stmt = stmt.where(ZombieCase.needs_rereview == needs_rereview)
    total = session.execute(select(func.count()).select_from(stmt.with_only_columns(ZombieCase.id).subquery())
                            ).scalar_one()
    rows = session.execute(stmt.order_by(ZombieCase.updated_at.desc(), ZombieCase.id.desc())
                           .limit(limit).offset(offset)).all()
    return [{**c.model_dump(), "system_name": name, "system_code": code, "department_name": dname}
            for c, name, code, dname in rows], total


# (state, action) → next state; respond keeps the state.
CASE_TRANSITIONS = {
    (CaseState.candidate, "confirm"): CaseState.confirmed,
    (CaseState.candidate, "exempt"): CaseState.exempted,
    (CaseState.confirmed, "confirm"): CaseState.confirmed,          # re-review after usage came back
    (CaseState.confirmed, "exempt"): CaseState.exempted,
    (CaseState.cleanup_planned, "exempt"): CaseState.exempted,
    (CaseState.cleanup_planned, "confirm"): CaseState.cleanup_planned,
    (CaseState.confirmed, "plan_cleanup"): CaseState.cleanup_planned,
    (CaseState.cleanup_planned, "complete_cleanup"): CaseState.cleaned_up,
}
CASE_ACTIONS = {"confirm": REVIEWERS, "exempt": REVIEWERS, "plan_cleanup": (Role.bureau,),
                "complete_cleanup": CLEANUP_OWNERS, "respond": (Role.department,)}
ACTION_LABELS = {"confirm": "确认", "exempt": "豁免", "plan_cleanup": "安排清理", "complete_cleanup": "完成清理",
                 "respond": "部门说明"}


def case_action(session: Session, actor: Actor, case_id: int, action: str, reason: str = "",
                exempt_until: date | None = None, plan: dict | None = None, cleanup=None) -> ZombieCase:  # noqa: ANN001
    """One review step. `cleanup(session, actor, system_id)` decommissions the system and reclaims its
    cloud resources when a clean-up completes (injected to keep the domains apart)."""
    if action not in CASE_ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作")
    c = get_case(session, actor, case_id)
    actor.require(*CASE_ACTIONS[action])
    before = c.state
    if action == "respond":
        if c.state not in OPEN_CASE_STATES:
            raise Conflict(f"事项已{c.state.zh}，不再接受说明", code="illegal_transition")
        if not reason.strip():
            raise ValidationFailed("请填写说明", code="reason_required")
        c.department_response = reason
    else:
        target = CASE_TRANSITIONS.get((c.state, action))
        if target is None:
            raise Conflict(f"事项当前为“{c.state.zh}”，不能“{ACTION_LABELS[action]}”", code="illegal_transition")
        if action in ("plan_cleanup", "complete_cleanup") and c.needs_rereview:
            raise Conflict(f"该系统需重新审核后才能清理：{c.rereview_reason}", code="needs_rereview")
        if action == "confirm" and c.state != CaseState.candidate and not c.needs_rereview:
            raise Conflict("事项已确认，无需重复确认", code="illegal_transition")
        if action in ("confirm", "exempt") and not reason.strip():
            raise ValidationFailed("确认或豁免必须说明理由", code="reason_required",
                                   errors=[{"field": "reason", "message": "请填写理由", "code": "required"}])
        if action == "exempt":
            if exempt_until is not None and exempt_until <= today():
                raise ValidationFailed("豁免截止日期须晚于今天", code="invalid_date")
            c.exempt_until = exempt_until
        if action == "plan_cleanup":
            c.cleanup_plan = {"stop": True, "archive": (plan or {}).get("archive", "归档业务数据后停止运行"),
                              "reclaim_cloud": bool((plan or {}).get("reclaim_cloud", True)),
                              "due": (plan or {}).get("due")}
        if action == "complete_cleanup":
            if cleanup is None:
                raise Conflict("清理需要系统下线与云资源收回", code="cleanup_unavailable")
            cleanup(session, actor, c.system_id)
        c.state, c.reason, c.decided_by = target, reason or c.reason, actor.username
        c.needs_rereview, c.rereview_reason = False, None
    c.updated_at = now()
    session.add(c)
    audit.record(session, actor, action, "zombie_case", c.id,
                 changes={"state": [before.value, c.state.value], "reason": reason,
                          **({"exempt_until": exempt_until.isoformat()} if exempt_until else {}),
                          **({"plan": c.cleanup_plan} if action == "plan_cleanup" else {})},
                 label=session.get(InformationSystem, c.system_id).name)
    session.commit()
    return c


def state_counts(session: Session) -> dict[tuple[str, str], int]:
    """(department code, case state) → count of cases, plus a "needs_rereview" pseudo-state, for /metrics."""
    counts: dict[tuple[str, str], int] = {}
    for code, state, flagged, n in session.execute(
            select(Department.code, ZombieCase.state, ZombieCase.needs_rereview, func.count())
            .join(Department, Department.id == ZombieCase.department_id)
            .group_by(Department.code, ZombieCase.state, ZombieCase.needs_rereview)).all():
        state = CaseState(state).value
        counts[(code, state)] = counts.get((code, state), 0) + n
        if flagged:
            counts[(code, "needs_rereview")] = counts.get((code, "needs_rereview"), 0) + n
    return counts


def last_scan(session: Session) -> ZombieScan | None:
    return session.execute(select(ZombieScan).order_by(ZombieScan.id.desc()).limit(1)).scalars().first()
