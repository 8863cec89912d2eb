"""Benchmark: the census at province scale, 20,000 systems (or SIZE) across 2,000 departments. Times (a) the
import of a 20,000-row workbook through census.import_workbook, first into an empty inventory and then
again (every row unchanged), and (b) the list endpoint GET /api/v1/systems with filters (department
subtree, network, status, q), p50/p95 over 200 requests. Targets: (a) < 10 s, (b) p95 < 25 ms.
At 200,000 systems (past one province) the list target is p95 < 50 ms.
Prints the figures; asserts nothing. `bench/inventory.py [SIZE] [--db sqlite|postgresql]`."""
from __future__ import annotations

import io
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, insert, select
from sqlmodel import Session

from bench.harness import arguments, database, figure, settle
from control.app import create_app
from control.core.accounts import Department, Level, User
from control.core.auth import actor_for, hash_password
from control.core.migrate import upgrade
from control.core.roles import Role
from control.org.codes import uscc_check_char
from control.settings import Settings
from control.systems import census
from control.systems.census import fields_of
from control.systems.census_read import WorkbookLimits
from control.systems.enums import SystemKind
from control.systems.models import InformationSystem

ARGS = arguments(__doc__, 20_000)
SYSTEMS = ARGS.size
DEPARTMENTS = 2_000
COUNTIES = 20                       # root → 20 counties → the other departments under them
SHARING_LINES = SYSTEMS // 5
PASSWORD = "bench-password"
NOW = datetime(2026, 6, 15, 1, tzinfo=UTC)


def code_for(i: int) -> str:
    body = f"1145000000{i:07d}"
    return body + uscc_check_char(body)


def parent_of(i: int) -> int:
    return 1 if i <= COUNTIES + 1 else 2 + i % COUNTIES


def name_of(i: int) -> str:
    if i == 1:
        return "自治区大数据局"
    return f"第{i - 1}县人民政府" if parent_of(i) == 1 else f"第{parent_of(i) - 1}县第{i}局"


def populate_departments(url: str, tmp: Path) -> None:
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    engine = app.state.engine
    rows = [{"id": 1, "code": code_for(1), "name": name_of(1), "level": Level.province, "parent_id": None,
             "path": "/1/", "active": True, "created_at": NOW}]
    for i in range(2, DEPARTMENTS + 1):
        parent = parent_of(i)
        path = f"/1/{i}/" if parent == 1 else f"/1/{parent}/{i}/"
        rows.append({"id": i, "code": code_for(i), "name": name_of(i), "level": Level.county,
                     "parent_id": parent, "path": path, "active": True, "created_at": NOW})
    with engine.begin() as conn:
        conn.execute(insert(Department), rows)
        conn.execute(insert(User), [{"username": "infocenter", "display_name": "信息中心",
                                     "role": Role.infocenter, "password_hash": hash_password(PASSWORD),
                                     "active": True, "created_at": NOW}])
    engine.dispose()


def department_row(i: int) -> tuple[str | None, str | None]:
    """Departments named the ways forms name them: code only, name only, or both."""
    return [(name_of(i), code_for(i)), (None, code_for(i)), (name_of(i), None)][i % 3]


