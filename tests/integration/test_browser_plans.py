"""In headless Chromium (issue 14): a department submits its cloud plan on the plan page, its designated
reviewer, the county office's and the Bureau approve it there, and the plan list and the progress board show
it on plan; the clock moves past a system's planned date and the list shows it behind, by how many days, and
the board counts it behind, its figure leading to the plan."""
from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from control.core import clock
from tests.conftest import PASSWORD
from tests.integration.conftest import login

pytestmark = pytest.mark.browser
RESPONSIBLE = {"leader_name": "王强", "leader_title": "副局长", "leader_phone": "0870-6100100", "office": "办公室",
               "liaison_name": "李丽", "liaison_phone": "13800000000"}


def api(base: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()
    return httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token['access_token']}"})


def test_plan_submitted_approved_then_behind(live, browser):
    base, _app, world = live
    clock.set_now(datetime(2026, 3, 2, 9, 0, tzinfo=clock.SHANGHAI))
    try:
        edu = api(base, "edu")
        system = edu.post("/systems", json={"department_id": world.depts["edu"].id, "name": "学籍管理系统",
                                            "status": "running"}).json()
        plan = edu.post("/migration-plans", json={
            "kind": "cloud", "department_id": world.depts["edu"].id, "name": "教育系统上云计划",
            "completion_date": "2026-12-31", **RESPONSIBLE,
            "systems": [{"system_id": system["id"], "target_date": "2026-06-30"}]}).json()
        url = f"{base}/plans/{plan['id']}"
        for user in ("edu", "edu2", "countyoffice", "bureau"):
            page = browser.new_context().new_page()
            login(page, base, user)
            page.goto(url)
            page.locator("#act-submit" if user == "edu" else "#act-approve").click()
            page.wait_for_url(url)
        expect(page.locator("h1")).to_contain_text("系统迁移上云中")
        expect(page.locator("#timeline")).to_contain_text("大数据发展局审批")
        page.goto(f"{base}/plans")
        row = page.locator("#plan-table tr", has_text="教育系统上云计划")
        expect(row).to_contain_text("按计划")
        page.goto(f"{base}/plans/board")
        board_row = page.locator(f"#board-dept-{world.depts['edu'].id}")
        expect(board_row.locator(".fig-on_plan")).to_have_text("1")
        expect(board_row.locator(".fig-behind_plan")).to_have_text("0")
        expect(board_row.locator(".fig-systems")).to_have_text("1")
        clock.set_now(datetime(2026, 6, 30, 9, 0, tzinfo=clock.SHANGHAI) + timedelta(days=12))
        login(page, base, "bureau")                 # four months on, the session has expired
        page.goto(f"{base}/plans")
        expect(row).to_contain_text("滞后 12 天")
        page.goto(f"{base}/plans?schedule=behind_plan")
        expect(page.locator("#plan-table")).to_contain_text("教育系统上云计划")
        page.goto(f"{base}/plans/board")
        expect(board_row.locator(".fig-on_plan")).to_have_text("0")
        board_row.locator(".fig-behind_plan a").click()
        expect(page.locator("#plan-table")).to_contain_text("滞后 12 天")
    finally:
        clock.set_now(None)
