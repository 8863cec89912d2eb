"""Device changes through the whole pipeline against emulated Cisco switches over real SSH: check leaves every
running config byte-for-byte unchanged; the author cannot approve; apply goes canary first, verifies, saves and
records the post-change backup as expected (no drift); a failing verify rolls that device back by itself to its
backup; an IOS error fails the device; drift between check and apply is refused; cancel takes effect between
devices; rollback undoes every device changed."""
from __future__ import annotations

import pytest
from netmiko import ConnectHandler

from control.automation import kinds, templates
from control.devices import rules as config_rules
from tests.fakeswitches import Switches
from tests.integration.changes_helpers import (
    VLANS,
    act,
    add_device,
    create_change,
    join_variables,
    sent,
    set_secrets,
    wait_status,
)

# The whole pipeline runs on both databases; the other device flows on SQLite (the API's rules run on both in
# tests/api/test_changes_api.py).
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def switches(tmp_path_factory):
    with Switches(4, tmp_path_factory.mktemp("change-switches"), prefix="cs") as s:
        yield s


@pytest.fixture
def pool(app, monkeypatch, tmp_path):
    set_secrets(monkeypatch, tmp_path)
    workers = kinds.start_workers(app.state.engine, 2)
    yield workers
    workers.stop()


def raw_config(switches, name: str) -> str:
    c = ConnectHandler(**switches.device(name))
    try:
        c.enable()
        return c.send_command("show running-config")
    finally:
        c.disconnect()


def type_by_hand(switches, name: str, port: str, description: str) -> None:
    """A port description typed on the switch outside yunzhang (the emulator has no `end`: config mode is left
    with exit)."""
    c = ConnectHandler(**switches.device(name))
    try:
        c.enable()
        c.config_mode()
        for line in (f"interface {port}", f" description {description}", "exit", "exit"):
            c.send_command(line, expect_string="#")
    finally:
        c.disconnect()


def approved_change(client, world, switches, name: str) -> tuple[list[int], dict]:
    """A join change on one switch, checked and approved by the bureau: (device ids, the change)."""
    ids = devices(client, world, switches, [name])
    change = create_change(client, world, ids, join_variables(next(VLANS)))
    act(client, world, change["id"], "check")
    wait_status(client, world, change["id"], "checked")
    act(client, world, change["id"], "approve", user="bureau")
    return ids, change


def devices(client, world, switches, names):
    return [add_device(client, world, name, switches.ports[name]) for name in names]


def test_check_approve_apply_verify(client, world, switches, pool):
    ids = devices(client, world, switches, ["cs01", "cs02"])
    vlan = next(VLANS)
    before = {n: raw_config(switches, n) for n in ("cs01", "cs02")}
    marks = {n: len(switches.commands(n)) for n in ("cs01", "cs02")}
    # cs02 has its own SVI address (a per-device variable over the common one)
    own = {"svi_address": f"10.{vlan % 200}.0.2/24"}
    change = create_change(client, world, ids, join_variables(vlan), device_variables={str(ids[1]): own})
    assert change["status"] == "draft" and [t["name"] for t in change["targets"]] == ["cs01", "cs02"]
    act(client, world, change["id"], "check")
    checked = wait_status(client, world, change["id"], "checked")
    addresses = [[c for c in t["commands"] if c.startswith(" ip address")] for t in checked["targets"]]
    assert addresses == [[f" ip address 10.{vlan % 200}.0.1 255.255.255.0"],
                         [f" ip address 10.{vlan % 200}.0.2 255.255.255.0"]]
    assert f"10.{vlan % 200}.0.2" in checked["targets"][1]["verify"][0]["expect"][1]
    # the check changed nothing: byte for byte, and no configuration command was sent
    assert {n: raw_config(switches, n) for n in ("cs01", "cs02")} == before
    for n in ("cs01", "cs02"):
        assert "configure terminal" not in sent(switches, n, marks[n])
    target = checked["targets"][0]
    assert target["commands"][:2] == [f"vlan {vlan}", f" name edu-ic-{vlan}"] and target["backup_id"]
    diff = target["expected_diff"]
    assert f"+vlan {vlan}" in diff and f"+ip route 10.{vlan % 200 + 1}.0.0 255.255.0.0" in diff
    # separation of duties: the author may not approve; the approval is pinned to the checked digest
    refused = act(client, world, change["id"], "approve", expect=403)
    assert "不得审批自己的事项" in refused["detail"]
    act(client, world, change["id"], "approve", user="bureau", expect=409, digest="0" * 64)
    approved = act(client, world, change["id"], "approve", user="bureau", digest=checked["digest"])
    assert approved["status"] == "approved" and approved["approved_digest"] == checked["digest"]
    marks = {n: len(switches.commands(n)) for n in ("cs01", "cs02")}
    act(client, world, change["id"], "apply")
    done = wait_status(client, world, change["id"], "succeeded")
    assert [t["status"] for t in done["targets"]] == ["saved", "saved"]
    for n in ("cs01", "cs02"):
        config = raw_config(switches, n)
        assert f"vlan {vlan}\n name edu-ic-{vlan}" in config and f" description edu interconnect {vlan}" in config
        assert f"ip route 10.{vlan % 200 + 1}.0.0 255.255.0.0 10.{vlan % 200}.0.254" in config
        host = "1" if n == "cs01" else "2"            # each verified with its own address
        assert f"interface Vlan{vlan}\n description edu interconnect {vlan}\n ip address 10.{vlan % 200}.0.{host}" \
            in config
        commands = sent(switches, n, marks[n])
        assert commands.count(f"vlan {vlan}") == 1 and commands.count("write memory") == 1
    # the canary went first: cs01 got its commands before cs02 got any
    backups = client.get(f"/api/v1/devices/{ids[0]}/backups", headers=world.headers("infocenter")).json()["items"]
    assert backups[0]["expected"] is True and backups[0]["drift"] is False
    device = client.get(f"/api/v1/devices/{ids[0]}", headers=world.headers("infocenter")).json()
    assert device["drifted"] is False
    assert [r["mode"] for r in done["runs"]] == ["check", "apply"]
    events = client.get(f"/api/v1/runs/{done['runs'][1]['id']}/events?limit=500",
                        headers=world.headers("infocenter")).json()["items"]
    first = {e["host"]: e["seq"] for e in reversed(events) if e["task"] == f"vlan {vlan}"}
    assert first["cs01"] < first["cs02"]
    # rollback of a succeeded change is not offered; a change ended cannot be applied again
    act(client, world, change["id"], "apply", expect=409)


