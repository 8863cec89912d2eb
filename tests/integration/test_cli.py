"""The yunzhang command line, run as a real process against SQLite and PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from control.core.db import make_engine
from tests.conftest import create_database

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")


def run(url: str, *args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": "cli-test"}
    return subprocess.run([YUNZHANG, *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.db'}"
    return create_database(request.getfixturevalue("pg_server"), template=None)


def test_upgrade_demo_user_and_verify(empty_url):
    r = run(empty_url, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    r = run(empty_url, "demo", "load")
    assert r.returncode == 0, r.stderr
    assert "admin-yz-2026" in r.stdout and "演示数据已加载" in r.stdout
    r = run(empty_url, "demo", "load")
    assert r.returncode == 0 and "未加载" in r.stdout          # never loads twice
    assert_demo_migration(empty_url)
    r = run(empty_url, "user", "add", "zhangsan", "--role", "department", "--department", "11530921D00000080H",
            "--password-stdin", stdin="a-long-password\n")
    assert r.returncode == 0, r.stderr
    assert "zhangsan" in r.stdout
    r = run(empty_url, "user", "add", "lisi", "--role", "department", "--department", "00000000-0",
            "--password-stdin", stdin="a-long-password\n")
    assert r.returncode == 1 and "不存在" in r.stderr
    r = run(empty_url, "audit", "verify")
    assert r.returncode == 0 and r.stdout.startswith("OK")

    engine = make_engine(empty_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        conn.execute(text("DELETE FROM audit_entry WHERE id = 5"))
    engine.dispose()
    r = run(empty_url, "audit", "verify")
    assert r.returncode == 1 and "第 6 条" in r.stderr


def assert_demo_migration(url: str) -> None:
    """The demo's private networks in every state, plans of both kinds on and behind plan, one network whose
    O&M funding stops and one approved exception, as the board shows them."""
    from sqlmodel import Session

    from control.demo import DEMO_ACTOR
    from control.migration.board import board
    from control.networks.enums import NetworkState

    engine = make_engine(url)
    with Session(engine) as session:
        total = board(session, DEMO_ACTOR)
    engine.dispose()
    t = total["total"]
    assert all(t[state.value] >= 1 for state in NetworkState), t
    assert t["on_plan"] >= 1 and t["behind_plan"] >= 1 and t["systems_exception"] == 1 and t["systems_migrated"] >= 1
    assert [r["network_name"] for r in total["funding_stop"]] == ["县医共体专网"]
    r = run(url, "plans", "list", "--behind")
    assert r.returncode == 0 and "教育专网迁移计划" in r.stdout and "上云计划" in r.stdout


def test_default_database_is_var_yunzhang_db(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "YUNZHANG_DATABASE_URL"}
    r = subprocess.run([YUNZHANG, "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "var" / "yunzhang.db").exists()
    import sqlite3
    mode = sqlite3.connect(tmp_path / "var" / "yunzhang.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_calendar_and_requests_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'cal.db'}"
    assert run(url, "db", "upgrade").returncode == 0
    r = run(url, "calendar", "add-days", "2026-09-30", "1")
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "2026-10-08"
    r = run(url, "calendar", "add-days", "2026-12-15", "15")
    assert r.returncode == 1 and "2027" in r.stderr
    arrangement = tmp_path / "2027.yaml"
    from tests.calendar_samples import ARRANGEMENT_2027, as_yaml, without
    arrangement.write_text(as_yaml(without("清明节")), encoding="utf-8")
    r = run(url, "calendar", "import", str(arrangement))
    assert r.returncode == 1 and "缺少法定节假日：清明节" in r.stderr
    arrangement.write_text(as_yaml(ARRANGEMENT_2027), encoding="utf-8")
    r = run(url, "calendar", "import", str(arrangement))
    assert r.returncode == 0, r.stderr
    r = run(url, "calendar", "import", str(arrangement))
    assert r.returncode == 1 and "--replace" in r.stderr
    assert run(url, "calendar", "import", str(arrangement), "--replace").returncode == 0
    r = run(url, "calendar", "add-days", "2026-12-15", "15")
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "2027-01-06"
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nworkdays: [2027-01-05]\n", encoding="utf-8")
    r = run(url, "calendar", "import", str(bad))
    assert r.returncode == 1 and "周六或周日" in r.stderr
    r = run(url, "requests", "list", "--overdue")
    assert r.returncode == 0 and "共 0 条" in r.stdout
    assert run(url, "requests", "recompute").returncode == 0


def test_metrics_and_zombie_commands(tmp_path):
    """Usage metrics in by CSV (all or nothing), a kept scan as JSON, the auditors' list, and a pull
    that names its missing setting."""
    import json

    import openpyxl
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "db", "upgrade").returncode == 0
    assert run(url, "demo", "load").returncode == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        code = conn.execute(text("SELECT code FROM information_system WHERE status = 'running' "
                                 "AND is_classified = 0 ORDER BY id LIMIT 1")).scalar()
        scans_before = conn.execute(text("SELECT count(*) FROM zombie_scan")).scalar()
    engine.dispose()

    bad = tmp_path / "bad.csv"
    bad.write_text(f"system_code,metric,day,value\n{code},requests,2026-11-01,5\n{code},logins,2026-11-01,-1\n",
                   encoding="utf-8")
    r = run(url, "metrics", "import", str(bad))
    assert r.returncode == 2 and "未写入任何数据" in r.stderr and "第3行 value" in r.stderr
    assert "invalid_value" not in r.stderr and len(r.stderr.splitlines()) == 1          # codes stay in the API
    good = tmp_path / "good.csv"
    good.write_text(f"system_code,metric,day,value\n{code},requests,2026-11-01,5\n{code},logins,2026-11-01,1\n",
                    encoding="utf-8")
    r = run(url, "metrics", "import", str(good))
    assert r.returncode == 0 and "已写入 2 个数值" in r.stdout, r.stderr

    r = run(url, "zombies", "scan", "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["scan"]["scanned"] > 0 and result["scan"]["candidates"] == len(result["candidates"]) > 0
    assert all(c["held"] for c in result["candidates"])
    r = run(url, "zombies", "scan", "--as-of", "2026-11-01")
    assert r.returncode == 0 and "基准日 2026-11-01" in r.stdout
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM zombie_scan")).scalar() == scans_before + 2   # both kept
    engine.dispose()

    r = run(url, "zombies", "export", str(tmp_path / "list.xlsx"))
    assert r.returncode == 0, r.stderr
    assert openpyxl.load_workbook(tmp_path / "list.xlsx").sheetnames == ["僵尸系统清单", "部门汇总"]

    r = run(url, "metrics", "pull")
    assert r.returncode == 1 and "YUNZHANG_PROMETHEUS_URL" in r.stderr
