"""The run queue and its workers (control/core/runs.py), on SQLite and PostgreSQL, with real worker processes:
each queued run is executed once across two processes, a run left running by a killed worker is interrupted at
the next worker's start (and not by a live one), events are read after N, cancel takes effect between steps."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session

from control.core import runs
from control.core.db import make_engine
from tests.integration.runs_worker import probe

ROOT = Path(__file__).resolve().parents[2]


def start_worker(url: str, size: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.runs_worker", url, str(size)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, proc.stdout.readline().strip()


def wait_for(check, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail("the runs never got there")


def statuses(engine, ids) -> dict[int, runs.Run]:
    with Session(engine) as session:
        return {i: session.get(runs.Run, i) for i in ids}


def test_two_worker_processes_execute_each_run_once(db_url, tmp_path):
    engine = make_engine(db_url)
    log = tmp_path / "starts.log"
    with Session(engine) as session:
        ids = [runs.enqueue(session, "probe", "apply", params={"log": str(log), "steps": 2, "sleep": 0.05}).id
               for _ in range(20)]
    workers = [start_worker(db_url, 3) for _ in range(2)]
    try:
        wait_for(lambda: all(r.status == runs.RunStatus.succeeded for r in statuses(engine, ids).values()))
    finally:
        for proc, _ in workers:
            proc.kill()
            proc.wait()
    starts = Counter(line.split()[0] for line in log.read_text().splitlines())
    assert starts == {str(i): 1 for i in ids}
    done = statuses(engine, ids)
    assert {r.worker_id for r in done.values()} <= {w for _, w in workers}
    assert all(r.result == {"steps": 2} and r.started_at and r.finished_at for r in done.values())
    with Session(engine) as session:
        assert [e.seq for e in runs.events_after(session, ids[0])] == [1, 2]
        assert runs.queue_depth(session) == 0


def test_a_killed_workers_run_is_interrupted_when_the_next_worker_starts(db_url, tmp_path):
    engine = make_engine(db_url)
    with Session(engine) as session:
        run_id = runs.enqueue(session, "probe", "apply",
                              params={"log": str(tmp_path / "log"), "steps": 1000, "sleep": 0.1}).id
    first, first_id = start_worker(db_url, 1)
    try:
        wait_for(lambda: len(events(engine, run_id)) >= 2)
        # a second live worker leaves the first one's run alone
        second, _ = start_worker(db_url, 1)
        second.kill()
        second.wait()
        assert statuses(engine, [run_id])[run_id].status == runs.RunStatus.running
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    seen = len(events(engine, run_id))
    pool = runs.WorkerPool(engine, 1).start()
    pool.stop()
    run = statuses(engine, [run_id])[run_id]
    assert run.status == runs.RunStatus.interrupted
    assert run.worker_id == first_id and first_id in run.error and run.finished_at
    assert len(events(engine, run_id)) == seen       # its events up to the kill are kept


def events(engine, run_id, after=0, limit=runs.EVENTS_LIMIT):
    with Session(engine) as session:
        return runs.events_after(session, run_id, after, limit)


def test_events_after_n_and_cancel_between_steps(db_url, tmp_path):
    engine = make_engine(db_url)
    runs.register("probe", probe)
    with Session(engine) as session:
        run_id = runs.enqueue(session, "probe", "check",
                              params={"log": str(tmp_path / "log"), "steps": 1000, "sleep": 0.05}).id
        queued = runs.enqueue(session, "probe", "check", params={"log": str(tmp_path / "log")})
        runs.request_cancel(session, queued)       # a queued run is cancelled at once, never started
        assert queued.status == runs.RunStatus.cancelled
    pool = runs.WorkerPool(engine, 1).start()
    try:
        wait_for(lambda: len(events(engine, run_id)) >= 5)
        assert [e.seq for e in events(engine, run_id, after=2, limit=2)] == [3, 4]
        assert events(engine, run_id, after=3)[0].task == "step 4"
        with Session(engine) as session:
            runs.request_cancel(session, session.get(runs.Run, run_id))
        wait_for(lambda: statuses(engine, [run_id])[run_id].status == runs.RunStatus.cancelled)
    finally:
        pool.stop()
    seqs = [e.seq for e in events(engine, run_id)]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) < 1000
    assert (tmp_path / "log").read_text().split()[0] == str(run_id)    # the cancelled queued run never started
