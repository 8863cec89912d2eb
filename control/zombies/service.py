"""Zombie-system use cases: running scans over the usage store, and the auditors' review through to
clean-up. With control.zombies.usage, the only code that writes these tables; every change is audited."""
from __future__ import annotations

import time
from datetime import date, timedelta
from itertools import chain

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session

from control.core import audit, duties, scope
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.batch import without_gc_pauses
from control.core.clock import now, today
from control.core.db import fetch_columns, insert_plain, insert_plain_chunks
from control.core.dialect import update_by_ids
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.core.params import MIN_DATE
from control.core.policy import ZombiePolicy
from control.core.roles import Role
from control.systems.enums import SystemStatus
from control.systems.models import InformationSystem
from control.zombies import rules, usage
from control.zombies.enums import OPEN_CASE_STATES, CaseState, Criterion, CriterionStatus, Metric, VerdictStatus
from control.zombies.models import UsageSummary, ZombieCase, ZombieScan, ZombieVerdict
from control.zombies.similarity import most_similar

REVIEWERS = (Role.auditor, Role.bureau)
CLEANUP_OWNERS = (Role.bureau, Role.infocenter)
VERDICT_ROWS = 4096         # verdict rows built at a time while they are written: a few MB, in the cache
SCANNED_METRICS = ["requests", "logins", "cpu_p95", "network_bytes", "active_users"]  # what the usage criteria read


def usage_series(session: Session, actor: Actor, system_id: int, metric: Metric, start: date,
                 end: date) -> list[tuple[date, float | None]]:
    """One metric of one system, a point per day (None where nothing was recorded): for the charts."""
    scope.get_scoped(session, actor, InformationSystem, system_id, "信息系统")
    return usage.series(session, system_id, metric, start, end)


# --- scans ---------------------------------------------------------------------------------------------

def _usage(session: Session, p: ZombiePolicy, as_of: date, ids: np.ndarray) -> dict[str, np.ndarray]:
    """rules.usage_columns() of the systems `ids` (sorted): day counts over each criterion's window by
    array arithmetic over the tiles of the five metrics the criteria read; first day and last
    deployment from the summaries; last recorded change from the audit log."""
    c = p.criteria
    bd, idle, ss = c.business_disconnected, c.idle_resources, c.small_scope_low_frequency
    longest = max(bd.window_days, idle.window_days, ss.window_days)
    columns = rules.usage_columns(len(ids))

    since = {metric: as_of - timedelta(days=window.window_days - 1)
             for window, metrics in ((bd, ("requests", "logins")), (idle, ("cpu_p95", "network_bytes")),
                                     (ss, ("active_users",))) for metric in metrics}
    for found, values in usage.windows(session, as_of - timedelta(days=longest - 1), as_of, SCANNED_METRICS, since):
        at, known = _place(ids, found)
        for name, counted in _count_days(values, p, longest).items():
            columns[name][at[known]] = counted[known]
    summaries = fetch_columns(session, select(UsageSummary.system_id, UsageSummary.first_day,
                                              UsageSummary.last_deployment_day),
                              convert=("first_day", "last_deployment_day"))
    if summaries["system_id"]:
        at, known = _place(ids, np.array(summaries["system_id"], dtype=np.int64))
        deployed = _ordinals(summaries["last_deployment_day"])
        columns["first_day"][at[known]] = _ordinals(summaries["first_day"])[known]
        columns["last_deployment_day"][at[known]] = np.where(deployed <= as_of.toordinal(), deployed, 0)[known]
    changes = session.execute(select(audit.AuditEntry.entity_id, func.max(audit.AuditEntry.at))
                              .where(audit.AuditEntry.entity_type == "system", audit.AuditEntry.action == "update")
                              .group_by(audit.AuditEntry.entity_id)).all()
    if changes:
        at, known = _place(ids, np.array([int(sid) for sid, _ in changes], dtype=np.int64))
        columns["last_recorded_change"][at[known]] = np.array([at_.date().toordinal() for _, at_ in changes])[known]
    return columns


