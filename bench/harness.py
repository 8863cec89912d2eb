"""What every benchmark shares: which database it runs on, how many rows, and its figures as BENCH lines.

`bench/X.py [SIZE] [--db sqlite|postgresql]` (or YUNZHANG_BENCH_DB). On PostgreSQL a benchmark makes a
fresh database on the server YUNZHANG_BENCH_PG_URL names (bench/run.py sets it) and drops it afterwards;
without that variable it starts its own throw-away server with the deployment settings."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.pgsettings import DEPLOYMENT_SETTINGS
from control.core.db import make_engine
from tests.pgserver import PostgresServer

DATABASES = ("sqlite", "postgresql")


def arguments(doc: str | None, default_size: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=default_size,
                        help=f"rows to generate (default {default_size:,})")
    parser.add_argument("--db", choices=DATABASES, default=os.environ.get("YUNZHANG_BENCH_DB", "sqlite"),
                        help="database to run on (default: YUNZHANG_BENCH_DB, else sqlite)")
    return parser.parse_args()


@contextmanager
def database(kind: str, tmp: Path, name: str) -> Iterator[str]:
    """A fresh, empty database's URL: a file in tmp, or a new database on PostgreSQL, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    server = None
    admin_url = os.environ.get("YUNZHANG_BENCH_PG_URL")
    if not admin_url:
        server = PostgresServer(DEPLOYMENT_SETTINGS).start()
        admin_url = server.url()
    database_name = f"yz_bench_{name}_{os.getpid()}"
    try:
        _admin(admin_url, f"CREATE DATABASE {database_name}")
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + database_name
        finally:
            _admin(admin_url, f"DROP DATABASE IF EXISTS {database_name} WITH (FORCE)")
    finally:
        if server:
            server.stop()


def _admin(url: str, sql: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def settle(url: str) -> None:
    """Write out and vacuum what loading the data left behind, before anything is timed: a deployment's
    nightly scan or morning board runs long after the day's writes were checkpointed and vacuumed (a
    vacuumed table is counted from its covering indexes alone). Without it the
    200,000-system runs timed their scans while the checkpoint of the 1.2 GB just imported was writing
    and autovacuum was reading the new tables, which the 20,000 runs (120 MB, under max_wal_size) never
    met. PostgreSQL: VACUUM (ANALYZE) and CHECKPOINT; SQLite: ANALYZE and a WAL checkpoint."""
    postgresql = url.startswith("postgresql")
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for sql in (("VACUUM (ANALYZE)", "CHECKPOINT") if postgresql
                        else ("ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)")):
                conn.execute(text(sql))
    finally:
        engine.dispose()


def figure(name: str, value: float, unit: str, target: float | None = None, op: str = "<", **more) -> None:
    """One figure as a machine-readable line for bench/run.py; the human-readable lines stay as they were."""
    print("BENCH " + json.dumps({"figure": name, "value": round(value, 4), "unit": unit, "target": target,
                                 "op": op, **more}, ensure_ascii=False), flush=True)


def time_recompute(app, what: str, labels: tuple[str, str], size: int) -> None:
    """Time the stage recompute (cloud SLA states and plans' days behind: one job) twice, the first run
    changing states and the second finding nothing to change, as `what` figures against the 1 s target."""
    from sqlmodel import Session

    from control.cloud.service import Context, recompute_sla
    with Session(app.state.engine) as session:
        ctx = Context(calendar=app.state.calendars.get(session), policy=app.state.policy)
        for label, key in zip(labels, ("first run", "steady"), strict=True):
            t = time.perf_counter()
            result = recompute_sla(session, ctx)
            seconds = time.perf_counter() - t
            print(f"{what}, {label}: {seconds:.3f} s "
                  f"({result['open_stages']} open stages, {result['changed']} changed)  target < 1 s")
            figure(f"{what}, {key}", seconds, "s", 1, size=size)
