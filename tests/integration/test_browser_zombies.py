"""In headless Chromium: an auditor opens a candidate, sees the chart with its threshold line and the
evidence per criterion, and confirms it."""
from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def test_auditor_confirms_a_candidate(live, browser):
    base, app, world = live

    def token(user):
        r = httpx.post(f"{base}/api/v1/auth/token", data={"username": user, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    admin = token("admin")
    httpx.post(f"{base}/api/v1/systems", headers=admin, json={
        "department_id": world.depts["edu"].id, "name": "县教育宣传网站", "code": "EDU-QUIET", "status": "running",
        "function_description": "教育新闻发布"}).raise_for_status()
    end = date(2026, 11, 22)
    samples = [
        {"system_code": "EDU-QUIET", "metric": m, "day": (end - timedelta(days=i)).isoformat(), "value": v}
        for i in range(90)
        for m, v in (("requests", 0), ("logins", 0), ("cpu_p95", 0.3), ("network_bytes", 2e8))
    ]
    httpx.post(f"{base}/api/v1/metrics/samples", headers=token("ops"), json={"samples": samples}).raise_for_status()
    httpx.post(f"{base}/api/v1/zombie-scans", headers=token("auditor"), json={"as_of": end.isoformat()}
               ).raise_for_status()

    page = browser.new_page()
    login(page, base, "auditor")
    page.click("header >> text=僵尸系统")
    page.click("text=县教育宣传网站")
    page.wait_for_selector("#criterion-business_disconnected")
    block = page.locator("#criterion-business_disconnected")
    assert "符合" in block.inner_text() and "90/90" in block.inner_text()
    assert block.locator("svg.chart polyline.series").count() >= 1
    assert block.locator("svg.chart line.threshold").count() == 1
    page.screenshot(path="/tmp/yz-zombie-case.png", full_page=True)
    page.fill("textarea[name=reason]", "连续 90 天无业务请求、无登录")
    page.click("#review-form button:has-text('确认')")
    page.wait_for_selector("h1 >> text=已确认")
    assert "连续 90 天无业务请求" in page.inner_text("main")