def _place(ids: np.ndarray, system_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `ids` (sorted) of the given system ids, and which of them were found there."""
    at = np.minimum(np.searchsorted(ids, system_ids), max(len(ids) - 1, 0))
    return at, (ids[at] == system_ids) if len(ids) else np.zeros(len(system_ids), dtype=bool)


def _count_days(values: np.ndarray, p: ZombiePolicy, longest: int) -> dict[str, np.ndarray]:
    """The rules.COUNTS of systems × SCANNED_METRICS × the last `longest` days, each over its window."""
    c = p.criteria
    bd, idle, ss = c.business_disconnected, c.idle_resources, c.small_scope_low_frequency

    def last(metric: str, days: int) -> np.ndarray:
        return values[:, SCANNED_METRICS.index(metric), longest - days:]
    req, logins = last("requests", bd.window_days), last("logins", bd.window_days)
    cpu, net = last("cpu_p95", idle.window_days), last("network_bytes", idle.window_days)
    users = last("active_users", ss.window_days)
    with np.errstate(invalid="ignore"):
        days = {"req_days": ~np.isnan(req), "req_low_days": req <= bd.max_requests_per_day,
                "login_days": ~np.isnan(logins), "idle_days_with_data": ~np.isnan(cpu) & ~np.isnan(net),
                "idle_days": (cpu <= idle.max_cpu_p95) & (net <= idle.max_network_bytes),  # NaN compares False
                "au_days": ~np.isnan(users), "au_low_days": users <= ss.max_active_users}
    return {**{name: np.count_nonzero(d, axis=1) for name, d in days.items()}, "logins": np.nansum(logins, 1)}


def _ordinals(days: list[date | None]) -> np.ndarray:
    """Days as ordinals, 0 when unknown."""
    return np.array([d.toordinal() if d else 0 for d in days], dtype=np.int64)


def run_scan(session: Session, actor: Actor, p: ZombiePolicy, as_of: date | None = None) -> ZombieScan:
    """Judge every running system on the five criteria, keep the verdicts, move the review cases."""
    actor.require(Role.admin, Role.auditor, Role.bureau, Role.infocenter)
    if as_of is not None and as_of > today():
        # Usage of days to come is not known: such a scan would call every system idle.
        raise ValidationFailed(f"判定基准日 {as_of} 晚于今天（{today()}）：只能判定已经过去的日子",
                               code="as_of_in_future")
    if as_of is not None and as_of < MIN_DATE:
        raise ValidationFailed(f"判定基准日 {as_of} 早于 {MIN_DATE}", code="as_of_out_of_range")
    with without_gc_pauses():
        return _scan(session, actor, p, as_of)


def _facts(session: Session) -> tuple[dict[str, list], int]:
    """The rules.FACTS columns of every running system that is not classified, by id; and how many
    classified ones were left out."""
    S, replacement = InformationSystem, InformationSystem.__table__.alias("replacement")
    running = (S.deleted_at.is_(None), S.status == SystemStatus.running)
    classified = session.execute(select(func.count()).where(*running, S.is_classified.is_(True))).scalar_one()
    facts = fetch_columns(session, select(S.id, S.department_id, S.name, S.function_description,
                                          replacement.c.name.label("replaced_by"), S.use_scopes, S.usage_frequency,
                                          S.om_vendors, S.om_cost_yearly, S.build_date, S.warranty_years)
                          .outerjoin(replacement, replacement.c.id == S.replaced_by_id)
                          .where(*running, S.is_classified.is_(False)).order_by(S.id),
                          convert=("use_scopes", "om_cost_yearly", "build_date", "warranty_years"))
    facts["use_scopes"] = [scopes or [] for scopes in facts["use_scopes"]]
    facts["described"] = list(map(rules.is_described, facts["function_description"]))
    return facts, classified


def _scan(session: Session, actor: Actor, p: ZombiePolicy, as_of: date | None) -> ZombieScan:
    as_of = as_of or today() - timedelta(days=1)
    started = time.perf_counter()
    facts, classified = _facts(session)
    ids = np.array(facts["id"], dtype=np.int64)
    observed = _usage(session, p, as_of, ids)
    neighbour, similarity = most_similar(facts["department_id"], facts["function_description"],
                                         p.criteria.replaceable.ngram)
    verdict, statuses = rules.judge(facts, observed, similarity, p, as_of)
    scan = ZombieScan(as_of=as_of, actor=actor.username, policy=p.model_dump(mode="json"),
                      classified_scanned=classified)
    session.add(scan)
    session.flush()
    _keep_verdicts(session, scan, facts, verdict, statuses, observed, neighbour, similarity)
    scan.scanned = len(ids) + classified
    scan.candidates = int((verdict == rules.CANDIDATE).sum())
    scan.insufficient = int((verdict == rules.BLIND).sum())
    candidates = {facts["id"][k]: (facts["department_id"][k],
                                   [name for name in rules.CRITERIA if statuses[name][k] == rules.HELD])
                  for k in np.flatnonzero(verdict == rules.CANDIDATE).tolist()}
    moved = _move_cases(session, scan, ids, candidates)
    scan.duration_seconds = round(time.perf_counter() - started, 4)
    audit.record(session, actor, "scan", "zombie_scan", scan.id,
                 changes={"as_of": as_of.isoformat(), "scanned": scan.scanned, "candidates": scan.candidates,
                          "insufficient": scan.insufficient, **moved}, label=f"僵尸系统扫描 {as_of}")
    session.commit()
    return scan


def _keep_verdicts(session: Session, scan: ZombieScan, facts: dict[str, list], verdict: np.ndarray,
                   statuses: dict[str, np.ndarray], observed: dict[str, np.ndarray], neighbour: np.ndarray,
                   similarity: np.ndarray) -> None:
    """One row per system: verdict, statuses, and the inputs that explain them. The rows' values are
    built VERDICT_ROWS systems at a time as the database takes them (insert_plain_chunks)."""
    names = facts["name"]

    def rows(a: int, b: int) -> dict[str, list]:
        def days(name: str) -> list[date | None]:
            ordinals, at = np.unique(observed[name][a:b], return_inverse=True)        # a few distinct days
            return np.array([date.fromordinal(d) if d else None for d in ordinals.tolist()], dtype=object)[at].tolist()
        return {
            "scan_id": [scan.id] * (b - a), "system_id": facts["id"][a:b], "department_id": facts["department_id"][a:b],
            "status": [v.value for v in rules.VERDICTS[verdict[a:b]].tolist()],
            **{name: rules.STATUSES[statuses[name][a:b]].tolist() for name in rules.CRITERIA},
            **{name: observed[name][a:b].tolist() for name in rules.COUNTS},
            **{name: days(name) for name in rules.DAYS},
            "most_similar": [names[j] if j >= 0 else None for j in neighbour[a:b].tolist()],
            "similarity": similarity[a:b].round(4).tolist(),
            "use_scopes": list(map(",".join, facts["use_scopes"][a:b])),
            **{name: facts[name][a:b] for name in ("replaced_by", "described", "usage_frequency", "om_vendors",
                                                   "om_cost_yearly", "build_date", "warranty_years")}}
    first = rows(0, min(VERDICT_ROWS, len(verdict)))
    chunks = chain([first], (rows(a, min(a + VERDICT_ROWS, len(verdict)))
                             for a in range(VERDICT_ROWS, len(verdict), VERDICT_ROWS)))
    insert_plain_chunks(session, ZombieVerdict.__table__, list(first), chunks,
                        convert=(*rules.DAYS, "described", "om_cost_yearly", "build_date", "warranty_years"))


def explain(verdict: ZombieVerdict, policy: ZombiePolicy, as_of: date) -> tuple[list[str], dict]:
    """A kept verdict in words: the criteria held, and per criterion its status, the observed values,
    a zh-CN sentence, the thresholds and the window, under the policy its scan ran with (scan_policy)."""
    f = rules.SystemFacts(id=verdict.system_id, department_id=verdict.department_id, name="",
                          described=verdict.described, replaced_by=verdict.replaced_by,
                          use_scopes=[s for s in verdict.use_scopes.split(",") if s],
                          usage_frequency=verdict.usage_frequency, om_vendors=verdict.om_vendors,
                          om_cost_yearly=verdict.om_cost_yearly, build_date=verdict.build_date,
                          warranty_years=verdict.warranty_years)
    u = rules.Usage(**{name: getattr(verdict, name) for name in rules.COUNTS + rules.DAYS})
    similar = (verdict.most_similar, verdict.similarity) if verdict.most_similar else None
    _, _, criteria = rules.evaluate(f, u, policy, as_of, similar)
    for name in rules.CRITERIA:
        criteria[name]["status"] = CriterionStatus(getattr(verdict, name)).value
    held = [name for name in rules.CRITERIA if criteria[name]["status"] == rules.St.held]
    return held, rules.explain(criteria, policy, as_of)


def _move_cases(session: Session, scan: ZombieScan, judged: np.ndarray,
                candidates: dict[int, tuple[int, list[str]]]) -> dict[str, int]:
    """Open a case for each new candidate (`candidates`: system id → department id, criteria held);
    clear a candidate no longer held; flag a confirmed system whose usage came back; bring back an
    exemption that has expired. Systems this scan did not judge (not in `judged`, its system ids in
    order) keep their cases as they are. Set-wise, because a province has thousands of open cases and a
    scan changes few of them: the open cases are matched to the judged ids in memory and marked by id,
    not by a join over the scan's verdicts (200,000 systems: that join read every verdict again)."""
    open_cases = session.execute(select(ZombieCase.id, ZombieCase.system_id, ZombieCase.state,
                                        ZombieCase.needs_rereview, ZombieCase.exempt_until)
                                 .where(ZombieCase.state.in_(OPEN_CASE_STATES)).order_by(ZombieCase.id)).all()
    _, was_judged = _place(judged, np.array([system_id for _, system_id, *_ in open_cases], dtype=np.int64))
    judged_cases = [open_cases[k] for k in np.flatnonzero(was_judged).tolist()]
    if judged_cases:
        update_by_ids(session.connection(), ZombieCase.__table__, [case_id for case_id, *_ in judged_cases],
                      {"last_scan_id": scan.id})
    new = sorted(candidates.keys() - {system_id for _, system_id, *_ in judged_cases})
    if new:
        at = now()
        insert_plain(session, ZombieCase.__table__, {
            "system_id": new, "department_id": [candidates[s][0] for s in new],
            "state": [CaseState.candidate.value] * len(new), "opened_scan_id": [scan.id] * len(new),
            "last_scan_id": [scan.id] * len(new), "needs_rereview": [False] * len(new),
            "opened_at": [at] * len(new), "updated_at": [at] * len(new)},
            convert=("needs_rereview", "opened_at", "updated_at"))
    opened = dict(session.execute(select(ZombieCase.system_id, ZombieCase.id)
                                  .where(ZombieCase.opened_scan_id == scan.id)).all())
    entries = [("open", "zombie_case", opened[s], None, None, "",
                {"state": [None, CaseState.candidate.value], "scan_id": scan.id, "system_id": s,
                 "held": [None, candidates[s][1]]}) for s in new]
    changing = sorted(case_id for case_id, system_id, state, rereview, until in judged_cases
                      if (state == CaseState.exempted and until and until < scan.as_of and system_id in candidates)
                      or system_id not in candidates and (state == CaseState.candidate or state in (
                          CaseState.confirmed, CaseState.cleanup_planned) and not rereview))
    cleared = flagged = reopened = 0
    for start in range(0, len(changing), 1000):                # bounded IN lists
        for c in session.execute(select(ZombieCase).where(ZombieCase.id.in_(changing[start:start + 1000]))
                                 .order_by(ZombieCase.id).execution_options(populate_existing=True)).scalars():
            before = c.state
            if c.state == CaseState.candidate:
                c.state, c.cleared_scan_id = CaseState.cleared, scan.id
                cleared += 1
            elif c.state == CaseState.exempted:
                c.state, c.exempt_until = CaseState.candidate, None
                reopened += 1
            else:
                c.needs_rereview = True
                c.rereview_reason = f"扫描 #{scan.id}（{scan.as_of}）显示判定标准已不再满足，使用情况可能已恢复"
                flagged += 1
            c.updated_at = now()
            entries.append(("scan-update", "zombie_case", c.id, None, None, "",
                            {"state": [before.value, c.state.value], "scan_id": scan.id, "system_id": c.system_id,
                             "needs_rereview": c.needs_rereview}))
    if entries:
        audit.record_many(session, "scheduler" if scan.actor == "scheduler" else scan.actor, entries)
    return {"opened": len(new), "cleared": cleared, "flagged_for_rereview": flagged, "exemptions_expired": reopened}


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
    scan = get_scan(session, actor, scan_id)
    stmt = (select(ZombieVerdict, InformationSystem.name, InformationSystem.code, Department.name)
            .join(InformationSystem, InformationSystem.id == ZombieVerdict.system_id)
            .join(Department, Department.id == ZombieVerdict.department_id)
            .where(ZombieVerdict.scan_id == scan_id))
    stmt = scope.scoped(stmt, actor, ZombieVerdict.department_id)
    if department_id is not None:
        stmt = stmt.where(scope.under_department(session, actor, department_id, ZombieVerdict.department_id))
    if candidate is not None:
        stmt = stmt.where((ZombieVerdict.status == VerdictStatus.candidate) if candidate
                          else (ZombieVerdict.status != VerdictStatus.candidate))
    if criterion is not None:
        stmt = stmt.where(getattr(ZombieVerdict, criterion.value) == CriterionStatus.held)
    total = session.execute(select(func.count()).select_from(stmt.with_only_columns(ZombieVerdict.id).subquery())
                            ).scalar_one()
    rows = session.execute(stmt.order_by(Department.name, InformationSystem.name).limit(limit).offset(offset)).all()
    out, policy = [], scan_policy(scan)
    for v, name, code, dname in rows:
        held, criteria = explain(v, policy, scan.as_of)
        out.append({"id": v.id, "scan_id": v.scan_id, "system_id": v.system_id, "department_id": v.department_id,
                    "status": v.status, "held": held, "criteria": criteria, "system_name": name,
                    "system_code": code, "department_name": dname})
    return out, total


def scan_policy(scan: ZombieScan) -> ZombiePolicy:
    """The policy a scan ran under (its thresholds explain its verdicts, whatever the policy is now)."""
    return ZombiePolicy.model_validate(scan.policy)


def compare_scans(session: Session, actor: Actor, older_id: int, newer_id: int,
                  department_id: int | None = None) -> dict:
    """Candidates that are new in the newer scan, gone from it, or in both; given a department, only those
    of it and the departments under it."""
    within = [] if department_id is None else [
        scope.under_department(session, actor, department_id, ZombieVerdict.department_id)]

    def candidates(scan_id: int) -> dict[int, str]:
        get_scan(session, actor, scan_id)
        stmt = (select(ZombieVerdict.system_id, InformationSystem.name).join(
            InformationSystem, InformationSystem.id == ZombieVerdict.system_id)
            .join(Department, Department.id == ZombieVerdict.department_id)
            .where(ZombieVerdict.scan_id == scan_id, ZombieVerdict.status == VerdictStatus.candidate, *within))
        return dict(session.execute(scope.scoped(stmt, actor, ZombieVerdict.department_id)).all())
    old, new = candidates(older_id), candidates(newer_id)

    def listing(ids: set[int], names: dict[int, str]) -> list[dict]:
        return [{"system_id": i, "system_name": names[i]} for i in sorted(ids)]
    return {"older": older_id, "newer": newer_id, "new": listing(set(new) - set(old), new),
            "gone": listing(set(old) - set(new), old), "unchanged": listing(set(old) & set(new), new)}


# --- the review ------------------------------------------------------------------------------------------

def get_case(session: Session, actor: Actor, case_id: int) -> ZombieCase:
    return scope.get_scoped(session, actor, ZombieCase, case_id, "审核事项")


def _cases_filtered(session: Session, actor: Actor, stmt, state: CaseState | None, department_id: int | None):
    """`stmt` over zombie cases kept to the actor's scope, and to the state and department subtree asked for."""
    stmt = scope.scoped(stmt, actor, ZombieCase.department_id)
    if department_id is not None:
        stmt = stmt.where(scope.under_department(session, actor, department_id, ZombieCase.department_id))
    return stmt if state is None else stmt.where(ZombieCase.state == state)


def list_cases(session: Session, actor: Actor, state: CaseState | None = None, department_id: int | None = None,
               needs_rereview: bool | None = None, limit: int = 100, offset: int = 0) -> tuple[list[dict], int]:
    stmt = (select(ZombieCase, InformationSystem.name, InformationSystem.code, Department.name)
            .join(InformationSystem, InformationSystem.id == ZombieCase.system_id)
            .join(Department, Department.id == ZombieCase.department_id))
    stmt = _cases_filtered(session, actor, stmt, state, department_id)
    if needs_rereview is not None:
        stmt = stmt.where(ZombieCase.needs_rereview == needs_rereview)
    total = session.execute(select(func.count()).select_from(stmt.with_only_columns(ZombieCase.id).subquery())
                            ).scalar_one()
    rows = session.execute(stmt.order_by(ZombieCase.updated_at.desc(), ZombieCase.id.desc())
                           .limit(limit).offset(offset)).all()
    return [{**c.model_dump(), "system_name": name, "system_code": code, "department_name": dname}
            for c, name, code, dname in rows], total


def case_summary(session: Session, actor: Actor, state: CaseState | None = None,
                 department_id: int | None = None) -> dict[str, dict[str, int]]:
    """Cases per department and state, for the filtered cases in the actor's scope (the list shows a page of
    them; the summary counts all)."""
    stmt = (select(Department.name, ZombieCase.state, func.count())
            .join(Department, Department.id == ZombieCase.department_id))
    stmt = _cases_filtered(session, actor, stmt, state, department_id)
    summary: dict[str, dict[str, int]] = {}
    for name, case_state, count in session.execute(stmt.group_by(Department.path, Department.name, ZombieCase.state)
                                                   .order_by(Department.path)):
        summary.setdefault(name, {})[CaseState(case_state).value] = count
    return summary


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


def _duty(c: ZombieCase, action: str) -> tuple[duties.Step, list[str | None]]:
    """The step and its authors for the duties rule (control/core/duties.py). Four eyes on a decommission:
    whoever planned a clean-up does not also complete it."""
    planner = (c.cleanup_plan or {}).get("planned_by") if action == "complete_cleanup" else None
    return duties.Step(name=ACTION_LABELS[action], roles=CASE_ACTIONS[action]), [planner]


def refusal(actor: Actor, c: ZombieCase, action: str) -> str | None:
    """Why the actor may not take this step on the case (zh-CN), or None."""
    return duties.refusal(actor, *_duty(c, action))


def case_action(session: Session, actor: Actor, case_id: int, action: str, reason: str = "",
                exempt_until: date | None = None, plan: dict | None = None, cleanup=None) -> ZombieCase:
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
        duties.check(actor, *_duty(c, action))
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
                              "due": (plan or {}).get("due"), "planned_by": actor.username}
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
