"""Scheduled jobs run once per period (issue 13, point 4), on both databases: the job_run row of a period is
unique, a tick arriving while the previous run goes on is recorded as skipped, a failed run is recorded and
releases the lock, and a run left `running` by a dead process is marked abandoned. The two-process proof is
tests/integration/test_replicas.py."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from control.core.clock import SHANGHAI
from control.core.jobs import JobRun, Outcome, period_start, run_once
from control.scheduled import JOB_LOCK_IDS, RUNS, run_cloud_sla

T1 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)      # 11:00 in Beijing: a period start of the hourly recompute
T2 = T1 + timedelta(hours=1)


def runs(app, job: str = "cloud_sla") -> list[tuple]:
    with Session(app.state.engine) as session:
        return [(r.tick, r.outcome, r.detail) for r in session.execute(
            select(JobRun).where(JobRun.job == job).order_by(JobRun.tick)).scalars()]


def test_period_starts_are_the_same_instants_everywhere():
    at = datetime(2026, 11, 29, 2, 30, tzinfo=SHANGHAI)
    assert period_start(at, timedelta(days=1), timedelta(hours=2)) == datetime(2026, 11, 29, 2, 0, tzinfo=SHANGHAI)
    assert period_start(at - timedelta(hours=1), timedelta(days=1), timedelta(hours=2)) \
        == datetime(2026, 11, 28, 2, 0, tzinfo=SHANGHAI)        # 01:30: still yesterday's scan period
    assert period_start(at.astimezone(UTC), timedelta(hours=1)) == datetime(2026, 11, 29, 2, 0, tzinfo=SHANGHAI)
    assert period_start(datetime(2026, 11, 29, 2, 0, 8, tzinfo=SHANGHAI), timedelta(seconds=3)) \
        == datetime(2026, 11, 29, 2, 0, 6, tzinfo=SHANGHAI)


def test_a_period_runs_once(app):
    before = RUNS["cloud_sla", Outcome.elsewhere]
    assert run_cloud_sla(app, T1) == {"open_stages": 0, "changed": 0}
    assert run_cloud_sla(app, T1) is None                     # a second replica's tick, or a restart's catch-up
    assert RUNS["cloud_sla", Outcome.elsewhere] == before + 1
    assert runs(app) == [(T1, "succeeded", "{'open_stages': 0, 'changed': 0}")]


def test_a_tick_during_a_run_is_skipped_not_doubled(app):
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(session):
        calls.append("slow")
        started.set()
        release.wait(30)
        return "done"

    first = threading.Thread(target=run_once, args=(app.state.engine, "cloud_sla", JOB_LOCK_IDS["cloud_sla"], T1, slow))
    first.start()
    try:
        assert started.wait(30)
        assert run_cloud_sla(app, T2) is None                  # the next tick comes while the first still runs
    finally:
        release.set()
        first.join(30)
    assert calls == ["slow"]
    assert runs(app) == [(T1, "succeeded", "done"), (T2, "skipped", "上一次运行尚未结束")]


def test_a_failed_run_is_recorded_and_the_next_period_runs(app):
    def broken(session):
        session.execute(text("SELECT 1"))
        raise RuntimeError("calendar store unavailable\nsecond line")

    with pytest.raises(RuntimeError):
        run_once(app.state.engine, "cloud_sla", JOB_LOCK_IDS["cloud_sla"], T1, broken)
    assert run_cloud_sla(app, T2) is not None
    assert runs(app) == [(T1, "failed", "RuntimeError: calendar store unavailable"),
                         (T2, "succeeded", "{'open_stages': 0, 'changed': 0}")]


def test_a_run_its_process_left_behind_is_marked_abandoned(app):
    with Session(app.state.engine) as session:
        session.add(JobRun(job="cloud_sla", tick=T1, started_at=T1, host="gone", pid=1, outcome=Outcome.running))
        session.commit()
    run_cloud_sla(app, T2)
    assert [(tick, outcome) for tick, outcome, _ in runs(app)] == [(T1, "abandoned"), (T2, "succeeded")]


def wait_until_released(app, key: int, seconds: float = 10) -> None:
    """The server frees a closed session's advisory locks when its backend exits, a moment after the client
    hangs up (longer on a busy machine): wait for that, as the next period of a real replica would."""
    deadline = time.monotonic() + seconds
    with app.state.engine.connect() as conn:
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            assert time.monotonic() < deadline, "the closed session's advisory lock was never released"
            time.sleep(0.05)
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def test_a_replica_holding_the_lock_makes_the_period_skip(app):
    """Another replica's run (a different PostgreSQL connection) holds the job's advisory lock."""
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL only")
    other = create_engine(app.state.engine.url)
    try:
        with other.connect() as conn:
            assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": JOB_LOCK_IDS["cloud_sla"]}).scalar()
            assert run_cloud_sla(app, T1) is None
    finally:
        other.dispose()                                        # the other replica's connection closes: lock gone
    wait_until_released(app, JOB_LOCK_IDS["cloud_sla"])
    assert run_cloud_sla(app, T2) is not None
    assert [(tick, outcome) for tick, outcome, _ in runs(app)] == [(T1, "skipped"), (T2, "succeeded")]
    assert runs(app)[0][2] == "上一次运行尚未结束（在另一实例上）"