@SQLITE_ONLY
def test_failing_verify_rolls_that_device_back(client, world, switches, pool, monkeypatch):
    shipped = templates.load_all()["join_extranet"]
    header = shipped.header.model_copy(update={"verify": [templates.Verify(command="show vlan",
                                                                           expect=["^never-there$"])]})
    broken = templates.Template(key="join_extranet", header=header, body=shipped.body)
    monkeypatch.setattr(templates, "load_all", lambda folder=None: {"join_extranet": broken})
    ids = devices(client, world, switches, ["cs03", "cs04"])
    vlan = next(VLANS)
    change = create_change(client, world, ids, join_variables(vlan))
    act(client, world, change["id"], "check")
    checked = wait_status(client, world, change["id"], "checked")
    act(client, world, change["id"], "approve", user="bureau")
    marks = {n: len(switches.commands(n)) for n in ("cs03", "cs04")}
    act(client, world, change["id"], "apply")
    failed = wait_status(client, world, change["id"], "failed")
    canary, other = failed["targets"]
    assert canary["status"] == "rolled_back" and "验证未通过" in canary["error"]
    assert other["status"] == "checked" and "configure terminal" not in sent(switches, "cs04", marks["cs04"])
    backup = client.get(f"/api/v1/devices/{ids[0]}/backups/{1}", headers=world.headers("infocenter")).json()
    now = config_rules.stored_form(raw_config(switches, "cs03"))
    assert canary["backup_id"] == checked["targets"][0]["backup_id"] and backup["content"] == now
    assert "rolled_back" in [t["status"] for t in failed["targets"]]


@SQLITE_ONLY
def test_ios_error_fails_the_device(client, world, switches, pool):
    ids = devices(client, world, switches, ["cs01"])
    change = create_change(client, world, ids, join_variables(next(VLANS), ports=["FastEthernet0/99"]),
                           template="withdraw_network")
    act(client, world, change["id"], "check")
    wait_status(client, world, change["id"], "checked")
    act(client, world, change["id"], "approve", user="bureau")
    act(client, world, change["id"], "apply")
    failed = wait_status(client, world, change["id"], "failed")
    assert "拒绝了命令“interface FastEthernet0/99”" in failed["targets"][0]["error"]
    assert failed["targets"][0]["status"] == "rolled_back"        # nothing took: its config is still the backup


@SQLITE_ONLY
def test_drift_between_check_and_apply_is_refused(client, world, switches, pool):
    ids, change = approved_change(client, world, switches, "cs02")
    type_by_hand(switches, "cs02", "FastEthernet0/9", "typed-by-hand")
    refused = act(client, world, change["id"], "apply", expect=409)
    assert refused["detail"].startswith("设备配置自检查以来已变更") and "cs02" in refused["detail"]
    assert client.get(f"/api/v1/changes/{change['id']}", headers=world.headers("infocenter")).json()["status"] \
        == "approved"


