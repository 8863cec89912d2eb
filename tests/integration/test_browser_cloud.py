"""In headless Chromium: a department files a request with two VM lines, it passes the review chain,
the Bureau approves, the Information Center assesses and delivers, and the timeline shows every stage
on time."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def as_user(browser, base, username):
    page = browser.new_context().new_page()
    login(page, base, username)
    return page


def act(page, base, rid, button):
    page.goto(f"{base}/cloud/{rid}")
    page.click(f"#action-form button:has-text('{button}')")
    page.wait_for_load_state()


def test_request_through_every_stage(live, browser):
    base, app, world = live
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "infocenter", "password": PASSWORD}).json()
    httpx.put(f"{base}/api/v1/cloud-capacity/public", headers={"Authorization": f"Bearer {token['access_token']}"},
              json={"vcpu": 64, "memory_gib": 256, "storage_gib": 4000, "extranet_ips": 8, "internet_ips": 2,
                    "bandwidth_mbps": 100}).raise_for_status()

    edu = as_user(browser, base, "edu")
    edu.goto(f"{base}/cloud/new")
    edu.fill("input[name=contact_phone]", "0870-6100001")
    edu.fill("input[name=new_system_name]", "智慧教育平台")
    edu.fill("textarea[name=purpose]", "新建平台部署应用与数据库")
    first = edu.locator("#lines .line").nth(0)
    first.locator("input[name$=-vcpu]").fill("4")
    first.locator("input[name$=-memory_gib]").fill("8")
    first.locator("input[name$=-system_disk_gib]").fill("50")
    edu.click("#add-line")                                  # a second line, added in place by htmx
    expect(edu.locator("#lines .line")).to_have_count(2)
    edu.click("#add-line")                                  # …and a third one, removed again in place
    expect(edu.locator("#lines .line")).to_have_count(3)
    edu.locator("#lines .line").nth(2).locator(".remove-line").click()
    expect(edu.locator("#lines .line")).to_have_count(2)
    second = edu.locator("#lines .line").nth(1)
    second.locator("input[name$=-vcpu]").fill("8")
    second.locator("input[name$=-memory_gib]").fill("16")
    second.locator("input[name$=-system_disk_gib]").fill("100")
    edu.click("button[name=submit_now]")
    edu.wait_for_selector("#timeline")
    rid = int(edu.url.rsplit("/", 1)[1])
    assert "逐级审核中" in edu.inner_text("h1")
    assert edu.locator("table tr").count() >= 3             # header + two VM lines

    act(as_user(browser, base, "edu2"), base, rid, "通过")
    act(as_user(browser, base, "countyoffice"), base, rid, "通过")
    bureau = as_user(browser, base, "bureau")
    bureau.goto(f"{base}/cloud")                             # the Bureau lands on its queue
    assert f"/cloud/{rid}" in bureau.content()
    act(bureau, base, rid, "通过")

    ic = as_user(browser, base, "infocenter")
    ic.goto(f"{base}/cloud/{rid}")
    ic.click("#primary-action")                             # assess
    ic.wait_for_load_state()
    ic.goto(f"{base}/cloud/{rid}")
    names = ic.locator("input[name$=-name]")
    names.nth(0).fill("edu-app-01")
    names.nth(1).fill("edu-db-01")
    ic.fill("input[name=delivery_note]", "账号密码已线下移交")
    ic.click("#primary-action")                             # deliver
    ic.wait_for_load_state()

    edu.goto(f"{base}/cloud/{rid}")
    assert "使用中" in edu.inner_text("h1")
    timeline = edu.inner_text("#timeline")
    for stage in ("本单位负责人审核", "上级主管部门审核", "受理审批", "评估", "交付"):
        assert stage in timeline
    assert timeline.count("按时完成") == 5
    assert "edu-db-01" in edu.inner_text("main")
    edu.screenshot(path="/tmp/yz-cloud-timeline.png", full_page=True)
