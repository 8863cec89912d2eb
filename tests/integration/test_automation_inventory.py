"""The Ansible inventory from the service: `yunzhang automation inventory --list` groups the delivered cloud hosts
by department, zone and network (classified systems and undelivered or reclaimed requests left out), and
`ansible-inventory -i inventory/yunzhang.yml --list` reads it for real through the inventory plugin."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from control.cloud.enums import LineKind, RequestStatus, Zone
from control.cloud.models import CloudRequest, DeliveredItem, ResourceLine
from control.systems.models import InformationSystem
from tests.api.helpers import create_system

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def deliver(session, department_id, zone, status, items, system_id=None):
    """A cloud request with one VM line and its delivered items [(name, address)]."""
    request = CloudRequest(number=f"YZ-{len(items)}-{zone.value}-{status.value}-{system_id}",
                           department_id=department_id, system_id=system_id, contact_name="张三",
                           contact_phone="13800000000", purpose="迁移上云", zone=zone, status=status, created_by="edu")
    session.add(request)
    session.flush()
    line = ResourceLine(request_id=request.id, kind=LineKind.vm, vcpu=4, memory_gib=8)
    session.add(line)
    session.flush()
    for name, address in items:
        session.add(DeliveredItem(request_id=request.id, line_id=line.id, name=name, address=address))
    session.commit()


def test_inventory_groups_and_ansible_reads_it(client, world, db_url, tmp_path):
    s = world.session
    edu, health = world.depts["edu"], world.depts["health"]
    portal = create_system(client, world.headers("edu"), edu.id, name="学籍系统")
    secret = InformationSystem(code="GX-SECRET-1", department_id=health.id, name="涉密系统", is_classified=True)
    s.add(secret)
    s.commit()
    deliver(s, edu.id, Zone.public, RequestStatus.in_use,
            [("学籍应用 1", "10.20.0.11"), ("学籍应用 2", "10.20.0.12:22")], system_id=portal["id"])
    deliver(s, health.id, Zone.dedicated, RequestStatus.delivery,
            [("卫健前置机", "app01.health.gx"), ("说明", "待分配")])
    deliver(s, health.id, Zone.public, RequestStatus.in_use, [("涉密主机", "10.99.0.1")], system_id=secret.id)
    deliver(s, edu.id, Zone.public, RequestStatus.reclaimed, [("已收回", "10.20.0.99")])

    env = {**os.environ, "YUNZHANG_DATABASE_URL": db_url, "YUNZHANG_SECRET_KEY": "inventory-test",
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    listed = subprocess.run([str(BIN / "yunzhang"), "automation", "inventory", "--list"], env=env, check=True,
                            capture_output=True, text=True)
    inventory = json.loads(listed.stdout)
    dept = lambda d: f"dept_{d.code}"      # noqa: E731
    assert inventory[dept(edu)]["hosts"] == ["10.20.0.11", "10.20.0.12"]
    assert inventory[dept(health)]["hosts"] == ["app01.health.gx"]
    assert inventory["zone_public"]["hosts"] == ["10.20.0.11", "10.20.0.12"]
    assert inventory["zone_dedicated"]["hosts"] == ["app01.health.gx"]
    assert inventory["net_extranet"]["hosts"] == inventory["net_internet"]["hosts"] == ["10.20.0.11", "10.20.0.12"]
    hostvars = inventory["_meta"]["hostvars"]
    assert set(hostvars) == {"10.20.0.11", "10.20.0.12", "app01.health.gx"}      # no classified, none reclaimed
    assert hostvars["10.20.0.11"]["yz_system_code"] == portal["code"] and hostvars["10.20.0.11"]["yz_zone"] == "public"
    assert "涉密" not in listed.stdout and "10.99.0.1" not in listed.stdout

    ansible_env = {**env, "ANSIBLE_CONFIG": str(ROOT / "inventory/ansible.cfg"),
                   "ANSIBLE_HOME": str(tmp_path / "ansible-home")}
    read = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(ROOT / "inventory/yunzhang.yml"), "--list"],
                          env=ansible_env, check=True, capture_output=True, text=True)
    seen = json.loads(read.stdout)
    assert seen[dept(edu)]["hosts"] == ["10.20.0.11", "10.20.0.12"]
    assert seen["zone_dedicated"]["hosts"] == ["app01.health.gx"]
    value = seen["_meta"]["hostvars"]["app01.health.gx"]["yz_department"]
    assert value in (health.code, {"__ansible_unsafe": health.code})   # text from outside is never templated
    assert {dept(edu), dept(health), "zone_public", "net_extranet"} <= set(seen["all"]["children"])
