"""Automation runs and changes on /metrics, read from the database (every process's, not only this one's)."""
from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import case, func, select
from sqlmodel import Session

from control.automation.enums import ChangeKind, ChangeStatus, RunKind, RunMode
from control.automation.models import Change
from control.core import runs

DURATION_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


def automation_metrics(session: Session):
    counts = {(kind, mode, status): n for kind, mode, status, n in session.execute(
        select(runs.Run.kind, runs.Run.mode, runs.Run.status, func.count())
        .group_by(runs.Run.kind, runs.Run.mode, runs.Run.status)).all()}
    family = CounterMetricFamily("yunzhang_automation_runs", "Automation runs by kind, mode and status",
                                 labels=["kind", "mode", "status"])
    keys = {(k.value, m.value, s.value) for k in RunKind for m in RunMode for s in runs.RunStatus} | set(counts)
    for key in sorted(keys):
        family.add_metric(list(key), counts.get(key, 0))
    yield family
    duration = runs.Run.duration_seconds
    row = session.execute(select(func.count(duration), func.coalesce(func.sum(duration), 0.0),
                                 *(func.sum(case((duration <= b, 1), else_=0)) for b in DURATION_BUCKETS))).one()
    buckets = [(str(float(b)), row[2 + i] or 0) for i, b in enumerate(DURATION_BUCKETS)] + [("+Inf", row[0])]
    yield HistogramMetricFamily("yunzhang_automation_run_duration_seconds", "How long finished automation runs took",
                                buckets=buckets, sum_value=float(row[1]))
    yield GaugeMetricFamily("yunzhang_automation_queue_depth", "Automation runs queued, not yet claimed by a worker",
                            value=runs.queue_depth(session))
    counts = {(kind, status): n for kind, status, n in session.execute(
        select(Change.kind, Change.status, func.count()).group_by(Change.kind, Change.status)).all()}
    changes = GaugeMetricFamily("yunzhang_automation_changes", "Automation changes now in each state, by kind",
                                labels=["kind", "status"])
    for kind in ChangeKind:
        for status in ChangeStatus:
            changes.add_metric([kind.value, status.value], counts.get((kind, status), 0))
    yield changes
