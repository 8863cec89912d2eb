"""Playbook changes through ansible-runner against localhost (a delivered cloud host at 127.0.0.1 is reached
with the local connection; every path in a temporary directory): check is `--check --diff` and changes
nothing, the approver sees each host's diff, apply runs the playbook then its verify play; a failing task fails
the change and leaves it resumable; resume verifies first and carries on; rollback runs the rollback play; a
verify that fails after a good apply ends the change failed with its reason and the rollback play one action away.
Hosts outside the inventory and hosts of classified systems are refused."""
from __future__ import annotations

import shutil

import pytest

from control.automation import ansible, kinds
from control.cloud.enums import RequestStatus, Zone
from control.systems.models import InformationSystem
from tests.api.helpers import login
from tests.integration.changes_helpers import act, wait_status
from tests.integration.test_automation_inventory import deliver
from tests.integration.test_playbooks import tree
from tests.pgserver import free_port


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


@pytest.fixture
def pool(app):
    workers = kinds.start_workers(app.state.engine, 1)
    yield workers
    workers.stop()


def test_playbook_change_check_apply_verify_resume_and_rollback(client, world, pool, tmp_path):
    edu = world.depts["edu"]
    deliver(world.session, edu.id, Zone.public, RequestStatus.in_use, [("迁移目标主机", "127.0.0.1")])
    root = tmp_path / "host"                       # the host's files (the test database lives beside them)
    source, target, config = root / "old/data", root / "new/data", root / "app.conf"
    source.mkdir(parents=True)
    (source / "a.db").write_bytes(b"\x00rows" * 100)
    config.write_text(f"listen = 127.0.0.1:8080\ndata_dir = {source}\n")
    variables = {"source_dir": str(source), "target_dir": str(target), "config_file": str(config)}
    r = client.post("/api/v1/changes", headers=world.headers("infocenter"), json={
        "kind": "playbook", "playbook": "app_move", "hosts": ["127.0.0.1"], "variables": variables})
    assert r.status_code == 201, r.text
    change = r.json()
    assert change["department_id"] == edu.id and change["title"].startswith("迁移应用数据与服务")
    before = tree(root)
    act(client, world, change["id"], "check")
    checked = wait_status(client, world, change["id"], "checked")
    assert tree(root) == before                                      # --check --diff changed nothing
    assert "data_dir" in checked["targets"][0]["expected_diff"]           # the config line's diff, for the approver
    assert client.post(f"/api/v1/changes/{change['id']}/approve",
                       headers=world.headers("infocenter")).status_code == 403
    act(client, world, change["id"], "approve", user="bureau", digest=checked["digest"])
    (source / "a.db").rename(root / "a.db")                          # the source goes missing: a task fails
    source.rmdir()
    act(client, world, change["id"], "apply")
    failed = wait_status(client, world, change["id"], "failed")
    assert failed["targets"][0]["status"] == "failed" and f"data_dir = {source}" in config.read_text()
    assert "源数据目录不存在" in failed["error"]                             # the failing task's own message
    assert failed["actions"] == ["rollback", "resume"]
    source.mkdir()
    (root / "a.db").rename(source / "a.db")
    act(client, world, change["id"], "resume")
    done = wait_status(client, world, change["id"], "succeeded")
    assert done["targets"][0]["status"] == "saved" and tree(target) == tree(source)
    assert f"data_dir = {target}" in config.read_text()
    assert [r["mode"] for r in done["runs"]] == ["check", "apply", "apply"]
    events = client.get(f"/api/v1/runs/{done['runs'][-1]['id']}/events?limit=500",
                        headers=world.headers("infocenter")).json()["items"]
    assert any(e["host"] == "127.0.0.1" and e["event"] == "runner_on_ok" for e in events)
    act(client, world, change["id"], "rollback")
    rolled = wait_status(client, world, change["id"], "rolled_back")
    assert rolled["targets"][0]["status"] == "rolled_back"
    assert not target.exists() and f"data_dir = {source}" in config.read_text()


def test_hosts_outside_the_inventory_and_classified_hosts_are_refused(client, world):
    health = world.depts["health"]
    secret = InformationSystem(code="GX-SECRET-9", department_id=health.id, name="涉密系统", is_classified=True)
    world.session.add(secret)
    world.session.commit()
    deliver(world.session, health.id, Zone.public, RequestStatus.in_use, [("涉密主机", "10.99.0.9")],
            system_id=secret.id)

    def create(host):
        return client.post("/api/v1/changes", headers=world.headers("infocenter"), json={
            "kind": "playbook", "playbook": "zombie_cleanup", "hosts": [host], "variables": {}})

    classified = create("10.99.0.9")
    assert classified.status_code == 422 and classified.json()["code"] == "classified"
    unknown = create("10.1.2.3")
    assert unknown.status_code == 422 and "不在平台的主机清单中" in unknown.json()["detail"]


def test_a_verify_failing_after_a_good_apply_offers_the_rollback_play(client, world, pool, tmp_path, monkeypatch):
    """The host is prepared (apply succeeds) but the service never answers on its port: the verify play of a
    test-only copy of playbooks/ says so, the change ends failed with that reason, the API and the page offer
    the rollback play, and rolling back removes what the apply made."""
    folder = tmp_path / "playbooks"
    shutil.copytree(ansible.PLAYBOOKS_DIR, folder)
    port = free_port()                                        # nothing listens there
    (folder / "cloud_host_prepare.verify.yml").write_text("""
- name: 验证服务 / the service answers
  hosts: all
  gather_facts: false
  tasks:
    - name: 服务端口 / the service's port
      ansible.builtin.wait_for:
        host: 127.0.0.1
        port: "{{ app_port }}"
        timeout: 1
        msg: "服务未在端口 {{ app_port }} 上应答"
""", encoding="utf-8")
    monkeypatch.setattr(ansible, "PLAYBOOKS_DIR", folder)
    deliver(world.session, world.depts["edu"].id, Zone.public, RequestStatus.in_use, [("新云主机", "127.0.0.1")])
    root = tmp_path / "host"
    r = client.post("/api/v1/changes", headers=world.headers("infocenter"), json={
        "kind": "playbook", "playbook": "cloud_host_prepare", "hosts": ["127.0.0.1"],
        "variables": {"yz_root": str(root), "system_code": "GX-EDU-009", "service_name": "edu-app",
                      "app_port": port}})
    assert r.status_code == 201, r.text
    change = r.json()
    act(client, world, change["id"], "check")
    checked = wait_status(client, world, change["id"], "checked")
    act(client, world, change["id"], "approve", user="bureau", digest=checked["digest"])
    act(client, world, change["id"], "apply")
    failed = wait_status(client, world, change["id"], "failed")
    assert f"服务未在端口 {port} 上应答" in failed["error"] and "验证未通过" in failed["error"]
    target = failed["targets"][0]
    assert target["applied"] and not target["verified"] and f"服务未在端口 {port} 上应答" in target["error"]
    assert (root / "opt/GX-EDU-009/.yunzhang-system").exists()             # the apply itself went through
    assert "rollback" in failed["actions"]
    login(client, "infocenter")
    assert 'id="rollback-change"' in client.get(f"/changes/{change['id']}").text
    act(client, world, change["id"], "rollback")
    rolled = wait_status(client, world, change["id"], "rolled_back")
    assert rolled["targets"][0]["status"] == "rolled_back" and [r["mode"] for r in rolled["runs"]] == \
        ["check", "apply", "rollback"]
    assert not (root / "opt/GX-EDU-009").exists() and not (root / "systemd-user/edu-app.service").exists()
