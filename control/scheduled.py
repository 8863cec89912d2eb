"""Periodic jobs (APScheduler). Each period of a job runs once across the replicas, recorded in job_run
(control/core/jobs.py: a unique row per period, then a PostgreSQL advisory lock), and each item of work is
isolated so one failure does not stop the rest."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from fastapi import FastAPI
from sqlmodel import Session

from control.core.auth import Actor
from control.core.clock import SHANGHAI, now
from control.core.jobs import ANCHOR, Outcome, period_start, run_once
from control.core.roles import Role

log = logging.getLogger("yunzhang.jobs")
# Last successful run per job, exported on /metrics as yunzhang_job_last_success_timestamp_seconds.
LAST_SUCCESS: dict[str, float] = {}
# What this process did at each of its jobs' ticks, by (job, outcome): yunzhang_job_runs_total on /metrics.
RUNS: Counter[tuple[str, str]] = Counter()
# Jobs act as the Information Center, whose work they automate; the audit log names them.
JOB_ACTOR = Actor(id=None, username="scheduler", role=Role.infocenter, department_id=None, scope_path=None)
JOB_LOCK_IDS = {"cloud_sla": 724101, "cloud_reclaim": 724102, "zombie_scan": 724103, "device_backup": 724110}


@dataclass(frozen=True)
class Schedule:
    """A job's periods: `every` long, starting `offset` after midnight Beijing time."""
    every: timedelta
    offset: timedelta = timedelta(0)


def schedules(app: FastAPI) -> dict[str, Schedule]:
    return {"cloud_sla": Schedule(timedelta(seconds=app.state.settings.sla_recompute_seconds)),
            "cloud_reclaim": Schedule(timedelta(days=1), timedelta(minutes=30)),
            "zombie_scan": Schedule(timedelta(days=1), timedelta(hours=2)),
            "device_backup": Schedule(timedelta(days=1), timedelta(hours=3))}


def _run(app: FastAPI, job: str, body: Callable[[Session], Any], tick: datetime | None) -> Any:
    """body for this job's current period (or `tick`), once across the replicas; None when it did not run here."""
    if tick is None:
        plan = schedules(app)[job]
        tick = period_start(now(), plan.every, plan.offset)
    try:
        outcome, result = run_once(app.state.engine, job, JOB_LOCK_IDS[job], tick, body)
    except Exception:
        RUNS[job, Outcome.failed] += 1
        raise
    RUNS[job, outcome] += 1
    if outcome is not Outcome.succeeded:
        log.info("job %s, period %s: %s", job, tick.isoformat(), outcome.value)
        return None
    LAST_SUCCESS[job] = now().timestamp()
    return result


def run_cloud_sla(app: FastAPI, tick: datetime | None = None) -> dict | None:
    """Recompute every open stage of the shared stage engine (cloud requests and every other procedure): SLA
    states and days behind plan. The job keeps its first name, which /metrics and alerts use."""
    from control.cloud import service

    def body(session: Session) -> dict:
        ctx = service.Context(calendar=app.state.calendars.get(session), policy=app.state.policy)
        return service.recompute_sla(session, ctx)
    return _run(app, "cloud_sla", body, tick)


def run_cloud_reclaim(app: FastAPI, tick: datetime | None = None) -> dict[str, int] | None:
    """Reclaim cloud resources whose end date has passed: each request in its own transaction, so one that
    fails is logged and counted and the rest are still reclaimed (it is tried again the next day)."""
    from control.cloud import service

    def body(session: Session) -> dict[str, int]:
        done = failed = 0
        ctx = service.Context(calendar=app.state.calendars.get(session), policy=app.state.policy)
        for request_id in service.expired_requests(session):
            try:
                service.reclaim_expired(session, JOB_ACTOR, ctx, request_id)
                done += 1
            except Exception:  # one bad request must not keep the others in use
                session.rollback()
                failed += 1
                log.exception("reclaim of cloud request %s at its end date failed", request_id)
        if failed:
            log.warning("daily reclaim: %d reclaimed, %d failed", done, failed)
        return {"reclaimed": done, "failed": failed}
    return _run(app, "cloud_reclaim", body, tick)


def run_zombie_scan(app: FastAPI, tick: datetime | None = None) -> int | None:
    """The daily zombie scan (as of yesterday); pulls from Prometheus first when one is configured."""
    from control.core.clock import today
    from control.zombies import prometheus, service
    policy = app.state.policy.zombies

    def body(session: Session) -> int:
        if app.state.settings.prometheus_url:
            try:
                end = today() - timedelta(days=1)
                prometheus.pull(
                    session, JOB_ACTOR, app.state.settings.prometheus_url, policy, end - timedelta(days=6), end
                )
            except Exception:  # a failed pull must not stop the scan of what is stored
                session.rollback()
                log.exception("Prometheus pull before the zombie scan failed")
        return service.run_scan(session, JOB_ACTOR, policy).id
    return _run(app, "zombie_scan", body, tick)


def run_device_backup(app: FastAPI, tick: datetime | None = None) -> dict[str, int] | None:
    """The daily config backup of every device, each in its own try/except (control/devices/backups.py): an
    unreachable device is recorded failed on its row and the rest are still backed up."""
    from control.devices import backups
    return _run(app, "device_backup", lambda session: backups.backup_all(session, JOB_ACTOR), tick)


JOBS = {"cloud_sla": run_cloud_sla, "cloud_reclaim": run_cloud_reclaim, "zombie_scan": run_zombie_scan,
        "device_backup": run_device_backup}


def _safely(app: FastAPI, job: str) -> None:
    try:
        JOBS[job](app)
    except Exception:  # a failed run is recorded, logged and retried at the next tick
        log.exception("scheduled job %s failed", job)


def start_scheduler(app: FastAPI) -> BackgroundScheduler:
    """Each job fires at the starts of its periods, the same instants on every replica. Two may be in flight
    in one process so that a tick arriving while the previous run goes on is recorded as skipped (run_once)
    rather than dropped by APScheduler; a tick may start up to half a period late and still be its own."""
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    catch_up = app.state.settings.scheduler_catch_up
    for job, plan in schedules(app).items():
        at_start = {"next_run_time": now()} if job == "cloud_sla" or catch_up else {}   # None would pause it
        scheduler.add_job(_safely, IntervalTrigger(seconds=plan.every.total_seconds(), start_date=ANCHOR + plan.offset,
                                                   timezone=SHANGHAI),
                          args=[app, job], id=job, coalesce=True, max_instances=2,
                          misfire_grace_time=max(1, int(plan.every.total_seconds() // 2)), **at_start)
    scheduler.start()
    return scheduler
