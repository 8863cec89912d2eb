"""The shipped playbooks, run for real through ansible-runner against localhost (connection local, every path in
a temporary directory): check changes nothing, apply changes, a re-apply reports no change, the verify play
passes, the rollback undoes; a failing task fails the run and leaves what a retry needs. One playbook goes
through the run queue, its events recorded."""
from __future__ import annotations

import functools
import hashlib
import http.server
import subprocess
import threading
from pathlib import Path

import pytest
from sqlmodel import Session

from control.automation import ansible, playbook
from control.core import runs
from control.core.db import make_engine
from tests.pgserver import free_port

INVENTORY = {"all": {"hosts": {"localhost": ansible.local_host()}}}


def play(name: str, mode: str, variables: dict, events: list | None = None) -> ansible.PlaybookResult:
    return ansible.run_playbook(playbook.playbook_file(name, mode), inventory=INVENTORY, extravars=variables,
                                check=mode == "check", emit=None if events is None else events.append)


def tree(root: Path) -> dict[str, str]:
    """Every file under root with its SHA-256, and every directory."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def test_cloud_host_prepare(tmp_path):
    root = tmp_path / "host"
    v = {"yz_root": str(root), "system_code": "GX-EDU-001", "service_name": "edu-portal", "app_port": 8081}
    events: list = []
    checked = play("cloud_host_prepare", "check", v, events)
    assert checked.status == "successful" and checked.changed > 0 and tree(root) == {}
    assert any(e["event"] == "runner_on_ok" and e["changed"] and e["host"] == "localhost" for e in events)
    applied = play("cloud_host_prepare", "apply", v)
    assert applied.status == "successful" and applied.changed == 5
    assert (root / "opt/GX-EDU-001/.yunzhang-system").read_text() == "GX-EDU-001\n"
    assert "listen = 127.0.0.1:8081" in (root / "opt/GX-EDU-001/etc/app.conf").read_text()
    assert "ExecStart=" in (root / "systemd-user/edu-portal.service").read_text()
    again = play("cloud_host_prepare", "apply", v)
    assert again.status == "successful" and again.changed == 0
    assert play("cloud_host_prepare", "verify", v).status == "successful"
    assert play("cloud_host_prepare", "verify", {**v, "system_code": "GX-OTHER"}).status == "failed"
    assert play("cloud_host_prepare", "rollback", v).status == "successful"
    assert not (root / "opt/GX-EDU-001").exists() and not (root / "systemd-user/edu-portal.service").exists()


def test_app_move_and_a_failed_run_retried(tmp_path):
    source, target, config = tmp_path / "old/data", tmp_path / "new/data", tmp_path / "app.conf"
    config.write_text("listen = 127.0.0.1:8080\ndata_dir = " + str(source) + "\n")
    v = {"source_dir": str(source), "target_dir": str(target), "config_file": str(config)}
    failed = play("app_move", "apply", v)                       # the source is not there yet
    assert failed.status == "failed" and failed.stats["localhost"]["failures"] == 1
    assert f"data_dir = {source}" in config.read_text() and not target.exists()    # nothing changed: retry later
    (source / "sub").mkdir(parents=True)
    (source / "a.db").write_bytes(b"\x00rows" * 1000)
    (source / "sub/b.txt").write_text("数据")
    before = tree(tmp_path)
    checked = play("app_move", "check", v)
    assert checked.status == "successful" and checked.changed > 0
    assert tree(tmp_path) == before
    applied = play("app_move", "apply", v)
    assert applied.status == "successful" and applied.changed > 0
    assert tree(target) == tree(source) and f"data_dir = {target}" in config.read_text()
    assert play("app_move", "apply", v).changed == 0
    assert play("app_move", "verify", v).status == "successful"
    (target / "sub/b.txt").write_text("被改动")
    assert play("app_move", "verify", v).status == "failed"     # a checksum differs
    assert play("app_move", "rollback", v).status == "successful"
    assert not target.exists() and f"data_dir = {source}" in config.read_text()


def test_health_check(tmp_path):
    (tmp_path / "index.html").write_text("ok")
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        v = {"health_url": f"http://127.0.0.1:{port}/index.html", "health_port": port,
             "health_files": [str(tmp_path / "index.html")], "health_timeout": 2}
        assert play("health_check", "check", v).status == "successful"
        assert play("health_check", "verify", v).status == "successful"
        assert play("health_check", "apply", {**v, "health_url": f"http://127.0.0.1:{port}/missing"}).status == "failed"
    finally:
        server.shutdown()
        server.server_close()
    assert play("health_check", "apply", {"health_port": port, "health_timeout": 1}).status == "failed"


def test_decommission(tmp_path):
    app_dir, archive = tmp_path / "srv/portal", tmp_path / "archive/portal.tar.gz"
    (app_dir / "bin").mkdir(parents=True)
    (app_dir / "bin/run").write_text("#!/bin/sh\n")
    proc = subprocess.Popen(["sleep", "300"])
    pid_file = tmp_path / "portal.pid"
    pid_file.write_text(f"{proc.pid}\n")
    v = {"app_dir": str(app_dir), "archive_file": str(archive), "pid_file": str(pid_file)}
    try:
        checked = play("decommission", "check", v)
        assert checked.status == "successful" and checked.changed > 0
        assert proc.poll() is None and app_dir.exists() and pid_file.exists() and not archive.exists()
        applied = play("decommission", "apply", v)
        assert applied.status == "successful" and applied.changed > 0
        assert proc.wait(timeout=30) is not None
        assert archive.exists() and not app_dir.exists() and not pid_file.exists()
        assert play("decommission", "apply", v).changed == 0
        assert play("decommission", "verify", v).status == "successful"
        assert play("decommission", "rollback", v).status == "successful"
        assert (app_dir / "bin/run").read_text() == "#!/bin/sh\n"
        assert play("decommission", "verify", v).status == "failed"      # restored: no longer removed
    finally:
        proc.kill()
        proc.wait()


def test_zombie_cleanup_through_the_run_queue(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    app_dir = tmp_path / "zombie/app"
    app_dir.mkdir(parents=True)
    (app_dir / "data.txt").write_text("old")
    v = {"app_dir": str(app_dir), "archive_file": str(tmp_path / "archive/app.tar.gz")}
    runs.register(playbook.KIND, playbook.handle)
    pool = runs.WorkerPool(engine, 1)
    with Session(engine) as session:
        ids = [playbook.enqueue(session, "zombie_cleanup", mode, inventory=INVENTORY, extravars=v).id
               for mode in ("check", "apply", "verify")]
        with pytest.raises(Exception, match="没有"):
            playbook.enqueue(session, "health_check", "rollback", inventory=INVENTORY)
        with pytest.raises(Exception, match="没有"):
            playbook.enqueue(session, "../etc/passwd", "apply", inventory=INVENTORY)
    for _ in ids:
        assert pool.run_next()
    assert not app_dir.exists()
    with Session(engine) as session:
        done = [session.get(runs.Run, i) for i in ids]
        assert [r.status for r in done] == ["succeeded"] * 3
        assert done[0].result["changed"] > 0 and done[1].result["changed"] > 0 and done[2].result["changed"] == 0
        events = runs.events_after(session, ids[1])
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    tasks = {(e.host, e.task) for e in events if e.event == "runner_on_ok" and e.changed}
    assert ("localhost", "删除 / remove") in tasks and ("localhost", "打包归档 / archive to a tarball") in tasks
    assert events[-1].event == "playbook_on_stats"


def test_zombie_cleanup_stops_before_removing_when_an_archive_is_already_there(tmp_path):
    """An old archive at archive_file would otherwise be kept as if it held the directory, and the directory
    deleted: the clean-up fails first, both left as they were."""
    app_dir = tmp_path / "zombie/app"
    app_dir.mkdir(parents=True)
    (app_dir / "data.txt").write_text("current")
    archive = tmp_path / "archive/app.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(b"an older archive")
    result = play("zombie_cleanup", "apply", {"app_dir": str(app_dir), "archive_file": str(archive)})
    assert result.status == "failed" and "已存在" in str(result.failures)
    assert (app_dir / "data.txt").read_text() == "current" and archive.read_bytes() == b"an older archive"


def test_secrets_are_masked_and_cancel_stops_the_playbook(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "probe.yml").write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - name: show
      ansible.builtin.debug:
        msg: "password is {{ db_password }}"
    - name: wait
      ansible.builtin.wait_for:
        host: 127.0.0.1
        port: 9
        timeout: 300
""")
    events: list = []
    result = ansible.run_playbook("probe.yml", inventory=INVENTORY, extravars={"db_password": "S3cret-Pa55"},
                                  emit=events.append, secrets=["S3cret-Pa55"], project_dir=project,
                                  cancelled=lambda: any(e["task"] == "wait" for e in events))
    assert result.status == "canceled"
    shown = [e for e in events if e["task"] == "show" and e["event"] == "runner_on_ok"]
    assert shown and "password is ******" in shown[0]["stdout"]
    assert all("S3cret-Pa55" not in repr(e) for e in events)


def test_secret_vars_are_stored_as_references(sqlite_url, tmp_path, monkeypatch):
    engine = make_engine(sqlite_url)
    monkeypatch.setenv("YZ_PLAYBOOK_TEST_SECRET", "never-stored")
    runs.register(playbook.KIND, playbook.handle)
    with Session(engine) as session:
        good = playbook.enqueue(session, "health_check", "verify", inventory=INVENTORY,
                                secret_vars={"api_token": "env:YZ_PLAYBOOK_TEST_SECRET"}).id
        bad = playbook.enqueue(session, "health_check", "verify", inventory=INVENTORY,
                               secret_vars={"api_token": "env:YZ_PLAYBOOK_MISSING"}).id
    pool = runs.WorkerPool(engine, 1)
    assert pool.run_next() and pool.run_next()
    with Session(engine) as session:
        assert session.get(runs.Run, good).status == "succeeded"
        failed = session.get(runs.Run, bad)
        assert failed.status == "failed" and "YZ_PLAYBOOK_MISSING" in failed.error
        stored = [repr(session.get(runs.Run, i).params) for i in (good, bad)]
        stored += [repr(e.stdout) + repr(e.data) for e in runs.events_after(session, good)]
    assert all("never-stored" not in text for text in stored)