def workbook() -> bytes:
    """20,000 filled rows (a tenth on the vertical sheet) in the tolerant forms departments use."""
    rng = random.Random(11)
    wb = Workbook(write_only=True)
    sheets = {}
    for title, kind in census.SHEET_KINDS.items():
        ws = wb.create_sheet(title)
        fields = fields_of(kind)
        ws.append([census.DEPT_NAME, census.DEPT_CODE] + [census.header(f) for f in fields])
        sheets[kind] = (ws, [f.name for f in fields])
    sharing = wb.create_sheet(census.SHARING_SHEET)
    sharing.append(census.SHARING_HEADERS)
    networks = ["电子政务外网", "互联网", "电子政务外网、互联网", "业务专网，互联网", "外网/互联网", "政务内网"]
    for n in range(SYSTEMS):
        dept = 2 + n % (DEPARTMENTS - 1)
        dept_name, dept_code = department_row(dept)
        name = f"业务系统{n:05d}"
        vertical = n % 10 == 0
        values = {"name": name, "status": rng.choice(["正在运行", "停止运行", "其他", "运行中"]),
                  "function_description": f"第{n}号业务的受理、审批与统计",
                  "information_resources": "企业基本信息", "networks": rng.choice(networks),
                  "is_classified": rng.choice(["否", "☐", "N", None]), "other_notes": None}
        if not vertical:
            reach = rng.random() < 0.7
            values.update({
                "protection_level": rng.choice(["２", 3, "3级", None]),
                "can_reach_external": "√" if reach else "×",
                "reach_method": "直接连接" if reach else None,
                "no_reach_reason": None if reach else "物理隔离",
                "access_address": f"http://10.{n % 250}.{n % 199}.1/",
                "site_consolidation": rng.choice(["是", "否", None]),
                "use_scopes": rng.choice(["科室内部", "本部门或管理单位、纵向到基层", "横向跨部门；纵向到基层"]),
                "user_count": rng.choice(["不固定", 120, "１２００", "35人"]),
                "usage_frequency": rng.choice(["每日", "每周", "按需", "每季度"]),
                "responsible_name": "张三", "responsible_title": "科长", "responsible_phone": 13800000000 + n,
                "approving_unit": "县发展和改革局",
                "approval_date": rng.choice(["2017年1月10日", "2017-01-10", "2017.1.10", "2017/1/10",
                                             datetime(2018, 3, 5)]),
                "build_date": 43000 + n % 900, "warranty_years": "3年",
                "build_cost": rng.choice(["12.5", "１２．５", "120万元", 88]), "build_funding_source": "县级财政预算",
                "om_cost_yearly": "8.5万元", "om_funding_source": "自筹", "om_vendors": " 示范信息技术有限公司 ",
            })
        ws, names = sheets[SystemKind.vertical if vertical else SystemKind.self_built]
        ws.append([dept_name, dept_code] + [values.get(f) for f in names])
        if n < SHARING_LINES:
            sharing.append([dept_name, dept_code, name, rng.choice(["已向其他部门提供", "已获取", "需其他部门提供"]),
                            "人口基础信息", "县公安局", rng.choice(["API接口", "前置机", None])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def limits_for(data: bytes) -> WorkbookLimits:
    """The upload limits, raised only as far as a workbook past the province-scale default needs."""
    s = WorkbookLimits.of()
    return replace(s, upload_bytes=max(s.upload_bytes, 2 * len(data)), rows=max(s.rows, SYSTEMS + SHARING_LINES + 10),
                   part_bytes=max(s.part_bytes, 40 * len(data)), total_bytes=max(s.total_bytes, 80 * len(data)))


def time_import(engine, data: bytes, label: str, key: str, target: float | None) -> None:
    with Session(engine) as session:
        actor = actor_for(session, session.execute(select(User)).scalar_one())
        t = time.perf_counter()
        result = census.import_workbook(session, actor, data, limits_for(data))
        seconds = time.perf_counter() - t
    print(f"import, {label}: {SYSTEMS} rows in {seconds:.2f} s ({SYSTEMS / seconds:,.0f} rows/s; "
          f"created {result.created}, updated {result.updated}, unchanged {result.unchanged})"
          + (f"  target < {target:g} s" if target else ""))
    figure(f"census import, {key}", seconds, "s", target, size=SYSTEMS)


def time_list(app) -> None:
    rng = random.Random(3)
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", data={"username": "infocenter", "password": PASSWORD}
                            ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        variants = [
            lambda: {"department_id": rng.randrange(2, COUNTIES + 2)},               # a county's subtree
            lambda: {"department_id": rng.randrange(COUNTIES + 2, DEPARTMENTS + 1)},         # one department
            lambda: {"network": rng.choice(["extranet", "internet", "private", "intranet"])},
            lambda: {"status": rng.choice(["running", "stopped", "registered"])},
            lambda: {"q": f"业务系统{rng.randrange(SYSTEMS):05d}"},
            lambda: {"department_id": rng.randrange(2, COUNTIES + 2), "network": "internet",
                     "status": "running"},
            lambda: {"q": "业务系统1", "status": "running", "offset": 50},
            dict,
        ]
        for i in range(16):
            client.get("/api/v1/systems", params=variants[i % len(variants)](), headers=headers)
        times = {}
        for i in range(200):
            params = variants[i % len(variants)]()
            t = time.perf_counter()
            r = client.get("/api/v1/systems", params=params, headers=headers)
            times.setdefault(i % len(variants), []).append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
        every = sorted(t for ts in times.values() for t in ts)
        p95_target = 25 if SYSTEMS <= 20_000 else 50
        print(f"list GET /api/v1/systems with filters (subtree, network, status, q): "
              f"p50 {statistics.median(every):.1f} ms, p95 {every[189]:.1f} ms  target p95 < {p95_target} ms")
        names = ["county subtree", "one department", "network", "status", "q", "subtree+network+status",
                 "q+status, page 2", "no filter"]
        print("  per filter, p50 ms: " + ", ".join(f"{names[k]} {statistics.median(v):.1f}"
                                                   for k, v in sorted(times.items())))
        figure("inventory list with filters, p95", every[189], "ms", p95_target, size=SYSTEMS)
        figure("inventory list, free text q, p50", statistics.median(times[4]), "ms", size=SYSTEMS)
        figure("inventory list, network filter, p50", statistics.median(times[2]), "ms", size=SYSTEMS)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yz-bench-inventory-"))
    try:
        with database(ARGS.db, tmp, "inventory") as url:
            run(url, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: Path) -> None:
    upgrade(url)
    populate_departments(url, tmp)
    t = time.perf_counter()
    data = workbook()
    print(f"workbook: {SYSTEMS} rows, {SHARING_LINES} sharing lines, {len(data) / 1e6:.1f} MB written in "
          f"{time.perf_counter() - t:.1f} s")
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    time_import(app.state.engine, data, "into an empty inventory", "empty inventory",
                10 if SYSTEMS <= 20_000 else None)
    time_import(app.state.engine, data, "again (re-import, nothing changes)", "re-import", None)
    with Session(app.state.engine) as session:
        count = session.execute(select(func.count()).select_from(InformationSystem)).scalar_one()
    print(f"inventory: {count} systems across {DEPARTMENTS} departments")
    settle(url)                           # the list is read long after the import, as the other benchmarks
    time_list(app)
    app.state.engine.dispose()


if __name__ == "__main__":
    main()
