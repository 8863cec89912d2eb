"""Web pages of zombie detection: scans, a scan's verdicts, the candidate page with a chart per
criterion and the review actions, and the per-department summary."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup

from control.core.accounts import Department
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ServiceError
from control.core.params import Blank, Id, Offset, form_date
from control.org import service as org_service
from control.systems.models import InformationSystem
from control.web.render import FormDep, csrf_protect, flash, pager_query, redirect, render, request_locale, templates
from control.zombies import automation, service, words
from control.zombies.chart import line_chart
from control.zombies.cleanup import decommission_and_reclaim
from control.zombies.enums import CaseState, Criterion, Metric, VerdictStatus
from control.zombies.models import ZombieVerdict

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50
templates.env.globals["measures"] = words.describe


def charts_for(session, actor, system_id: int, criteria: dict, as_of: date,
               locale: str = "zh_CN") -> dict[str, list[Markup]]:
    """The metric behind each usage criterion over its window, with its threshold."""
    plan = {
        Criterion.business_disconnected.value: [(Metric.requests, "max_requests_per_day"), (Metric.logins, None)],
        Criterion.idle_resources.value: [(Metric.cpu_p95, "max_cpu_p95"), (Metric.network_bytes, "max_network_bytes")],
        Criterion.small_scope_low_frequency.value: [(Metric.active_users, "max_active_users")],
        Criterion.maintenance_stopped.value: [(Metric.deployments, None)],
    }
    out: dict[str, list[Markup]] = {}
    for key, metrics in plan.items():
        c = criteria.get(key) or {}
        days = (c.get("window") or {}).get("days") or 90
        days = min(days, 120)
        for metric, threshold_key in metrics:
            points = service.usage_series(session, actor, system_id, metric, as_of - timedelta(days=days - 1), as_of)
            threshold = (c.get("thresholds") or {}).get(threshold_key) if threshold_key else None
            out.setdefault(key, []).append(Markup(line_chart(points, threshold, metric, locale)))
    return out


def departments(session, actor) -> list[Department]:
    """The departments the actor may filter by (their scope), in tree order."""
    return org_service.list_departments(session, actor, limit=5000)[0]


@router.get("/zombies")
def zombies_home(request: Request, session: SessionDep, actor: CurrentActor,
                 state: Annotated[CaseState | None, Blank] = None,
                 department_id: Annotated[Id | None, Blank] = None, offset: Annotated[Offset, Blank] = 0):
    """The summary per department (every filtered case), the cases a page at a time, the latest scans."""
    scans, _ = service.list_scans(session, actor, limit=20)
    cases, total = service.list_cases(session, actor, state, department_id, limit=PAGE, offset=offset)
    summary = service.case_summary(session, actor, state, department_id)
    query = pager_query(request)
    return render(request, "zombies/index.html", {
        "scans": scans, "cases": cases, "total": total, "summary": summary, "states": list(CaseState),
        "offset": offset, "page": PAGE, "query": query,
        "state": state.value if state else None, "departments": departments(session, actor),
        "department_id": department_id,
        "can_scan": actor.role.value in ("admin", "auditor", "bureau", "infocenter")})


@router.post("/zombies/scan")
def run_scan(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep):
    as_of = form_date(form.get("as_of"), "as_of", "评估基准日")
    scan = service.run_scan(session, actor, request.app.state.policy.zombies, as_of)
    flash(request, "扫描 #{id} 完成：疑似 {candidates} 个，数据不足 {insufficient} 个", id=scan.id,
          candidates=scan.candidates, insufficient=scan.insufficient)
    return redirect(f"/zombies/scans/{scan.id}")


@router.get("/zombies/scans/{scan_id:int}")
def scan_page(request: Request, session: SessionDep, actor: CurrentActor, scan_id: Id, candidate: str = "true",
              criterion: Annotated[Criterion | None, Blank] = None,
              department_id: Annotated[Id | None, Blank] = None):
    """A scan's verdicts and its comparison with the scan before, both of a department and those under it
    when one is chosen."""
    scan = service.get_scan(session, actor, scan_id)
    flag = {"true": True, "false": False}.get(candidate)
    items, total = service.verdicts(session, actor, scan_id, flag, department_id, criterion,
                                    limit=1000)
    previous = [s for s in service.list_scans(session, actor, limit=50)[0] if s.id < scan_id]
    diff = service.compare_scans(session, actor, previous[0].id, scan_id, department_id) if previous else None
    cases = {c["system_id"]: c for c in service.list_cases(session, actor, limit=5000)[0]}
    return render(
        request,
        "zombies/scan.html",
        {
            "scan": scan,
            "items": items,
            "total": total,
            "candidate": candidate,
            "criterion": criterion.value if criterion else None,
            "criteria": list(Criterion),
            "Criterion": Criterion,
            "diff": diff,
            "cases": cases,
            "statuses": VerdictStatus,
            "departments": departments(session, actor),
            "department_id": department_id,
        },
    )


@router.get("/zombies/cases/{case_id:int}")
def case_page(request: Request, session: SessionDep, actor: CurrentActor, case_id: Id):
    c = service.get_case(session, actor, case_id)
    system = session.get(InformationSystem, c.system_id)
    verdict = session.get(ZombieVerdict, session.execute(
        ZombieVerdict.__table__.select().with_only_columns(ZombieVerdict.id)
        .where(ZombieVerdict.system_id == c.system_id, ZombieVerdict.scan_id == c.last_scan_id)).scalar())
    scan = service.get_scan(session, actor, c.last_scan_id)
    results = service.explain(verdict, service.scan_policy(scan), scan.as_of)[1] if verdict else {}
    charts = charts_for(session, actor, system.id, results, scan.as_of, request_locale(request))
    actions = [a for (s, a) in service.CASE_TRANSITIONS if s == c.state and not service.refusal(actor, c, a)]
    if actor.role.value == "department" and c.state.value in ("candidate", "confirmed", "exempted", "cleanup_planned"):
        actions.append("respond")
    return render(request, "zombies/case.html", {
        "c": c, "system": system, "dept": session.get(Department, c.department_id), "verdict": verdict,
        "cleanup": automation.case_changes(session, actor, c),
        "results": results,
        "scan": scan, "charts": charts, "criteria": Criterion, "actions": list(dict.fromkeys(actions))})


@router.post("/zombies/cases/{case_id:int}/cleanup-change")
def cleanup_change(request: Request, session: SessionDep, actor: CurrentActor, case_id: Id):
    try:
        change = automation.cleanup_change(session, actor, case_id)
    except ServiceError as exc:
        session.rollback()
        flash(request, exc.detail)
        return redirect(f"/zombies/cases/{case_id}")
    return redirect(f"/changes/{change.id}")


@router.post("/zombies/cases/{case_id:int}/{action}")
def case_action(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, case_id: Id,
                action: str):
    try:
        until = form_date(form.get("exempt_until"), "exempt_until", "豁免截止日期")
        c = service.case_action(session, actor, case_id, action, form.get("reason", ""), until,
                                {"archive": form.get("archive") or "归档业务数据后停止运行", "reclaim_cloud": True},
                                cleanup=decommission_and_reclaim)
        flash(request, "已{action}：{state}", action=service.ACTION_LABELS[action], state=c.state)
    except ServiceError as exc:
        session.rollback()
        flash(request, exc.detail)
    return redirect(f"/zombies/cases/{case_id}")
