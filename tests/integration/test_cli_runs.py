"""`yunzhang worker` executes a queued playbook run in its own process and `yunzhang runs show ID --follow` prints
its events live until it ends; SIGTERM stops the worker after its runs, leaving the worker registry."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from control.automation import ansible, playbook
from control.core import runs
from control.core.db import make_engine

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")


def test_worker_and_runs_show_follow(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    marker = tmp_path / "ready.txt"
    marker.write_text("ok")
    with Session(engine) as session:
        run = playbook.enqueue(session, "health_check", "verify", extravars={"health_files": [str(marker)]},
                               inventory={"all": {"hosts": {"localhost": ansible.local_host()}}})
    env = {**os.environ, "YUNZHANG_DATABASE_URL": sqlite_url, "YUNZHANG_SECRET_KEY": "runs-cli-test"}
    worker = subprocess.Popen([YUNZHANG, "worker", "--size", "1"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        shown = subprocess.run([YUNZHANG, "runs", "show", str(run.id), "--follow"], env=env, capture_output=True,
                               text=True, timeout=300)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"运行 #{run.id} playbook verify" in shown.stdout
    assert "开始任务 文件检查 / file check" in shown.stdout and "运行汇总" in shown.stdout
    assert shown.stdout.rstrip().endswith("状态：成功")
    assert worker.returncode == 0 and "执行进程" in out and "正在停止" in out, err
    with Session(engine) as session:
        assert session.get(runs.Run, run.id).status == runs.RunStatus.succeeded
        assert session.execute(select(func.count()).select_from(runs.RunWorker)).scalar_one() == 0
    missing = subprocess.run([YUNZHANG, "runs", "show", "999"], env=env, capture_output=True, text=True)
    assert missing.returncode != 0 and "运行 999 不存在" in missing.stderr
