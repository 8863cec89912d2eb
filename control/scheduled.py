"""Periodic jobs (APScheduler). Each job takes a database lock first so that only one replica runs
it, and each item of work is isolated so one failure does not stop the rest."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel import Session

from control.core.auth import Actor
from control.core.clock import now
from control.core.roles import Role

log = logging.getLogger("yunzhang.jobs")
# Last successful run per job, exported on /metrics as yunzhang_job_last_success_timestamp_seconds.
LAST_SUCCESS: dict[str, float] = {}
# Jobs act as the Information Center, whose work they automate; the audit log names them.
JOB_ACTOR = Actor(id=None, username="scheduler", role=Role.infocenter, department_id=None, scope_path=None)
JOB_LOCK_IDS = {"cloud_sla": 724101, "cloud_reclaim": 724102, "zombie_scan": 724103}


@contextmanager
def job_session(app: FastAPI, job: str) -> Iterator[Session | None]:
    """A session for one run of a job, or None when another replica holds the job's lock (PostgreSQL
    advisory lock; on SQLite, one writer anyway, there is none). The session keeps one connection for the
    whole run: the lock belongs to the connection, not to a transaction, so it is released on the connection
    that took it however often the job commits or rolls back, and also when the job fails."""
    with app.state.engine.connect() as conn, Session(bind=conn, expire_on_commit=False) as session:
        if conn.dialect.name != "postgresql":
            yield session
            return
        got = session.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": JOB_LOCK_IDS[job]}).scalar()
        try:
            yield session if got else None
        finally:
            if got:
                session.rollback()  # a failed job leaves its transaction aborted; the unlock needs a live one
                session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": JOB_LOCK_IDS[job]})


def run_cloud_sla(app: FastAPI) -> dict | None:
    """Recompute the SLA state of every open cloud request stage."""
    from control.cloud import service
    with job_session(app, "cloud_sla") as session:
        if session is None:
            return None
        ctx = service.Context(calendar=app.state.calendars.get(session), policy=app.state.policy)
        result = service.recompute_sla(session, ctx)
    LAST_SUCCESS["cloud_sla"] = now().timestamp()
    return result


def run_cloud_reclaim(app: FastAPI) -> dict[str, int] | None:
    """Reclaim cloud resources whose end date has passed: each request in its own transaction, so one that
    fails is logged and counted and the rest are still reclaimed (it is tried again the next day)."""
    from control.cloud import service
    done = failed = 0
    with job_session(app, "cloud_reclaim") as session:
        if session is None:
            return None
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
    LAST_SUCCESS["cloud_reclaim"] = now().timestamp()
    return {"reclaimed": done, "failed": failed}


def run_zombie_scan(app: FastAPI) -> int | None:
    """The daily zombie scan (as of yesterday); pulls from Prometheus first when one is configured."""
    from control.core.clock import today
    from control.zombies import prometheus, service
    policy = app.state.policy.zombies
    with job_session(app, "zombie_scan") as session:
        if session is None:
            return None
        if app.state.settings.prometheus_url:
            try:
                end = today() - timedelta(days=1)
                prometheus.pull(
                    session, JOB_ACTOR, app.state.settings.prometheus_url, policy, end - timedelta(days=6), end
                )
            except Exception:  # a failed pull must not stop the scan of what is stored
                session.rollback()
                log.exception("Prometheus pull before the zombie scan failed")
        scan = service.run_scan(session, JOB_ACTOR, policy)
    LAST_SUCCESS["zombie_scan"] = now().timestamp()
    return scan.id


def _safely(job, app: FastAPI) -> None:
    try:
        job(app)
    except Exception:  # a failed run is logged and retried at the next tick
        log.exception("scheduled job %s failed", job.__name__)


def start_scheduler(app: FastAPI) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(_safely, "interval", hours=1, args=[run_cloud_sla, app], id="cloud_sla",
                      next_run_time=now(), coalesce=True, max_instances=1)
    scheduler.add_job(_safely, "cron", hour=0, minute=30, args=[run_cloud_reclaim, app], id="cloud_reclaim",
                      coalesce=True, max_instances=1)
    scheduler.add_job(_safely, "cron", hour=2, minute=0, args=[run_zombie_scan, app], id="zombie_scan",
                      coalesce=True, max_instances=1)
    scheduler.start()
    return scheduler
