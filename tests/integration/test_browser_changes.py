"""In headless Chromium, against emulated switches over real SSH and a worker pool in the test server.

The change page: the operator checks a device change and sees it become checked with each device's commands
and expected diff; the approve button is disabled for them with the reason; the bureau approves through the
confirm dialog; the operator applies and watches the devices reach "saved" and the change succeed, without
reloading the page by hand.

A plan's step carried out by a change: the information centre's operator opens a private-network plan at its
connect step, creates a change for that step from the plan page, checks it; the Bureau sees the commands and
the expected diff and approves; the operator applies; the page follows the apply live to success, and the
plan's connect step is complete with the change and its runs on the plan page."""
from __future__ import annotations

import httpx
import pytest
from netmiko import ConnectHandler
from playwright.sync_api import expect

from control.automation import kinds
from control.core import runs
from tests.api.test_migration_plans import RESPONSIBLE, approve_all, network, post
from tests.fakeswitches import ENABLE, PASSWORD, USERNAME, Switches
from tests.integration.changes_helpers import join_variables, set_secrets
from tests.integration.conftest import login

pytestmark = pytest.mark.browser
SWITCH, VLAN = "sw01", 3710
SLOW = 90_000            # a check or an apply over SSH on a busy two-core machine


def plan_at_connect(world) -> dict:
    client = world.client
    nets = [network(client, world, "县教育城域网")["id"]]
    plan = post(client, world, "edu", "", {
        "kind": "private_network", "department_id": world.depts["edu"].id, "name": "教育专网迁移计划",
        "content": "教育城域网并入电子政务外网", "target": "extranet_dedicated", "network_ids": nets,
        "completion_date": "2026-12-31", **RESPONSIBLE}).json()
    post(client, world, "edu", f"/{plan['id']}/submit")
    assert approve_all(client, world, plan["id"])["status"] == "connect"
    return plan


def switch_has(switches, text: str) -> bool:
    c = ConnectHandler(**switches.device(SWITCH))
    try:
        c.enable()
        return text in c.send_command("show running-config")
    finally:
        c.disconnect()


def test_a_change_carries_out_the_plans_connect_step(live, browser, fake_switches, monkeypatch):
    monkeypatch.setenv("YUNZHANG_SECRET_SW_PASS", PASSWORD)
    monkeypatch.setenv("YUNZHANG_SECRET_SW_ENABLE", ENABLE)
    base, app, world = live
    r = world.client.post("/api/v1/devices", headers=world.headers("infocenter"), json={
        "name": "edu-core-sw", "host": "127.0.0.1", "port": fake_switches.ports[SWITCH],
        "department_id": world.depts["edu"].id, "username": USERNAME, "password_ref": "secret:sw-pass",
        "enable_secret_ref": "secret:sw-enable"})
    assert r.status_code == 201, r.text
    device_id = r.json()["id"]
    plan = plan_at_connect(world)
    pool = runs.WorkerPool(app.state.engine, 1).start()
    try:
        operator = browser.new_context().new_page()
        login(operator, base, "infocenter")
        operator.goto(f"{base}/plans/{plan['id']}")
        operator.click("#automate-step")
        expect(operator.locator("#change-serves")).to_contain_text(f"计划 {plan['number']} 的“联通”环节")
        operator.select_option("#pick-template select[name=template]", "join_extranet")
        operator.click("#pick-template button")
        operator.fill("input[name=title]", "教育城域网接入政务外网")
        operator.fill("input[name=var_vlan_id]", str(VLAN))
        operator.fill("input[name=var_vlan_name]", f"edu-ic-{VLAN}")
        operator.fill("input[name=var_svi_description]", "edu metro interconnect")
        operator.fill("input[name=var_svi_address]", "10.37.10.1/24")
        operator.fill("textarea[name=var_ports]", "FastEthernet0/9")
        operator.fill("textarea[name=var_routes]", "10.38.0.0/16 via 10.37.10.254")
        operator.check(f"input[name=device_ids][value='{device_id}']")
        operator.click("#create-change")
        expect(operator.locator("#change-serves")).to_contain_text("“联通”环节")
        change_url = operator.url
        operator.click("#check-change")
        expect(operator.locator("#change-status")).to_have_text("已检查", timeout=SLOW)
        expect(operator.locator("#target-0 .diff")).to_contain_text(f"+vlan {VLAN}")
        expect(operator.locator("#approve-refusal")).to_be_visible()             # the author may not approve
        expect(operator.locator("#approve-change")).to_be_disabled()
        assert not switch_has(fake_switches, f"vlan {VLAN}")                     # the check changed nothing

        approver = browser.new_context().new_page()
        login(approver, base, "bureau")
        approver.goto(change_url)
        expect(approver.locator("#target-0 .commands").first).to_contain_text(f"interface Vlan{VLAN}")
        expect(approver.locator("#target-0 .diff")).to_contain_text("+ip route 10.38.0.0 255.255.0.0 10.37.10.254")
        approver.click("#approve-change")
        approver.click("#confirm-ok")
        expect(approver.locator("body")).to_contain_text("批准人")

        operator.goto(change_url)
        operator.click("#apply-change")
        operator.click("#confirm-ok")
        expect(operator.locator("#run-events li").first).to_be_visible(timeout=SLOW)   # events arrive live
        expect(operator.locator("#change-status")).to_have_text("已成功", timeout=SLOW)
        assert switch_has(fake_switches, f"vlan {VLAN}")

        operator.goto(f"{base}/plans/{plan['id']}")
        expect(operator.locator("h1 .badge")).to_have_text("迁移阶段")             # connect done, migrate open
        row = operator.locator("#plan-changes tr", has_text="教育城域网接入政务外网")
        expect(row).to_contain_text("已成功")
        expect(row.locator("a[href^='/runs/']")).to_have_count(2)                # its check and its apply
        expect(operator.locator("#timeline")).to_contain_text("自动化变更")
    finally:
        pool.stop()


