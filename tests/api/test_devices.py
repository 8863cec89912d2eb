"""The device API against emulated switches over SSH, on SQLite and PostgreSQL: records with credentials by
reference, scope, the classified refusal, the inventory-file sync, backups as versions (none for an unchanged
config), drift found after an out-of-band change, masking, diffs, the metrics, and secrets found nowhere."""
from __future__ import annotations

import itertools
import logging

import pytest
from netmiko import ConnectHandler
from sqlalchemy import MetaData, select, text
from sqlmodel import Session

from control.core.classified import REFUSAL as CLASSIFIED_REFUSAL
from control.core.roles import Role
from control.devices import backups, service
from control.devices.models import Device
from control.scheduled import JOB_ACTOR
from tests.fakeswitches import ENABLE, PASSWORD, USERNAME

VLANS = itertools.count(2000)


@pytest.fixture(autouse=True)
def device_secrets(monkeypatch, tmp_path):
    """The switches' password in the secrets folder, the enable secret in the environment."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "sw-pass").write_text(PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("YUNZHANG_SECRETS_DIR", str(folder))
    monkeypatch.setenv("YUNZHANG_SECRET_SW_ENABLE", ENABLE)


def payload(department_id: int, name: str = "edu-core-01", port: int = 22, **extra) -> dict:
    return {"name": name, "host": "127.0.0.1", "port": port, "device_type": "cisco_ios", "site": "县教育局机房",
            "department_id": department_id, "zone": "extranet_dedicated", "username": USERNAME,
            "password_ref": "secret:sw-pass", "enable_secret_ref": "secret:sw-enable", **extra}


def create(client, world, department: str = "edu", user: str = "infocenter", **extra) -> dict:
    r = client.post("/api/v1/devices", json=payload(world.depts[department].id, **extra),
                    headers=world.headers(user))
    assert r.status_code == 201, r.text
    return r.json()


def out_of_band(switches, name: str, commands: list[str]) -> None:
    """A change typed straight into the switch, as someone would outside yunzhang."""
    c = ConnectHandler(**switches.device(name))
    try:
        c.enable()
        c.config_mode()
        for command in commands:
            c.send_command(command, expect_string=r"#")
        c.send_command("exit", expect_string=r"#")
    finally:
        c.disconnect()


def audit_rows(app, entity_type: str = "device") -> list:
    with app.state.engine.connect() as conn:
        return conn.execute(text("SELECT action, entity_label, changes FROM audit_entry WHERE entity_type = :t "
                                 "ORDER BY id"), {"t": entity_type}).all()


def test_create_read_list_and_scope(client, world):
    device = create(client, world, site="县教育局机房")
    assert device["password_ref"] == "secret:sw-pass" and device["source"] == "service"
    assert device["department_name"] == "示范县教育局" and device["drifted"] is False and device["versions"] == 0
    create(client, world, department="health", name="health-core-01")
    create(client, world, department="school", name="school-ap-01")

    def names(user: str, **params) -> list[str]:
        r = client.get("/api/v1/devices", params=params, headers=world.headers(user))
        assert r.status_code == 200, r.text
        return sorted(i["name"] for i in r.json()["items"])

    assert names("infocenter") == ["edu-core-01", "health-core-01", "school-ap-01"]
    assert names("edu") == ["edu-core-01", "school-ap-01"]                  # its subtree only
    assert names("school") == ["school-ap-01"]
    assert names("auditor", department_id=world.depts["edu"].id) == ["edu-core-01", "school-ap-01"]
    assert names("infocenter", q="health") == ["health-core-01"]
    health = client.get("/api/v1/devices", params={"q": "health"}, headers=world.headers("admin")).json()["items"][0]
    assert client.get(f"/api/v1/devices/{health['id']}", headers=world.headers("edu")).status_code == 403
    assert client.post(f"/api/v1/devices/{health['id']}/backup", headers=world.headers("edu")).status_code == 403
    # Only the info centre and admins register devices.
    for user in ("edu", "ops", "auditor", "bureau"):
        r = client.post("/api/v1/devices", json=payload(world.depts["edu"].id, name="x-" + user),
                        headers=world.headers(user))
        assert r.status_code == 403, (user, r.text)
    r = client.post("/api/v1/devices", json=payload(world.depts["edu"].id), headers=world.headers("admin"))
    assert r.status_code == 409 and "edu-core-01" in r.json()["detail"]


def test_credentials_are_references_only(client, world):
    for field, value in (("password_ref", "Sw-pass-plain"), ("password_ref", "file:/etc/shadow"),
                         ("enable_secret_ref", "env:HOME"), ("password_ref", "secret:../x")):
        r = client.post("/api/v1/devices", json=payload(world.depts["edu"].id, **{field: value}),
                        headers=world.headers("admin"))
        assert r.status_code == 422, (field, value)
        assert value not in r.text or value.startswith("secret:")     # a pasted secret is not echoed
    r = client.post("/api/v1/devices", json=payload(world.depts["edu"].id, device_type="no_such_os"),
                    headers=world.headers("admin"))
    assert r.status_code == 422 and "netmiko" in r.json()["detail"]


def test_device_of_a_classified_network_is_refused_and_not_stored(client, world, app):
    r = client.post("/api/v1/devices", json=payload(world.depts["edu"].id, name="secret-core",
                                                    on_classified_network=True), headers=world.headers("admin"))
    assert r.status_code == 422 and r.json()["detail"] == CLASSIFIED_REFUSAL and "保密局" in r.json()["detail"]
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM device")).scalar() == 0
    assert "secret-core" not in str(audit_rows(app))


def test_sync_from_the_inventory_file(client, world, app, tmp_path):
    code = world.depts["edu"].code
    network = client.post("/api/v1/private-networks", json={"department_id": world.depts["edu"].id,
                                                            "name": "县教育城域网"}, headers=world.headers("edu"))
    assert network.status_code == 201, network.text
    path = tmp_path / "devices.yaml"
    entry = f"""  - name: edu-core-01
    host: 127.0.0.1
    port: 2201
    device_type: cisco_ios
    department: {code}
    network: 县教育城域网
    zone: extranet_dedicated
    username: {USERNAME}
    password: secret:sw-pass
    enable_secret: secret:sw-enable
