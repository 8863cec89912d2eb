"""In headless Chromium, issue 12 points 2 and 9: a request returned with a comment is edited (a field and
its lines) beside that comment and resubmitted, and the Bureau sees the new values; a reclaim must be
confirmed in a dialog stating its consequence, with no reason preselected."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.api.test_cloud_requests import PATH, payload
from tests.conftest import PASSWORD
from tests.integration.conftest import login

pytestmark = pytest.mark.browser

CAPACITY = {"vcpu": 100, "memory_gib": 400, "storage_gib": 5000, "extranet_ips": 50, "internet_ips": 10,
            "bandwidth_mbps": 1000}


def api(base: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()
    return httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token['access_token']}"})


def reach(base: str, world, state: str) -> int:
    """A request of edu's taken to `state` through the API, the way the API tests take it."""
    api(base, "infocenter").put("/cloud-capacity/public", json=CAPACITY).raise_for_status()
    r = api(base, "edu").post("/cloud-requests", json=payload(world))
    r.raise_for_status()
    rid = r.json()["id"]
    for user, action, body in PATH[state]:
        api(base, user).post(f"/cloud-requests/{rid}/{action}", json=body).raise_for_status()
    return rid


def as_user(browser, base, username):
    page = browser.new_context().new_page()
    login(page, base, username)
    return page


def test_a_returned_request_is_edited_beside_its_comment_and_resubmitted(live, browser):
    base, _app, world = live
    rid = reach(base, world, "returned")

    edu = as_user(browser, base, "edu")
    edu.goto(f"{base}/cloud/{rid}")
    expect(edu.locator("#return-comment")).to_contain_text("请补充等保备案")       # who, when, what
    expect(edu.locator("#return-comment")).to_contain_text("bureau")
    form = edu.locator("#edit-form")
    form.locator("textarea[name=purpose]").fill("新建平台部署（已补充等保备案）")
    lines = form.locator("#lines .line")
    expect(lines).to_have_count(2)
    lines.nth(0).locator("input[name$=-vcpu]").fill("6")                        # a line changed…
    lines.nth(1).locator(".remove-line").click()                                # …one removed…
    expect(lines).to_have_count(1)
    form.locator("#add-line").click()                                           # …one added in place
    expect(lines).to_have_count(2)
    lines.nth(1).locator("select[name$=-kind]").select_option("block_storage")
    lines.nth(1).locator("input[name$=-size_gib]").fill("500")
    form.locator("#save-submit").click()
    expect(edu.locator("h1")).to_contain_text("受理审批中")                       # back to the stage that returned it
    expect(edu.locator("#edit-form")).to_have_count(0)

    bureau = as_user(browser, base, "bureau")
    bureau.goto(f"{base}/cloud/{rid}")
    expect(bureau.locator("#field-purpose")).to_contain_text("新建平台部署（已补充等保备案）")
    expect(bureau.locator("#line-form table")).to_contain_text("6C/8G")
    expect(bureau.locator("#line-form table")).to_contain_text("块存储")
    expect(bureau.locator("#line-form table tr")).to_have_count(3)              # header + the two lines


def test_a_reclaim_must_be_confirmed(live, browser):
    base, _app, world = live
    rid = reach(base, world, "in_use")

    ic = as_user(browser, base, "infocenter")
    ic.goto(f"{base}/cloud/{rid}")
    reclaim = ic.locator("#action-form button", has_text="收回")
    expect(reclaim).to_have_class("danger")                                     # not a primary button
    expect(ic.locator("select[name=reclaim_reason]")).to_have_value("")         # no reason preselected
    reclaim.click()                                                             # the reason is required first
    expect(ic.locator("#confirm-dialog")).to_have_count(0)
    ic.select_option("select[name=reclaim_reason]", "requested")
    reclaim.click()
    dialog = ic.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("已交付的 1 项资源将释放回资源池")
    ic.click("#confirm-cancel")                                                 # cancelled: nothing happens
    expect(dialog).to_be_hidden()
    ic.goto(f"{base}/cloud/{rid}")
    expect(ic.locator("h1")).to_contain_text("使用中")

    ic.select_option("select[name=reclaim_reason]", "requested")
    ic.locator("#action-form button", has_text="收回").click()
    ic.click("#confirm-ok")
    expect(ic.locator("h1")).to_contain_text("已收回")
    expect(ic.locator("#field-reclaim_reason")).to_contain_text("用户单位申请释放")
