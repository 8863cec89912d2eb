"""In headless Chromium (issue 12, points 7 and 11): a zombie case's charts carry their metric's name and
unit and labelled axes, its evidence reads as words with units, and the scan page filters its verdicts by a
department and those under it."""
from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def test_zombie_charts_are_labelled_and_the_scan_filters_by_department(live, browser):
    base, app, world = live

    def token(user):
        r = httpx.post(f"{base}/api/v1/auth/token", data={"username": user, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    admin, end = token("admin"), date(2026, 11, 22)
    for dept, name, code in (("edu", "县教育宣传网站", "EDU-QUIET"), ("health", "县卫生应急指挥系统", "HEALTH-QUIET")):
        httpx.post(f"{base}/api/v1/systems", headers=admin, json={
            "department_id": world.depts[dept].id, "name": name, "code": code, "status": "running",
            "function_description": "信息发布"}).raise_for_status()
    samples = [
        {"system_code": code, "metric": m, "day": (end - timedelta(days=i)).isoformat(), "value": v}
        for code in ("EDU-QUIET", "HEALTH-QUIET") for i in range(90)
        for m, v in (("requests", 0), ("logins", 0), ("cpu_p95", 0.3), ("network_bytes", 2e8))
    ]
    httpx.post(f"{base}/api/v1/metrics/samples", headers=token("ops"), json={"samples": samples}).raise_for_status()
    scan = httpx.post(f"{base}/api/v1/zombie-scans", headers=token("auditor"), json={"as_of": end.isoformat()})
    scan.raise_for_status()

    page = browser.new_page()
    login(page, base, "auditor")
    page.goto(f"{base}/zombies/scans/{scan.json()['id']}")
    rows = page.locator("table tr", has=page.locator("td"))
    expect(rows.filter(has_text="县教育宣传网站")).to_have_count(1)
    expect(rows.filter(has_text="县卫生应急指挥系统")).to_have_count(1)
    page.select_option("select[name=department_id]", label="示范县教育局")
    page.click("form.filters button[type=submit]")
    expect(rows.filter(has_text="县卫生应急指挥系统")).to_have_count(0)
    expect(rows.filter(has_text="县教育宣传网站")).to_have_count(1)
    page.select_option("select[name=department_id]", label="示范县人民政府办公室")   # the county: both are under it
    page.click("form.filters button[type=submit]")
    expect(rows.filter(has_text="县卫生应急指挥系统")).to_have_count(1)

    rows.filter(has_text="县教育宣传网站").get_by_role("link").click()
    block = page.locator("#criterion-business_disconnected")
    expect(block.locator("svg.chart text.chart-title").first).to_have_text("业务请求数（笔/日）")
    expect(block.locator("svg.chart text.axis-label.x").first).to_have_text("日期")
    expect(block.locator("svg.chart text.axis-label.y").first).to_have_text("笔/日")
    expect(block.locator("p.observed")).to_contain_text("有业务请求数据的天数：90 天")
    expect(block.locator("p.observed")).not_to_contain_text("=")
    expect(page.locator("#criterion-idle_resources svg.chart text.chart-title").first).to_have_text(
        "CPU 使用率 P95（%）")
