"""Scheduled jobs run once per period across replicas, with a record of every run (like AWX's job history).

A job's periods start at fixed instants counted from midnight Beijing time, the same on every replica.
Whichever replica first records a period (the unique (job, tick) row) owns it; the others skip it. The owner
then takes the job's advisory lock: if a run of an earlier period still holds it, this period is recorded as
skipped rather than run beside it. A failed run is recorded as failed and releases the lock."""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Engine, UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from control.core.clock import SHANGHAI, now
from control.core.db import UTCDateTime
from control.core.dialect import advisory_unlock, try_advisory_lock

log = logging.getLogger("yunzhang.jobs")
# Any midnight in Beijing time: periods are whole multiples of their length (plus an offset) from it.
ANCHOR = datetime(2026, 1, 1, tzinfo=SHANGHAI)
HOST = socket.gethostname()[:64]


class Outcome(StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"              # this replica owned the period, but the job's previous run still held the lock
    abandoned = "abandoned"          # found running by the next owner: its process died mid-run
    elsewhere = "elsewhere"          # another replica (or an earlier start) owned the period: no row, counted only


class JobRun(SQLModel, table=True):
    """One period of one job: who ran it, when, and how it ended."""
    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "tick", name="uq_job_run_job_tick"),)
    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=32)
    tick: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))      # the period's start
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    host: str = Field(max_length=64)
    pid: int
    outcome: str = Field(max_length=16, index=True)
    detail: str = Field(default="", max_length=500)    # the result, or the error's first line


def period_start(at: datetime, every: timedelta, offset: timedelta = timedelta(0)) -> datetime:
    """The start of the period `at` falls in, for periods of `every` beginning `offset` after midnight
    Beijing time (China keeps no daylight saving, so a day is always 24 hours)."""
    first = ANCHOR + offset
    return first + ((at - first) // every) * every


_running: dict[str, threading.Lock] = {}


def run_once(engine: Engine, job: str, lock_key: int, tick: datetime,
             body: Callable[[Session], Any]) -> tuple[Outcome, Any]:
    """Run body(session) for this job's period `tick` unless it already ran or is running; return the outcome
    and body's result. body commits what it keeps. The session keeps one connection, which holds the advisory
    lock for the whole run however often body commits. body's exception is re-raised once the run is recorded
    failed and the lock released."""
    with engine.connect() as conn, Session(bind=conn, expire_on_commit=False) as session:
        run_id = _claim(session, job, tick)
        if run_id is None:
            return Outcome.elsewhere, None
        local = _running.setdefault(job, threading.Lock())   # SQLite has no advisory lock: one run per process
        if not local.acquire(blocking=False):
            return _record(session, run_id, Outcome.skipped, "上一次运行尚未结束"), None
        try:
            if not try_advisory_lock(session.connection(), lock_key):
                session.rollback()
                return _record(session, run_id, Outcome.skipped, "上一次运行尚未结束（在另一实例上）"), None
            try:
                return _run_locked(session, job, run_id, body)
            finally:
                session.rollback()   # a failed job leaves its transaction aborted; the unlock needs a live one
                advisory_unlock(session.connection(), lock_key)
                session.commit()
        finally:
            local.release()


def _claim(session: Session, job: str, tick: datetime) -> int | None:
    """Record the period as this process's run; None when a row for it exists (the unique key decides)."""
    run = JobRun(job=job, tick=tick, started_at=now(), host=HOST, pid=os.getpid(), outcome=Outcome.running)
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return run.id


def _run_locked(session: Session, job: str, run_id: int, body: Callable[[Session], Any]) -> tuple[Outcome, Any]:
    # Holding the lock, any other run of this job still marked running belongs to a process that died.
    session.execute(update(JobRun).where(JobRun.job == job, JobRun.outcome == Outcome.running, JobRun.id != run_id)
                    .values(outcome=Outcome.abandoned))
    session.commit()
    try:
        result = body(session)
    except Exception as exc:
        session.rollback()
        lines = str(exc).splitlines()
        _record(session, run_id, Outcome.failed, f"{type(exc).__name__}: {lines[0] if lines else ''}")
        raise
    session.rollback()
    return _record(session, run_id, Outcome.succeeded, "" if result is None else str(result)), result


def _record(session: Session, run_id: int, outcome: Outcome, detail: str) -> Outcome:
    """The run's end, recorded before the lock is released (the next owner must not take it for abandoned)."""
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(outcome=outcome, finished_at=now(), detail=detail[:500]))
    session.commit()
    return outcome
