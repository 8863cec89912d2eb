"""Automation runs and their events, a queue in the database and the worker pool that empties it (the AWX /
ansible-runner shape: a run is a record with a status and a numbered stream of events, watched live and replayed).

Generic on purpose: a domain registers a handler for a run kind (`register`), and something enqueues runs of it
(`enqueue`). A handler gets a RunContext: a session factory, the run as claimed, `emit(dict)` which numbers an
event (1..N per run) and has it written within FLUSH_SECONDS, and `cancelled()`, checked between units of work.
It returns a result (kept as JSON) or raises: `Cancelled` ends the run cancelled, anything else failed with its
first line.

Liveness is a worker registry (`run_worker`: host, pid, heartbeat) rather than a heartbeat per run: one write per
worker per interval however many runs it holds, and a restarted worker on the same host tells at once that a
pid is gone (no waiting for a stale heartbeat). A worker on another host is taken for dead when its heartbeat is
older than DEAD_AFTER. Two live workers never mark each other's runs: a live one's pid exists and it beats.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, Column, Engine, Index, Text, UniqueConstraint, func, literal, select, update
from sqlmodel import Field, Session, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.dialect import claim_one
from control.core.enums import LabeledEnum

log = logging.getLogger("yunzhang.runs")
HOST = socket.gethostname()[:64]
HEARTBEAT = timedelta(seconds=5)
DEAD_AFTER = HEARTBEAT * 6          # a worker on another host silent this long has died
POLL_SECONDS = 0.5                  # how often an idle worker looks for queued runs (enqueue wakes it in-process)
EVENTS_LIMIT = 500                  # most events one read returns
FLUSH_SECONDS = 0.1                 # how long an emitted event may wait to be written with the next ones


class RunStatus(LabeledEnum):
    queued = ("queued", "排队中", "Queued")
    running = ("running", "运行中", "Running")
    succeeded = ("succeeded", "成功", "Succeeded")
    failed = ("failed", "失败", "Failed")
    cancelled = ("cancelled", "已取消", "Cancelled")
    interrupted = ("interrupted", "已中断", "Interrupted")    # left running by a worker process that died


FINISHED = (RunStatus.succeeded, RunStatus.failed, RunStatus.cancelled, RunStatus.interrupted)


class Run(SQLModel, table=True):
    """One execution: what (kind, mode), for what (change, device, department), by which worker, how it ended."""
    __tablename__ = "run"
    __table_args__ = (Index("ix_run_status_id", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)                      # the handler: playbook, device, backup, ...
    mode: str = Field(max_length=16)                      # check, apply, verify, rollback, backup
    status: str = Field(max_length=16, default=RunStatus.queued)
    change_id: int | None = Field(default=None, index=True)
    device_id: int | None = Field(default=None, index=True)
    department_id: int | None = Field(default=None, index=True)   # the subject's, for department scope
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cancel_requested: bool = False
    worker_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    duration_seconds: float | None = None                 # finished_at - started_at, for the histogram
    error: str = Field(default="", max_length=2000)


class RunEvent(SQLModel, table=True):
    """One event of a run, numbered from 1: a device command and its output, an ansible-runner event."""
    __tablename__ = "run_event"
    __table_args__ = (UniqueConstraint("run_id", "seq", name="uq_run_event_run_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id")
    seq: int
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    event: str = Field(max_length=48)                     # command, runner_on_ok, playbook_on_task_start, ...
    host: str = Field(default="", max_length=255)
    task: str = Field(default="", max_length=500)
    changed: bool = False
    failed: bool = False
    stdout: str = Field(default="", sa_column=Column(Text, nullable=False))
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RunWorker(SQLModel, table=True):
    """A live (or dead, until the next start notices) worker process: whose runs are whose."""
    __tablename__ = "run_worker"
    id: str = Field(primary_key=True, max_length=64)
    host: str = Field(max_length=64)
    pid: int
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    heartbeat_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Cancelled(Exception):
    """Raised by a handler that saw cancel_requested between two units of work."""


class RunFailed(Exception):
    """Raised by a handler whose work ran to its end and failed (a failed task): the result is still kept."""

    def __init__(self, message: str, result: dict | None = None):
        super().__init__(message)
        self.result = result


@dataclass
class RunContext:
    sessions: Callable[[], Session]
    run: Run
    emit: Callable[[dict], int]
    cancelled: Callable[[], bool]


Handler = Callable[[RunContext], dict | None]
_handlers: dict[str, Handler] = {}
_wake = threading.Event()
EVENT_FIELDS = ("event", "host", "task", "changed", "failed", "stdout")


class EventWriter:
    """A run's events, numbered 1..N as they are emitted (from any thread) and written a batch at a time at
    most FLUSH_SECONDS later: one insert for the events of every device busy meanwhile, where a commit for each
    held sixteen devices' threads in line behind one another. A page polling "events after N" sees them that
    much later; a batch is written whole and in order, so it never sees a gap. A batch the database refused is
    tried again with the next one."""

    def __init__(self, engine: Engine, run_id: int):
        self.engine, self.run_id = engine, run_id
        self.lock = threading.Lock()          # the numbering and the buffer
        self.writing = threading.Lock()       # one batch written at a time, in order
        self.rows: list[dict] = []
        self.seq = 0
        self.timer: threading.Timer | None = None

    def emit(self, event: dict) -> int:
        with self.lock:
            self.seq += 1
            self.rows.append({"run_id": self.run_id, "seq": self.seq, "at": now(),
                              "event": (event.get("event") or "message")[:48],
                              "host": (event.get("host") or "")[:255], "task": (event.get("task") or "")[:500],
                              "changed": bool(event.get("changed")), "failed": bool(event.get("failed")),
                              "stdout": event.get("stdout") or "",
                              "data": {k: v for k, v in event.items() if k not in EVENT_FIELDS}})
            if self.timer is None:
                self.timer = threading.Timer(FLUSH_SECONDS, self.flush)
                self.timer.daemon = True
                self.timer.start()
            return self.seq

    def flush(self) -> None:
        with self.writing:
            with self.lock:
                rows, self.rows, self.timer = self.rows, [], None
            if not rows:
                return
            try:
                with self.engine.begin() as conn:
                    conn.execute(RunEvent.__table__.insert(), rows)
            except Exception:
                log.exception("run %s: %d events not written yet", self.run_id, len(rows))
                with self.lock:
                    self.rows[:0] = rows

    def close(self) -> None:
        with self.lock:
            timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()
        self.flush()


def register(kind: str, handler: Handler) -> None:
    """The handler that executes runs of `kind` (registering again replaces it)."""
    _handlers[kind] = handler


def enqueue(session: Session, kind: str, mode: str, *, params: dict | None = None, change_id: int | None = None,
            device_id: int | None = None, department_id: int | None = None) -> Run:
    """Commit a queued run and wake this process's workers; any worker of any process may take it."""
    run = Run(kind=kind, mode=mode, params=params or {}, change_id=change_id, device_id=device_id,
              department_id=department_id, created_at=now())
    session.add(run)
    session.commit()
    session.refresh(run)
    _wake.set()
    return run


