"""The census round trip through the real `yunzhang` console script on a temp SQLite database: the demo
county exported to a workbook and imported back changes nothing."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": "cli-census-test"}
    return subprocess.run([YUNZHANG, *args], capture_output=True, text=True, env=env, timeout=120)


def test_export_then_import_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'census.db'}"
    for args in (("db", "upgrade"), ("demo", "load")):
        r = run(url, *args)
        assert r.returncode == 0, r.stderr
    workbook = tmp_path / "普查表.xlsx"
    r = run(url, "systems", "export", str(workbook))
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(io.BytesIO(workbook.read_bytes()))
    exported = wb["自建系统"].max_row - 1 + wb["垂管系统"].max_row - 1
    assert exported > 0
    r = run(url, "systems", "import", str(workbook))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"新增 0，更新 0，未变 {exported}"

    # A bad cell: nothing written, the error named by sheet, row and column, exit code 2.
    ws = wb["自建系统"]
    column = next(c.column for c in ws[1] if str(c.value).lstrip("*") == "审批时间")
    ws.cell(row=2, column=column, value="去年")
    wb.save(workbook)
    r = run(url, "systems", "import", str(workbook))
    assert r.returncode == 2
    assert "自建系统 第2行 审批时间" in r.stderr and "invalid_date" not in r.stderr
