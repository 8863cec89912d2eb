"""In headless Chromium: a department registers a private network through the form (a carrier line, sites,
a system on it), then records that it is connected, confirming the step in the dialog."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def test_register_a_network_and_connect_it(live, browser):
    base, _app, world = live
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).json()
    httpx.post(f"{base}/api/v1/systems", headers={"Authorization": f"Bearer {token['access_token']}"},
               json={"department_id": world.depts["edu"].id, "name": "县学籍管理系统"}).raise_for_status()

    page = browser.new_page()
    login(page, base, "edu")
    page.click("header >> text=业务专网")
    page.click("#new-network")
    page.fill("input[name=name]", "县教育城域网")
    page.select_option("select[name=fiscal_funded]", "true")
    page.fill("textarea[name=purpose]", "连接全县中小学")
    page.fill("textarea[name=sites]", "县教育局机房\n城关镇中心校")
    page.fill("input[name=lines-0-carrier]", "中国电信")
    page.fill("input[name=lines-0-count]", "12")
    page.fill("input[name=lines-0-bandwidth_mbps]", "100")
    page.fill("input[name=lines-0-yearly_rent]", "18.6")
    page.select_option("select[name=system_ids]", label="县学籍管理系统（示范县教育局）")
    page.click("#save-network")
    expect(page.locator("h1")).to_have_text("县教育城域网")
    expect(page.locator("#network-state")).to_have_text("在用")
    expect(page.locator("#carrier-lines")).to_contain_text("18.6")
    expect(page.locator("#network-systems")).to_contain_text("县学籍管理系统")

    page.fill("#network-actions input[name=note]", "已接入电子政务外网")
    page.locator("#network-actions button", has_text="联通").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("登记后状态不能退回")
    page.click("#confirm-cancel")                                    # cancelled: nothing happens
    expect(page.locator("#network-state")).to_have_text("在用")
    page.locator("#network-actions button", has_text="联通").click()
    page.click("#confirm-ok")
    expect(page.locator("#network-state")).to_have_text("已联通")
    expect(page.locator("#network-actions button", has_text="开始迁移")).to_be_visible()
    expect(page.locator("main")).to_contain_text("已登记：当前状态“已联通”")
    page.screenshot(path="/tmp/yz-network.png", full_page=True)
