"""Benchmark: zombie detection at province scale, 20,000 running systems (ten a department) with 90 days
of the seven canonical metrics (12.6 M daily values). Times (c) loading the values by CSV import (a file
per 20,000 systems) through usage.import_csv, (a) a full scan from the store through service.run_scan,
and (b) the same five criteria as a plain NumPy pass over the same values already in memory, and prints
(a)/(b) and how much of (a) is reading and counting.
Targets: (a) < 2 s on SQLite, < 1 s on PostgreSQL, < 10 s at 200,000 systems; within 30× of (b).
Prints the figures; asserts nothing. `bench/zombies.py [SIZE] [--db sqlite|postgresql]`."""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select
from sqlmodel import Session

from bench.harness import arguments, database, figure, settle
from control.app import create_app
from control.core.accounts import Department, Level, User
from control.core.auth import actor_for, hash_password
from control.core.migrate import upgrade
from control.core.policy import load_policy
from control.core.roles import Role
from control.org.codes import uscc_check_char
from control.settings import Settings
from control.systems.enums import SystemKind, SystemStatus
from control.systems.models import InformationSystem
from control.zombies import service, usage
from control.zombies.enums import Metric

ARGS = arguments(__doc__, 20_000)    # a smaller run: bench/zombies.py 2000
SYSTEMS = ARGS.size
# Ten systems a department at every size, as bench/migration.py: 200,000 systems are ten provinces' worth,
# not 2,000 departments of 100 each. Descriptions are compared within a department, k² pairs for k systems
# (control/zombies/similarity.py), so the department size, not the province's, sets that part's cost.
DEPARTMENTS = max(SYSTEMS // 10, 1)
DAYS = 90
AS_OF = date(2026, 11, 22)
NOW = datetime(2026, 11, 23, 1, tzinfo=UTC)
SCANS = 5             # timed scans, the best counted: the ratio of two sizes' bests is what shows growth
CHUNK = 20_000        # systems per CSV file: an import holds its whole file's values before writing them
METRICS = [m.value for m in Metric]          # cpu_p95 memory_avg network_bytes requests active_users logins deployments
LOW_FREQUENCIES = ("quarterly", "yearly", "on_demand")


def generate(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Values[metric] is (systems × days), NaN where nothing was recorded. One system in twenty of each
    profile: business gone, resources idle, small and rare, too little data; the rest are busy."""
    shape = (SYSTEMS, DAYS)
    profile = np.arange(SYSTEMS) % 20
    values = {
        "cpu_p95": rng.uniform(0.1, 0.9, shape), "memory_avg": rng.uniform(0.2, 0.9, shape),
        "network_bytes": rng.uniform(1e7, 5e9, shape).round(), "requests": rng.integers(5, 5000, shape).astype(float),
        "active_users": rng.integers(6, 800, shape).astype(float), "logins": rng.integers(1, 400, shape).astype(float),
        "deployments": (rng.random(shape) < 0.05).astype(float),
    }
    values["requests"][profile == 0] = rng.integers(0, 2, (int((profile == 0).sum()), DAYS))
    values["logins"][profile == 0] = 0
    values["cpu_p95"][profile == 1] = rng.uniform(0, 0.05, (int((profile == 1).sum()), DAYS))
    values["network_bytes"][profile == 1] = rng.uniform(0, 5e6, (int((profile == 1).sum()), DAYS)).round()
    values["active_users"][profile == 2] = rng.integers(0, 6, (int((profile == 2).sum()), DAYS))
    values["deployments"][profile <= 2] = 0
    sparse = (profile == 3)[:, None] & (rng.random(shape) < 0.5)
    for metric in METRICS:
        values[metric][sparse] = np.nan
    census = {"office_scope": profile == 2,
              "low_frequency": np.isin(profile, (2, 5)),
              "om_missing": np.isin(profile, (0, 6))}     # no O&M vendor and no yearly O&M cost
    return values, census


def populate(url: str, tmp: Path, census: dict[str, np.ndarray]) -> None:
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    departments = [{"id": i, "code": (body := f"1153000000{i:07d}") + uscc_check_char(body),
                    "name": f"第{i}局", "level": Level.county, "parent_id": None, "path": f"/{i}/",
                    "active": True, "created_at": NOW} for i in range(1, DEPARTMENTS + 1)]
    systems = []
    for i in range(SYSTEMS):
        om_missing = bool(census["om_missing"][i])
        systems.append({
            "id": i + 1, "code": f"SYS-{i:05d}", "department_id": 1 + i % DEPARTMENTS, "name": f"业务系统{i:05d}",
            "kind": SystemKind.self_built, "status": SystemStatus.running, "networks": ["extranet"],
            "is_classified": False, "user_count_varies": False,
            "function_description": f"第{i}号业务的受理、审批、统计与第{i % 97}类档案管理",
            "use_scopes": ["office"] if census["office_scope"][i] else ["department"],
            "usage_frequency": "quarterly" if census["low_frequency"][i] else "daily",
            "om_vendors": None if om_missing else "示范信息技术有限公司", "om_cost_yearly": 0 if om_missing else 8.5,
            "created_at": NOW, "updated_at": NOW})
    with app.state.engine.begin() as conn:
        conn.execute(insert(Department), departments)
        conn.execute(insert(InformationSystem), systems)
        conn.execute(insert(User), [{"username": "auditor", "display_name": "审计", "role": Role.auditor,
                                     "password_hash": hash_password("bench-password"), "active": True,
                                     "created_at": NOW},
                                    {"username": "ops", "display_name": "运维", "role": Role.ops,
                                     "password_hash": hash_password("bench-password"), "active": True,
                                     "created_at": NOW}])
    app.state.engine.dispose()


def write_csv(values: dict[str, np.ndarray], path: Path, systems: range) -> int:
    """The values of these systems as one CSV file, written a system at a time; returns the number of values."""
    days = [(AS_OF - timedelta(days=DAYS - 1 - d)).isoformat() for d in range(DAYS)]
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("system_code,metric,day,value\n")
        for i in systems:
            code = f"SYS-{i:05d}"
            for metric in METRICS:
                row = values[metric][i]
                lines = [f"{code},{metric},{days[d]},{row[d]:g}\n" for d in range(DAYS) if row[d] == row[d]]
                rows += len(lines)
                out.write("".join(lines))
    return rows


def numpy_scan(values: dict[str, np.ndarray], census: dict[str, np.ndarray], p) -> np.ndarray:
    """The same criteria over arrays in memory: counts per window, thresholds, candidate rule."""
    c = p.criteria
    need = p.min_coverage

    def window(metric: str, days: int) -> np.ndarray:
        return values[metric][:, DAYS - days:]

    bd, idle, ss = c.business_disconnected, c.idle_resources, c.small_scope_low_frequency
    req, logins = window("requests", bd.window_days), window("logins", bd.window_days)
    req_days, login_days = (~np.isnan(req)).sum(1), (~np.isnan(logins)).sum(1)
    req_low = (req <= bd.max_requests_per_day).sum(1)
    c1 = ((req_days >= need * bd.window_days) & (req_low >= bd.min_share_of_days * req_days)
          | (login_days >= need * bd.window_days) & (np.nansum(logins, 1) == 0))
    cpu, net = window("cpu_p95", idle.window_days), window("network_bytes", idle.window_days)
    both = ~np.isnan(cpu) & ~np.isnan(net)
    idle_days = (both & (cpu <= idle.max_cpu_p95) & (net <= idle.max_network_bytes)).sum(1)
    c3 = (both.sum(1) >= need * idle.window_days) & (idle_days >= idle.min_share_of_days * both.sum(1))
    c4 = census["om_missing"]      # 90 days of history cannot show 365 days without deployments
    au = window("active_users", ss.window_days)
    au_days = (~np.isnan(au)).sum(1)
    few_users = (au_days >= need * ss.window_days) & (
        (au <= ss.max_active_users).sum(1) >= ss.min_share_of_days * au_days
    )
    c5 = census["office_scope"] & (census["low_frequency"] | few_users)
    held = c1.astype(int) + c3 + c4 + c5
    return c1 | c3 | (held >= 2)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yz-bench-zombies-"))
    try:
        with database(ARGS.db, tmp, "zombies") as url:
            run(url, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: Path) -> None:
    upgrade(url)
    values, census = generate(np.random.default_rng(5))
    populate(url, tmp, census)
    policy = load_policy(None).zombies
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    csv_path = tmp / "usage.csv"
    rows = size = load = samples = system_days = 0
    for first in range(0, SYSTEMS, CHUNK):          # one file at 20,000 systems; ten at 200,000
        rows += write_csv(values, csv_path, range(first, min(first + CHUNK, SYSTEMS)))
        size += csv_path.stat().st_size
        with Session(app.state.engine) as session, csv_path.open("rb") as stream:
            ops = session.execute(select(User).where(User.username == "ops")).scalar_one()
            t = time.perf_counter()
            limits = replace(usage.Limits.of(app.state.settings), max_rows=len(METRICS) * CHUNK * DAYS)
            result = usage.import_csv(session, actor_for(session, ops), stream, limits)
            load += time.perf_counter() - t
        samples, system_days = samples + result["samples"], system_days + result["system_days"]
        csv_path.unlink()
    print(f"data: {SYSTEMS} systems × {DAYS} days × {len(METRICS)} metrics = {rows:,} values, "
          f"CSV {size / 1e6:.0f} MB")
    print(f"(c) CSV import: {samples:,} values, {system_days:,} system-days "
          f"in {load:.1f} s ({samples / load / 1e6:.2f} M values/s)")
    figure("usage CSV import", load, "s", size=SYSTEMS)
    settle(url)
    scans = []
    for _ in range(SCANS):             # each scan in its own session, as the API and the daily job run it
        with Session(app.state.engine) as session:
            t = time.perf_counter()
            auditor = session.execute(select(User).where(User.username == "auditor")).scalar_one()
            scan = service.run_scan(session, actor_for(session, auditor), policy, AS_OF)
            scans.append(time.perf_counter() - t)
            scanned, found, blind = scan.scanned, scan.candidates, scan.insufficient
    with Session(app.state.engine) as session:
        counts = []
        for _ in range(3):       # the part of a scan that is what the NumPy pass does: read and count
            t = time.perf_counter()
            service._usage(session, policy, AS_OF, np.arange(1, SYSTEMS + 1))
            counts.append(time.perf_counter() - t)
    numpy_times = []
    for _ in range(3):
        t = time.perf_counter()
        candidates = numpy_scan(values, census, policy)
        numpy_times.append(time.perf_counter() - t)
    best_scan, best_numpy = min(scans), min(numpy_times)
    print(f"(a) scan from the store ({ARGS.db}): best {best_scan:.2f} s of {len(scans)} "
          f"({', '.join(f'{s:.2f}' for s in scans)}); {scanned} scanned, {found} candidates, "
          f"{blind} insufficient data")
    print(f"(b) NumPy pass in memory: best {best_numpy * 1000:.1f} ms; {int(candidates.sum())} candidates")
    scan_target = (2 if ARGS.db == "sqlite" else 1) if SYSTEMS <= 20_000 else 10
    print(f"ratio (a)/(b): {best_scan / best_numpy:.1f}×   targets: (a) < {scan_target} s, ratio ≤ 30×")
    print(f"    of which reading the store and counting days per window: best {min(counts):.2f} s "
          f"({min(counts) / best_numpy:.0f}× NumPy); the rest reads the inventory, compares descriptions, judges, "
          "keeps the verdicts and moves the review cases")
    figure(f"zombie scan, best of {SCANS}", best_scan, "s", scan_target, size=SYSTEMS)
    figure("zombie scan ÷ NumPy pass", best_scan / best_numpy, "×", 30, "<=", size=SYSTEMS)
    figure("zombie scan, reading and counting", min(counts), "s", size=SYSTEMS)
    figure("NumPy pass in memory", best_numpy * 1000, "ms", size=SYSTEMS, linear_reference=True)
    app.state.engine.dispose()


if __name__ == "__main__":
    main()
