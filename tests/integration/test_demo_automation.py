"""The demo county's automation: demo switches (marked as such, their credentials secret references no demo
sets) and a draft of each device-change template, one serving the step 教育专网迁移计划 is at. Loaded in-process
into an empty database, then: the pages render them, the plan's API lists its change, and the daily backup job
records each demo switch failed once per run, on its missing secret (so no SSH is tried), one log line each and
no traceback."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from control import scheduled
from control.app import create_app
from control.automation.models import Change, ChangeTarget
from control.core.clock import now
from control.demo import DEMO_DEVICE_NOTE, DEMO_DEVICES, load_demo
from control.devices.models import Device
from tests.conftest import make_settings


@pytest.fixture
def demo(sqlite_url, tmp_path, monkeypatch):
    for name in ("YUNZHANG_SECRETS_DIR", "YUNZHANG_SECRET_DEMO_SWITCH", "YUNZHANG_SECRET_DEMO_SWITCH_ENABLE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(make_settings(sqlite_url, tmp_path))
    with Session(app.state.engine) as session:
        assert load_demo(session)
    yield app
    app.state.engine.dispose()


def login(client: TestClient, username: str) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": username, "password": f"{username}-yz-2026", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def test_demo_devices_and_draft_changes_render(demo):
    with Session(demo.state.engine) as session:
        devices = session.exec(select(Device).order_by(Device.name)).all()
        changes = session.exec(select(Change).order_by(Change.id)).all()
        targets = session.exec(select(ChangeTarget).order_by(ChangeTarget.id)).all()
    assert sorted(d.name for d in devices) == sorted(name for name, *_ in DEMO_DEVICES)
    assert all(d.site.endswith(DEMO_DEVICE_NOTE) and d.password_ref.startswith("secret:") for d in devices)
    assert [(c.template, c.status.value) for c in changes] == [
        ("join_extranet", "draft"), ("interconnect_update", "draft"), ("withdraw_network", "draft")]
    assert [t.variables.get("svi_address") for t in targets[:2]] == ["10.31.0.2/24", "10.31.0.1/24"]
    with TestClient(demo) as client:
        login(client, "infocenter")
        listed = client.get("/devices")
        assert listed.status_code == 200 and listed.text.count("演示设备：未设置其密钥，不会连接") == 3
        assert client.get(f"/devices/{devices[0].id}").status_code == 200
        assert all(f'href="/changes/{c.id}"' in client.get("/changes").text for c in changes)
        for change in changes:
            page = client.get(f"/changes/{change.id}")
            assert page.status_code == 200 and 'id="check-change"' in page.text
        join = client.get(f"/changes/{changes[0].id}").text
        assert 'id="target-variables-1"' in join and "FastEthernet0/7" in join
        plan_id = int(client.get(f"/changes/{changes[1].id}").text.split('id="change-serves">')[1]
                      .split('href="/plans/')[1].split('"')[0])
        plan = client.get(f"/plans/{plan_id}")
        assert plan.status_code == 200 and f"/changes/{changes[1].id}" in plan.text
        got = client.get(f"/api/v1/migration-plans/{plan_id}").json()
        assert [(c["id"], c["status"], c["stage"]) for c in got["changes"]] == [(changes[1].id, "draft", "迁移")]


def test_the_daily_backup_records_each_demo_switch_failed_once_without_connecting(demo, caplog):
    caplog.set_level(logging.INFO)
    start = now()
    for day in (0, 1):                                   # two daily runs
        counts = scheduled.run_device_backup(demo, tick=start.replace(microsecond=0) + timedelta(days=day))
        assert counts == {"changed": 0, "unchanged": 0, "failed": len(DEMO_DEVICES)}
    with Session(demo.state.engine) as session:
        for device in session.exec(select(Device)).all():
            assert device.last_backup_outcome.value == "failed" and device.last_success_at is None
            assert "密钥不可用" in device.last_backup_error            # refused before any connection is tried
    failures = [r for r in caplog.records if r.name == "yunzhang.devices" and "backup of device" in r.message]
    assert len(failures) == 2 * len(DEMO_DEVICES)
    assert not any(r.exc_info for r in caplog.records)