def wake() -> None:
    """Wake this process's idle workers: a run was committed by other means than `enqueue`."""
    _wake.set()


def events_after(session: Session, run_id: int, after: int = 0, limit: int = EVENTS_LIMIT) -> list[RunEvent]:
    """The run's events numbered above `after`, in order, at most `limit`."""
    return list(session.exec(select(RunEvent).where(RunEvent.run_id == run_id, RunEvent.seq > after)
                             .order_by(RunEvent.seq).limit(limit)).scalars())


def request_cancel(session: Session, run: Run) -> Run:
    """A queued run is cancelled at once; a running one is flagged for its handler to see between units of work."""
    if run.status == RunStatus.queued:
        session.execute(update(Run).where(Run.id == run.id, Run.status == RunStatus.queued)
                        .values(status=RunStatus.cancelled, cancel_requested=True, finished_at=now()))
    elif run.status == RunStatus.running:
        session.execute(update(Run).where(Run.id == run.id).values(cancel_requested=True))
    session.commit()
    session.refresh(run)
    return run


def queue_depth(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Run).where(Run.status == RunStatus.queued)).scalar_one()


def mark_interrupted(session: Session, alive: str) -> list[int]:
    """Runs left running by workers that died become interrupted (recording who held them); `alive` is this
    worker, registered. A worker is dead when on this host its pid is gone, or its heartbeat is stale."""
    stale = now() - DEAD_AFTER
    dead = []
    for worker in session.exec(select(RunWorker).where(RunWorker.id != alive)).scalars():
        if (worker.host == HOST and not _pid_alive(worker.pid)) or worker.heartbeat_at < stale:
            dead.append(worker.id)
    orphans = select(Run.id).where(Run.status == RunStatus.running,
                                   (Run.worker_id.in_(dead)) | Run.worker_id.not_in(select(RunWorker.id)))
    ids = list(session.execute(orphans).scalars())
    if ids:
        session.execute(update(Run).where(Run.id.in_(ids), Run.status == RunStatus.running).values(
            status=RunStatus.interrupted, finished_at=now(),
            error=literal("运行中断：执行进程 ") + Run.worker_id + literal(" 已退出")))
    if dead:
        session.execute(RunWorker.__table__.delete().where(RunWorker.id.in_(dead)))
    session.commit()
    return ids


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerPool:
    """`size` threads taking queued runs one at a time, plus a heartbeat; one per process (serve or worker)."""

    def __init__(self, engine: Engine, size: int):
        self.engine, self.size = engine, size
        self.id = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def sessions(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def start(self) -> WorkerPool:
        with self.sessions() as session:
            at = now()
            session.add(RunWorker(id=self.id, host=HOST, pid=os.getpid(), started_at=at, heartbeat_at=at))
            session.commit()
            interrupted = mark_interrupted(session, self.id)
        if interrupted:
            log.warning("runs %s were interrupted by a dead worker", interrupted)
        self.threads = [threading.Thread(target=self._beat, name="runs-heartbeat", daemon=True)]
        self.threads += [threading.Thread(target=self._loop, name=f"runs-worker-{i}", daemon=True)
                         for i in range(self.size)]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stop taking runs, wait for the running ones, and leave the registry."""
        self.stopping.set()
        _wake.set()
        for thread in self.threads:
            thread.join(timeout)
        with self.sessions() as session:
            session.execute(RunWorker.__table__.delete().where(RunWorker.id == self.id))
            session.commit()

    def _beat(self) -> None:
        """Beat, and look for dead workers each time too: a worker on another host (or one whose pid a restarted
        container reused) is noticed once its heartbeat is stale, without waiting for the next start."""
        while not self.stopping.wait(HEARTBEAT.total_seconds()):
            try:
                with self.sessions() as session:
                    beat = session.execute(update(RunWorker).where(RunWorker.id == self.id).values(heartbeat_at=now()))
                    if beat.rowcount == 0:      # taken for dead after a database outage: register again
                        session.add(RunWorker(id=self.id, host=HOST, pid=os.getpid(), started_at=now(),
                                              heartbeat_at=now()))
                    session.commit()
                    mark_interrupted(session, self.id)
            except Exception:
                log.exception("heartbeat failed")

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                ran = self.run_next()
            except Exception:
                log.exception("worker loop failed")
                ran = False
            if not ran:
                _wake.wait(POLL_SECONDS)
                _wake.clear()

    def run_next(self) -> bool:
        """Claim the oldest queued run of a kind this process handles and execute it; False when none."""
        if not _handlers:
            return False
        with self.sessions() as session:
            run_id = claim_one(session, Run.__table__, (Run.status == RunStatus.queued) & Run.kind.in_(list(_handlers)),
                               {"status": RunStatus.running, "worker_id": self.id, "started_at": now()})
            if run_id is None:
                return False
            run = session.get(Run, run_id)
        self.execute(run)
        return True

    def execute(self, run: Run) -> None:
        events = EventWriter(self.engine, run.id)

        def cancelled() -> bool:
            with self.sessions() as session:
                return bool(session.execute(select(Run.cancel_requested).where(Run.id == run.id)).scalar())

        status, error, result = RunStatus.succeeded, "", None
        try:
            result = _handlers[run.kind](RunContext(self.sessions, run, events.emit, cancelled))
        except Cancelled:
            status = RunStatus.cancelled
        except RunFailed as exc:
            status, error, result = RunStatus.failed, str(exc)[:2000], exc.result
        except Exception as exc:
            log.exception("run %s failed", run.id)
            lines = str(exc).splitlines()
            status, error = RunStatus.failed, f"{type(exc).__name__}: {lines[0] if lines else ''}"[:2000]
        events.close()             # every event is in before the run reads as finished
        finished = now()
        with self.sessions() as session:
            session.execute(update(Run).where(Run.id == run.id, Run.status == RunStatus.running).values(
                status=status, error=error, result=result, finished_at=finished,
                duration_seconds=(finished - run.started_at).total_seconds() if run.started_at else None))
            session.commit()
