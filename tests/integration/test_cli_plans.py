"""`yunzhang plans` through the real console script on a temp SQLite database: export a blank workbook,
fill it, import it (again: nothing changes), list with the behind-plan and funding-stop filters, and a
refused import naming its cells."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
from sqlalchemy import text

from control.core.db import make_engine

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")
RESPONSIBLE = {"责任领导": "王强", "责任领导职务": "副局长", "责任领导电话": "0870-6100100", "责任处室": "办公室",
               "联络员": "李丽", "联络员电话": "13800000000"}


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": "cli-plans-test"}
    return subprocess.run([YUNZHANG, *args], capture_output=True, text=True, env=env, timeout=120)


def fill(ws, row: int, values: dict) -> None:
    cols = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
    for key, value in values.items():
        ws.cell(row=row, column=cols[key], value=value)


def test_import_list_export(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    for args in (("db", "upgrade"), ("demo", "load")):
        assert run(url, *args).returncode == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        code, system = conn.execute(text(
            "SELECT d.code, s.name FROM information_system s JOIN department d ON d.id = s.department_id "
            "WHERE s.is_classified = 0 AND s.deleted_at IS NULL ORDER BY s.id LIMIT 1")).one()
    engine.dispose()
    blank = tmp_path / "blank.xlsx"
    assert run(url, "plans", "export", str(blank), "--stage", "returned").returncode == 0    # none in the demo
    wb = openpyxl.load_workbook(blank)
    fill(wb["上云迁移计划"], 2, {"部门代码": code, "计划名称": "上云计划（一期）", "完成时限": "2020-12-31",
                             **RESPONSIBLE})
    fill(wb["上云系统清单"], 2, {"部门代码": code, "计划名称": "上云计划（一期）", "系统名称": system,
                              "计划迁移日期": "2020-06-30"})
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    r = run(url, "plans", "import", str(filled))
    assert r.returncode == 0 and "新增 1" in r.stdout, r.stderr
    assert "未变 1" in run(url, "plans", "import", str(filled)).stdout
    r = run(url, "plans", "list", "--behind")         # with the demo's late plans
    assert r.returncode == 0 and "上云计划（一期）" in r.stdout and "共 4 条" in r.stdout
    r = run(url, "plans", "list", "--funding-stop")
    assert "共 1 条" in r.stdout and "医共体专网迁移计划" in r.stdout
    out = tmp_path / "out.xlsx"
    assert run(url, "plans", "export", str(out), "--kind", "cloud").returncode == 0
    assert "未变 3" in run(url, "plans", "import", str(out)).stdout       # this plan and the demo's two
    fill(wb["上云系统清单"], 3, {"部门代码": code, "计划名称": "没有的计划", "系统名称": system,
                              "计划迁移日期": "2020-06-30"})
    wb.save(filled)
    r = run(url, "plans", "import", str(filled))
    assert r.returncode == 2 and "上云系统清单" in r.stderr and "没有的计划" in r.stderr
    assert run(url, "audit", "verify").returncode == 0