"""
    path.write_text("devices:\n" + entry + entry.replace("edu-core-01", "edu-core-02"), encoding="utf-8")
    admin = world.actor("admin")
    with Session(app.state.engine) as session:
        first = service.sync_inventory(session, admin, path)
        again = service.sync_inventory(session, admin, path)
    assert first.created == ["edu-core-01", "edu-core-02"] and first.updated == []
    assert again.created == again.updated == [] and again.unchanged == ["edu-core-01", "edu-core-02"]
    assert [a for a, *_ in audit_rows(app)] == ["create", "create"]          # the second run changed nothing
    listed = client.get("/api/v1/devices", headers=world.headers("edu")).json()["items"]
    assert {d["network_name"] for d in listed} == {"县教育城域网"} and {d["source"] for d in listed} == {"inventory"}

    path.write_text("devices:\n" + entry.replace("2201", "2202"), encoding="utf-8")
    with Session(app.state.engine) as session:
        third = service.sync_inventory(session, admin, path)
    assert third.updated == ["edu-core-01"] and third.not_in_file == ["edu-core-02"]
    action, label, changes = audit_rows(app)[-1]
    assert (action, label) == ("sync", "edu-core-01") and "2202" in str(changes)

    # All or nothing: one bad entry (a classified one) and nothing is written.
    path.write_text("devices:\n" + entry.replace("port: 2201", "port: 2203")
                    + entry.replace("edu-core-01", "edu-secret").replace("zone:", "classified: true\n    zone:"),
                    encoding="utf-8")
    with Session(app.state.engine) as session, pytest.raises(Exception, match="涉密|保密局|错误") as exc:
        service.sync_inventory(session, admin, path)
    assert "edu-secret" not in str(audit_rows(app)) and exc.value is not None
    with Session(app.state.engine) as session:
        assert session.execute(select(Device.port).where(Device.name == "edu-core-01")).scalar() == 2202


def test_backup_versions_drift_masking_diff_and_metrics(client, world, app, fake_switches):
    device = create(client, world, port=fake_switches.ports["sw01"])
    url, h = f"/api/v1/devices/{device['id']}", world.headers("ops")
    out_of_band(fake_switches, "sw01", ["interface Vlan120", "description baseline"])    # whatever came before
    first = client.post(f"{url}/backup", headers=h)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "changed" and first.json()["drift"] is False
    v1 = first.json()["backup"]["version"]
    # The same config again (the byte count and the banner are noise anyway): no new version.
    again = client.post(f"{url}/backup", headers=h).json()
    assert again["outcome"] == "unchanged" and again["backup"]["version"] == v1
    assert client.get(f"{url}/backups", headers=h).json()["total"] == 1

    # A change typed into the switch outside yunzhang: a new version, flagged as drift, audited, counted.
    vlan = next(VLANS)       # the switch outlives the test: each run changes something new
    out_of_band(fake_switches, "sw01", [f"vlan {vlan}", "name edu-drift", "exit", f"interface Vlan{vlan}",
                                        "description community s3cret-community"])
    drifted = client.post(f"{url}/backup", headers=h).json()
    assert drifted["outcome"] == "changed" and drifted["drift"] is True
    v2 = drifted["backup"]["version"]
    shown = client.get(url, headers=world.headers("edu")).json()
    assert shown["drifted"] is True and shown["drift_since"] and shown["versions"] == 2
    assert [a for a, *_ in audit_rows(app)] == ["create", "backup", "drift"]
    content = client.get(f"{url}/backups/{v2}", headers=h).json()["content"]
    assert f"vlan {vlan}" in content and "s3cret-community" not in content and "community <已隐藏>" in content
    diff = client.get(f"{url}/backups/diff", params={"from": v1, "to": v2}, headers=h).json()["diff"]
    assert f"+vlan {vlan}" in diff and f"+interface Vlan{vlan}" in diff and diff.startswith(f"--- v{v1}")
    assert client.get(f"{url}/backups/diff", params={"from": v1, "to": 99}, headers=h).status_code == 404
    metrics = client.get("/metrics").text
    code = world.depts["edu"].code
    assert f'yunzhang_devices_drifted{{department="{code}"}} 1.0' in metrics
    assert f'yunzhang_device_backup_last_success_timestamp_seconds{{department="{code}"}}' in metrics

    # The later change pipeline marks its own post-change backup: a new version, but no drift.
    out_of_band(fake_switches, "sw01", [f"interface Vlan{next(VLANS)}", "description by-a-change"])
    with Session(app.state.engine, expire_on_commit=False) as session:
        row = session.get(Device, device["id"])
        own = backups.take_backup(session, row, actor=JOB_ACTOR, expected=True)
    assert own.version == v2 + 1 and own.expected and not own.drift
    # The info centre accepts the drift: the flag clears and the metric goes back to 0.
    refused = client.post(f"{url}/accept-drift", json={"comment": "现场调整"}, headers=world.headers("ops"))
    assert refused.status_code == 403
    r = client.post(f"{url}/accept-drift", json={"comment": "现场调整"}, headers=world.headers("infocenter"))
    assert r.status_code == 200 and r.json()["drifted"] is False
    assert f'yunzhang_devices_drifted{{department="{code}"}} 0.0' in client.get("/metrics").text
    assert client.post(f"{url}/accept-drift", headers=world.headers("infocenter")).status_code == 409


def test_unreachable_device_and_missing_secret_are_recorded_and_refused(client, world, monkeypatch):
    device = create(client, world, port=1)
    r = client.post(f"/api/v1/devices/{device['id']}/backup", headers=world.headers("infocenter"))
    assert r.status_code == 409 and "无法连接设备 edu-core-01" in r.json()["detail"]
    shown = client.get(f"/api/v1/devices/{device['id']}", headers=world.headers("infocenter")).json()
    assert shown["last_backup_outcome"] == "failed" and shown["last_success_at"] is None
    monkeypatch.delenv("YUNZHANG_SECRET_SW_ENABLE")
    r = client.post(f"/api/v1/devices/{device['id']}/backup", headers=world.headers("infocenter"))
    assert r.status_code == 409 and "secret:sw-enable" in r.json()["detail"]


def test_daily_backup_of_every_device_goes_on_past_a_failure(client, world, app, fake_switches):
    create(client, world, name="dead-01", port=1)
    create(client, world, name="live-02", port=fake_switches.ports["sw02"])
    with Session(app.state.engine, expire_on_commit=False) as session:
        counts = backups.backup_all(session, JOB_ACTOR)
    assert counts["failed"] == 1 and counts["changed"] + counts["unchanged"] == 1


def test_secrets_are_never_stored_logged_or_returned(client, world, app, fake_switches, caplog):
    caplog.set_level(logging.DEBUG)
    device = create(client, world, port=fake_switches.ports["sw02"])
    out_of_band(fake_switches, "sw02", ["interface Vlan130", f"description {PASSWORD}"])
    responses = [client.post(f"/api/v1/devices/{device['id']}/backup", headers=world.headers("admin")).text]
    events: list[dict] = []
    with Session(app.state.engine, expire_on_commit=False) as session:
        backups.take_backup(session, session.get(Device, device["id"]), actor=JOB_ACTOR, emit=events.append)
    for path in ("/api/v1/devices", f"/api/v1/devices/{device['id']}", f"/api/v1/devices/{device['id']}/backups",
                 f"/api/v1/devices/{device['id']}/backups/1", "/api/v1/audit", "/metrics",
                 f"/devices/{device['id']}"):
        responses.append(client.get(path, headers=world.headers("admin")).text)
    dump = []
    with app.state.engine.connect() as conn:
        meta = MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            dump += [str(tuple(row)) for row in conn.execute(table.select())]
    assert events and any(e.get("command") == "show running-config" for e in events)
    for secret in (PASSWORD, ENABLE):
        assert secret not in "\n".join(dump), "database"
        assert secret not in "\n".join(responses), "API"
        assert secret not in caplog.text, "log"
        assert secret not in str(events), "events"


def test_device_pages(client, world, fake_switches):
    from tests.api.helpers import csrf, login
    device = create(client, world, port=fake_switches.ports["sw04"])
    login(client, "infocenter")
    page = client.get("/devices")
    assert page.status_code == 200 and "edu-core-01" in page.text and "从未备份" in page.text
    url = f"/devices/{device['id']}"
    for description in ("page-one", "page-two"):
        out_of_band(fake_switches, "sw04", ["interface Vlan140", f"description {description}"])
        r = client.post(f"{url}/backup", data={"csrf_token": csrf(client, url)}, follow_redirects=False)
        assert r.status_code == 303
    page = client.get(url).text
    assert 'id="drift-flag"' in page and 'class="diff-add"' in page and "description page-two" in page
    assert 'class="diff-remove"' in page and "v1" in page and "v2" in page
    assert "配置漂移" in client.get("/devices?drifted=true").text
    assert client.get(f"{url}/versions/1").status_code == 200
    login(client, "health")
    assert client.get(url).status_code == 403


def test_register_through_the_form(client, world, app):
    from tests.api.helpers import csrf, login
    login(client, "infocenter")
    assert "/devices/new" in client.get("/devices").text
    fields = {"name": "form-core-01", "department_id": str(world.depts["edu"].id), "host": "127.0.0.1",
              "port": "22", "device_type": "cisco_ios", "username": USERNAME, "password_ref": "secret:sw-pass",
              "zone": "extranet_public", "on_classified_network": "false"}
    r = client.post("/devices/new", data={**fields, "password_ref": PASSWORD,
                                          "csrf_token": csrf(client, "/devices/new")})
    assert r.status_code == 422 and 'id="form-message"' in r.text and PASSWORD not in r.text
    r = client.post("/devices/new", data={**fields, "name": "form-secret", "on_classified_network": "true",
                                          "csrf_token": csrf(client, "/devices/new")})
    assert r.status_code == 422 and "保密局" in r.text and "form-secret" not in r.text
    r = client.post("/devices/new", data={**fields, "csrf_token": csrf(client, "/devices/new")},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "已登记设备“form-core-01”" in client.get(r.headers["location"]).text
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM device")).scalars().all() == ["form-core-01"]
    login(client, "edu")
    assert client.get("/devices/new").status_code == 403


def test_roles_that_may_back_up():
    assert set(service.BACKUP_ROLES) == {Role.admin, Role.infocenter, Role.ops}
    assert set(service.MANAGE_ROLES) == {Role.admin, Role.infocenter}


def test_two_backups_at_once_store_one_version(client, world, app, fake_switches):
    """The daily job and a click on the same device: one version, no error."""
    import threading
    device = create(client, world, port=fake_switches.ports["sw03"])
    out_of_band(fake_switches, "sw03", ["interface Vlan160", f"description at-once-{world.depts['edu'].id}"])
    results: list = []

    def backup():
        with Session(app.state.engine, expire_on_commit=False) as session:
            results.append(backups.take_backup(session, session.get(Device, device["id"]), actor=JOB_ACTOR))

    threads = [threading.Thread(target=backup) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and {r.version for r in results} == {1}
    assert client.get(f"/api/v1/devices/{device['id']}/backups", headers=world.headers("ops")).json()["total"] == 1


def test_the_daily_job_backs_up_every_device(client, world, app, fake_switches):
    from datetime import datetime

    from control.core.clock import SHANGHAI
    from control.scheduled import run_device_backup
    create(client, world, port=fake_switches.ports["sw04"])
    assert run_device_backup(app, datetime(2026, 11, 30, 3, tzinfo=SHANGHAI)) == {"changed": 1, "unchanged": 0,
                                                                                 "failed": 0}
    assert run_device_backup(app, datetime(2026, 11, 30, 3, tzinfo=SHANGHAI)) is None      # once per period
