"""REST: usage metrics in (CSV, JSON, Prometheus pull), zombie scans and verdicts, the review."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from control.automation.schemas import ChangeOut
from control.automation.service import detail as change_detail
from control.core.clock import today
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ValidationFailed
from control.core.params import XLSX, CalendarDate, Id, Offset, file_response
from control.core.textsafe import CleanLine, CleanText
from control.zombies import automation, export, prometheus, service, usage
from control.zombies.cleanup import decommission_and_reclaim
from control.zombies.enums import CaseState, Criterion, Metric
from control.zombies.schemas import (
    CaseList,
    CaseOut,
    MetricsPulled,
    MetricsStored,
    ScanComparison,
    ScanDetail,
    ScanList,
    ScanOut,
    UsageSeries,
    VerdictList,
)

router = APIRouter(prefix="/api/v1", tags=["zombie systems"])


class SampleIn(BaseModel):
    system_code: CleanLine = Field(max_length=64)
    metric: CleanLine = Field(max_length=64)
    day: CleanLine = Field(max_length=32)
    value: float = Field(allow_inf_nan=False)  # JSON parsers take NaN and Infinity; a usage value is finite


class SamplesIn(BaseModel):
    samples: list[SampleIn] = Field(min_length=1, max_length=100_000)


class PullIn(BaseModel):
    start: CalendarDate | None = None
    end: CalendarDate | None = None


class ScanIn(BaseModel):
    as_of: CalendarDate | None = None


class CaseActionIn(BaseModel):
    reason: CleanText = Field(default="", max_length=2000)
    exempt_until: CalendarDate | None = None
    plan: dict | None = None


def metric_limits(request: Request) -> usage.Limits:
    return usage.Limits.of(request.app.state.settings)


LimitsDep = Annotated[usage.Limits, Depends(metric_limits)]


@router.post("/metrics/import", response_model=MetricsStored)
def import_metrics(session: SessionDep, actor: CurrentActor, limits: LimitsDep, file: UploadFile):
    """CSV `system_code,metric,day,value`: all or nothing, errors name the row. A plain def: the file
    (spooled to disk by the form parser) is read and parsed on a worker thread, not the event loop."""
    return usage.import_csv(session, actor, file.file, limits)


@router.post("/metrics/samples", response_model=MetricsStored)
def push_samples(session: SessionDep, actor: CurrentActor, limits: LimitsDep, body: SamplesIn):
    records = ((i, s.system_code, s.metric, s.day, s.value) for i, s in enumerate(body.samples, start=1))
    return usage.store(session, actor, usage.parse(session, actor, records, limits), "push")


@router.post("/metrics/pull", response_model=MetricsPulled)
def pull_metrics(request: Request, session: SessionDep, actor: CurrentActor, limits: LimitsDep,
                 body: PullIn | None = None):
    """Pull daily values from the Prometheus server named by YUNZHANG_PROMETHEUS_URL."""
    url = request.app.state.settings.prometheus_url
    if not url:
        raise ValidationFailed("未配置 YUNZHANG_PROMETHEUS_URL", code="prometheus_not_configured")
    end = (body.end if body and body.end else None) or today() - timedelta(days=1)
    start = (body.start if body and body.start else None) or end - timedelta(days=89)
    limits.check_range(start, end)
    return prometheus.pull(session, actor, url, request.app.state.policy.zombies, start, end)


@router.get("/systems/{system_id:int}/usage", response_model=UsageSeries)
def system_usage(session: SessionDep, actor: CurrentActor, system_id: Id, metric: Metric,
                 days: int = Query(90, ge=1, le=400), end: CalendarDate | None = None):
    end = end or today() - timedelta(days=1)
    points = service.usage_series(session, actor, system_id, metric, end - timedelta(days=days - 1), end)
    return {"metric": metric.value, "points": [{"day": d.isoformat(), "value": v} for d, v in points]}


@router.post("/zombie-scans", status_code=201, response_model=ScanOut)
def run_scan(request: Request, session: SessionDep, actor: CurrentActor, body: ScanIn | None = None):
    scan = service.run_scan(session, actor, request.app.state.policy.zombies, body.as_of if body else None)
    return scan.model_dump(exclude={"policy"})


@router.get("/zombie-scans", response_model=ScanList)
def list_scans(session: SessionDep, actor: CurrentActor, limit: int = Query(50, ge=1, le=500),
               offset: Offset = 0):
    items, total = service.list_scans(session, actor, limit, offset)
    return {"items": [s.model_dump(exclude={"policy"}) for s in items], "total": total}


@router.get("/zombie-scans/{scan_id:int}", response_model=ScanDetail)
def get_scan(session: SessionDep, actor: CurrentActor, scan_id: Id):
    return service.get_scan(session, actor, scan_id)


@router.get("/zombie-scans/{scan_id:int}/verdicts", response_model=VerdictList)
def list_verdicts(session: SessionDep, actor: CurrentActor, scan_id: Id, candidate: bool | None = None,
                  department_id: Id | None = None, criterion: Criterion | None = None,
                  limit: int = Query(100, ge=1, le=1000), offset: Offset = 0):
    items, total = service.verdicts(session, actor, scan_id, candidate, department_id, criterion, limit, offset)
    return {"items": items, "total": total}


@router.get("/zombie-scans/{scan_id:int}/compare", response_model=ScanComparison)
def compare(session: SessionDep, actor: CurrentActor, scan_id: Id, with_scan: Annotated[Id, Query(alias="with")],
            department_id: Id | None = None):
    """Candidates new in this scan, gone from it, unchanged, against an earlier scan (of a department and
    those under it, given department_id)."""
    return service.compare_scans(session, actor, with_scan, scan_id, department_id)


@router.get("/zombie-cases", response_model=CaseList)
def list_cases(session: SessionDep, actor: CurrentActor, state: CaseState | None = None,
               department_id: Id | None = None, needs_rereview: bool | None = None,
               limit: int = Query(100, ge=1, le=1000), offset: Offset = 0):
    items, total = service.list_cases(session, actor, state, department_id, needs_rereview, limit, offset)
    return {"items": items, "total": total}


@router.get("/zombie-cases/export.xlsx", response_class=Response,
            responses=file_response(XLSX, "僵尸系统清单"))
def export_cases(session: SessionDep, actor: CurrentActor):
    data = export.auditors_list(session, actor)
    return Response(data, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="zombie-systems.xlsx"'})


@router.get("/zombie-cases/{case_id:int}", response_model=CaseOut)
def get_case(session: SessionDep, actor: CurrentActor, case_id: Id):
    return service.get_case(session, actor, case_id)


@router.post("/zombie-cases/{case_id:int}/cleanup-change", response_model=ChangeOut, status_code=201)
def cleanup_change(session: SessionDep, actor: CurrentActor, case_id: Id):
    """A draft change of the clean-up playbook (stop, archive, remove) on the system's hosts, for a case whose
    clean-up the Bureau planned; when the change succeeds the clean-up completes (system decommissioned, cloud
    resources reclaimed)."""
    return change_detail(session, automation.cleanup_change(session, actor, case_id))


@router.post("/zombie-cases/{case_id:int}/{action}", response_model=CaseOut)
def case_action(session: SessionDep, actor: CurrentActor, case_id: Id, action: str, body: CaseActionIn | None = None):
    """confirm, exempt (reason; optional exempt_until), respond (department), plan_cleanup, complete_cleanup."""
    body = body or CaseActionIn()
    return service.case_action(session, actor, case_id, action, body.reason, body.exempt_until, body.plan,
                               cleanup=decommission_and_reclaim)
