"""Shared steps of the change tests: devices on emulated switches with their secrets, a change through the API,
waiting for a state, and what a switch was sent."""
from __future__ import annotations

import itertools
import time

import pytest

from tests.fakeswitches import ENABLE, PASSWORD, USERNAME

VLANS = itertools.count(310)
END = {"succeeded", "failed", "rolled_back", "rollback_failed", "cancelled", "interrupted"}


def set_secrets(monkeypatch, tmp_path) -> dict[str, str]:
    folder = tmp_path / "secrets"
    folder.mkdir(exist_ok=True)
    (folder / "sw-pass").write_text(PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("YUNZHANG_SECRETS_DIR", str(folder))
    monkeypatch.setenv("YUNZHANG_SECRET_SW_ENABLE", ENABLE)
    return {"YUNZHANG_SECRETS_DIR": str(folder), "YUNZHANG_SECRET_SW_ENABLE": ENABLE}


def add_device(client, world, name: str, port: int, department: str = "edu") -> int:
    r = client.post("/api/v1/devices", headers=world.headers("infocenter"), json={
        "name": name, "host": "127.0.0.1", "port": port, "device_type": "cisco_ios",
        "department_id": world.depts[department].id, "username": USERNAME, "password_ref": "secret:sw-pass",
        "enable_secret_ref": "secret:sw-enable"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def join_variables(vlan: int, ports=("FastEthernet0/3",)) -> dict:
    return {"vlan_id": vlan, "vlan_name": f"edu-ic-{vlan}", "svi_description": f"edu interconnect {vlan}",
            "svi_address": f"10.{vlan % 200}.0.1/24", "ports": list(ports),
            "routes": [f"10.{vlan % 200 + 1}.0.0/16 via 10.{vlan % 200}.0.254"]}


def create_change(client, world, device_ids, variables, template="join_extranet", user="infocenter", **extra):
    r = client.post("/api/v1/changes", headers=world.headers(user), json={
        "kind": "device", "template": template, "variables": variables, "device_ids": device_ids, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def act(client, world, change_id, action, user="infocenter", expect=200, **body):
    r = client.post(f"/api/v1/changes/{change_id}/{action}", headers=world.headers(user), json=body or None)
    assert r.status_code == expect, r.text
    return r.json()


def wait_status(client, world, change_id, statuses, seconds=180, user="infocenter") -> dict:
    statuses = {statuses} if isinstance(statuses, str) else set(statuses)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        change = client.get(f"/api/v1/changes/{change_id}", headers=world.headers(user)).json()
        busy = any(r["status"] in ("queued", "running") for r in change["runs"])
        if change["status"] in statuses and not busy:
            return change
        if change["status"] in END - statuses and not busy:
            pytest.fail(f"change ended {change['status']}: {change['error']}")
        time.sleep(0.2)
    pytest.fail(f"change {change_id} never reached {statuses}")


def sent(switches, name: str, since: int = 0) -> list[str]:
    return [line.strip() for line in switches.commands(name)[since:]]
