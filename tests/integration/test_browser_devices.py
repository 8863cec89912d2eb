"""In headless Chromium against emulated switches: the info centre registers a device through the form, backs
it up, someone changes the switch outside yunzhang, the next backup shows the drift flag and a coloured diff,
and the drift is accepted after the confirm dialog."""
from __future__ import annotations

import itertools

import pytest
from netmiko import ConnectHandler
from playwright.sync_api import expect

from tests.fakeswitches import ENABLE, PASSWORD, USERNAME
from tests.integration.conftest import login

pytestmark = pytest.mark.browser
VLANS = itertools.count(3000)


def test_backup_drift_and_diff_on_the_pages(live, browser, fake_switches, monkeypatch):
    monkeypatch.setenv("YUNZHANG_SECRET_SW_PASS", PASSWORD)
    monkeypatch.setenv("YUNZHANG_SECRET_SW_ENABLE", ENABLE)
    base, _app, world = live
    page = browser.new_page()
    login(page, base, "infocenter")
    page.click("header >> text=网络设备")
    page.click("#new-device")
    page.fill("input[name=name]", "edu-core-01")
    page.select_option("select[name=department_id]", str(world.depts["edu"].id))
    page.fill("input[name=host]", "127.0.0.1")
    page.fill("input[name=port]", str(fake_switches.ports["sw02"]))
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password_ref]", "secret:sw-pass")
    page.fill("input[name=enable_secret_ref]", "secret:sw-enable")
    page.click("#save-device")
    expect(page.locator("h1")).to_have_text("edu-core-01")
    page.click("#backup-now")
    expect(page.locator("#versions")).to_contain_text("v1")

    vlan = next(VLANS)
    c = ConnectHandler(**fake_switches.device("sw02"))
    c.enable()
    c.config_mode()
    for command in (f"interface Vlan{vlan}", "description changed-at-night", "exit"):
        c.send_command(command, expect_string="#")
    c.disconnect()
    page.click("#backup-now")
    expect(page.locator("#drift-flag")).to_be_visible()
    added = page.locator("#diff .diff-add", has_text=f"+interface Vlan{vlan}")
    expect(added).to_be_visible()
    assert added.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.goto(f"{base}/devices?drifted=true")
    expect(page.locator("#devices")).to_contain_text("edu-core-01")
    page.click("text=edu-core-01")
    page.fill("#accept-drift input[name=comment]", "夜间现场调整，已核实")
    page.click("#accept-drift button")
    page.locator("dialog button", has_text="确认漂移").click()
    expect(page.locator("#drift-flag")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("已确认配置漂移：当前配置作为基线")