def test_check_approve_apply_on_the_change_page(live, browser, tmp_path, monkeypatch):
    base, app, world = live
    set_secrets(monkeypatch, tmp_path)
    with Switches(2, tmp_path / "switches", prefix="bs") as switches:
        api = httpx.Client(base_url=base, headers=world.headers("infocenter"), timeout=30)
        ids = []
        for name in ("bs01", "bs02"):
            r = api.post("/api/v1/devices", json={
                "name": name, "host": "127.0.0.1", "port": switches.ports[name], "device_type": "cisco_ios",
                "department_id": world.depts["edu"].id, "username": "netops", "password_ref": "secret:sw-pass",
                "enable_secret_ref": "secret:sw-enable"})
            ids.append(r.json()["id"])
        change = api.post("/api/v1/changes", json={"kind": "device", "template": "join_extranet",
                                                   "variables": join_variables(350), "device_ids": ids}).json()
        pool = kinds.start_workers(app.state.engine, 2)
        try:
            operator = browser.new_page()
            login(operator, base, "infocenter")
            operator.goto(f"{base}/changes/{change['id']}")
            operator.click("#check-change")
            expect(operator.locator("#change-status")).to_have_text("已检查", timeout=60_000)
            expect(operator.locator("#target-0 .diff-add").first).to_contain_text("+vlan 350")
            expect(operator.locator("#approve-change")).to_be_disabled()
            expect(operator.locator("#approve-refusal")).to_contain_text("不得审批自己的事项")
            approver = browser.new_context().new_page()
            login(approver, base, "bureau")
            approver.goto(f"{base}/changes/{change['id']}")
            expect(approver.locator("#target-1 pre.commands").first).to_contain_text("vlan 350")
            approver.click("#approve-change")
            approver.click("#confirm-ok")
            expect(approver.locator(".flash")).to_have_text("已批准变更")
            operator.reload()
            operator.click("#apply-change")
            operator.click("#confirm-ok")
            expect(operator.locator("#change-status")).to_have_text("已成功", timeout=90_000)
            expect(operator.locator('#targets tr[data-target="bs02"] .badge')).to_have_text("已保存")
            expect(operator.locator("#run-events")).to_contain_text("write memory")
        finally:
            pool.stop()
