"""In headless Chromium: a designated reviewer's home page counts what awaits their review, the count opens
the queue, the request page names the next actor, and signing the level moves the request to the next one."""
from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def bearer(base: str, username: str) -> dict:
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_reviewer_home_count_opens_the_queue(live, browser):
    base, app, world = live
    edu = bearer(base, "edu")
    body = {"department_id": world.depts["edu"].id, "new_system_name": "智慧教育平台", "contact_name": "李明",
            "contact_phone": "0870-6100001", "purpose": "新建平台部署", "zone": "public",
            "lines": [{"kind": "vm", "count": 1, "vcpu": 4, "memory_gib": 8, "system_disk_gib": 50}]}
    req = httpx.post(f"{base}/api/v1/cloud-requests", json=body, headers=edu).json()
    httpx.post(f"{base}/api/v1/cloud-requests/{req['id']}/submit", json={}, headers=edu).raise_for_status()

    page = browser.new_context().new_page()
    login(page, base, "edu2")
    panel = page.locator("#awaiting-me")
    awaiting = panel.get_by_role("link", name=re.compile("待我审核的申请"))
    expect(awaiting).to_contain_text("1")
    awaiting.click()
    expect(page).to_have_url(re.compile(r"/cloud\?awaiting_me=true$"))
    row = page.get_by_role("row", name=re.compile(req["number"]))
    expect(row).to_contain_text("待 示范县教育局 审核人 审核")
    expect(page.locator("#sort b")).to_have_text("截止日（最近在前）")
    row.get_by_role("link", name=req["number"]).click()
    expect(page.locator("#next-actor")).to_contain_text("待 示范县教育局 审核人 审核，截止")
    page.locator("#action-form button", has_text="通过").click()
    expect(page.locator("#next-actor")).to_contain_text("待 示范县人民政府办公室 审核人 审核")
    page.goto(f"{base}/")
    expect(page.locator("#awaiting-me").get_by_role("link", name=re.compile("待我审核的申请"))).to_contain_text("0")