@SQLITE_ONLY
def test_drift_kept_by_a_backup_is_refused_from_the_record(client, world, switches, pool):
    """A version kept since the check (here a backup clicked after a change by hand) refuses the apply from the
    database alone, naming both versions."""
    ids, change = approved_change(client, world, switches, "cs03")
    type_by_hand(switches, "cs03", "FastEthernet0/8", "typed-by-hand-too")
    headers = world.headers("infocenter")
    assert client.post(f"/api/v1/devices/{ids[0]}/backup", headers=headers).json()["drift"] is True
    checked = client.get(f"/api/v1/changes/{change['id']}", headers=headers).json()["targets"][0]
    version = client.get(f"/api/v1/devices/{ids[0]}/backups", headers=headers).json()["items"][0]["version"]
    refused = act(client, world, change["id"], "apply", expect=409)
    assert refused["code"] == "device_changed" and f"已备份到第 {version} 版" in refused["detail"]
    assert checked["status"] == "checked"


@SQLITE_ONLY
def test_cancel_between_devices_then_roll_back(client, world, switches, pool, monkeypatch):
    monkeypatch.setenv("YUNZHANG_AUTOMATION_DEVICE_PAUSE", "2")
    ids = devices(client, world, switches, ["cs01", "cs02", "cs03"])
    vlan = next(VLANS)
    change = create_change(client, world, ids, join_variables(vlan, ports=["FastEthernet0/4"]), concurrency=1)
    act(client, world, change["id"], "check")
    wait_status(client, world, change["id"], "checked")
    act(client, world, change["id"], "approve", user="bureau")
    marks = {n: len(switches.commands(n)) for n in ("cs01", "cs02", "cs03")}
    act(client, world, change["id"], "apply")
    import time
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        targets = client.get(f"/api/v1/changes/{change['id']}", headers=world.headers("infocenter")).json()["targets"]
        if targets[0]["status"] == "saved":
            break
        time.sleep(0.1)
    act(client, world, change["id"], "cancel")
    cancelled = wait_status(client, world, change["id"], "cancelled")
    statuses = [t["status"] for t in cancelled["targets"]]
    assert statuses[0] == "saved" and statuses[-1] == "checked"
    assert f"vlan {vlan}" not in sent(switches, "cs03", marks["cs03"])
    act(client, world, change["id"], "rollback")
    rolled = wait_status(client, world, change["id"], "rolled_back")
    assert rolled["targets"][0]["status"] == "rolled_back"
    assert f"vlan {vlan}" not in raw_config(switches, "cs01")


def run_change(client, world, ids, template, variables, end="succeeded"):
    change = create_change(client, world, ids, variables, template=template)
    act(client, world, change["id"], "check")
    wait_status(client, world, change["id"], "checked")
    act(client, world, change["id"], "approve", user="bureau")
    act(client, world, change["id"], "apply")
    return wait_status(client, world, change["id"], end)


@SQLITE_ONLY
def test_every_shipped_template_applies_verifies_and_rolls_back(client, world, switches, pool):
    """join, then change the interconnect's description and routes (and roll that back to its backup), then
    withdraw the network (and roll that back too): each verified by its own show commands on the emulator."""
    ids = devices(client, world, switches, ["cs04"])
    vlan = next(VLANS)
    join = join_variables(vlan, ports=["FastEthernet0/7"])
    run_change(client, world, ids, "join_extranet", join)
    joined = config_rules.stored_form(raw_config(switches, "cs04"))
    old_route = join["routes"][0]
    new_route = f"10.{vlan % 200 + 2}.0.0/16 via 10.{vlan % 200}.0.254"
    update = run_change(client, world, ids, "interconnect_update", {
        "vlan_id": vlan, "description": f"edu ic {vlan} v2", "old_description": join["svi_description"],
        "add_routes": [new_route], "remove_routes": [old_route]})
    config = raw_config(switches, "cs04")
    assert f" description edu ic {vlan} v2" in config and f"ip route 10.{vlan % 200 + 2}.0.0" in config
    assert f"ip route 10.{vlan % 200 + 1}.0.0" not in config
    act(client, world, update["id"], "rollback")
    wait_status(client, world, update["id"], "rolled_back")
    assert config_rules.stored_form(raw_config(switches, "cs04")) == joined
    withdraw = run_change(client, world, ids, "withdraw_network", join)
    config = raw_config(switches, "cs04")
    assert f"\nvlan {vlan}\n" not in config and f"Vlan{vlan}" not in config
    assert " shutdown\n" in config.split("interface FastEthernet0/7\n")[1].split("!")[0]     # its port shut
    act(client, world, withdraw["id"], "rollback")
    wait_status(client, world, withdraw["id"], "rolled_back")
    assert config_rules.stored_form(raw_config(switches, "cs04")) == joined
    device = client.get(f"/api/v1/devices/{ids[0]}", headers=world.headers("infocenter")).json()
    assert device["drifted"] is False                   # every version was yunzhang's own
