"""In headless Chromium: the pages work under the Content-Security-Policy (no violation reported), the
confirm dialogs and the error page's back link that used to be inline script still work, and logout
ends the session for a copy of the cookie."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.integration.conftest import login

pytestmark = pytest.mark.browser

PAGES = ["/", "/systems", "/systems/new", "/systems/import", "/departments", "/cloud",
         "/cloud/capacity", "/calendar", "/zombies", "/audit", "/users"]


def test_pages_run_under_the_csp_and_confirm_still_asks(live, browser):
    base, _app, world = live
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: violations.append(str(e)))
    login(page, base, "admin")
    for path in PAGES:
        assert page.goto(base + path).status == 200, path

    # Deactivating asks first (the confirm dialog of static/app.js): cancelled, nothing happens; confirmed, done.
    uid = world.users["edu2"].id
    button = page.locator(f"form[action='/users/{uid}/deactivate'] button")
    button.click()
    expect(page.locator("#confirm-dialog")).to_contain_text("不能再登录")
    page.click("#confirm-cancel")
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    expect(page.locator(f"form[action='/users/{uid}/deactivate']")).to_be_visible()
    button.click()
    page.click("#confirm-ok")
    expect(page.locator(".flash")).to_contain_text("已停用 edu2")

    # The error page's back link returns to the page before.
    page.goto(base + "/systems")
    assert page.goto(base + "/systems/999999").status == 404
    page.click("text=返回上一页")
    page.wait_for_url(f"{base}/systems")
    assert violations == []

    # Logout, then the cookie the browser had is worthless in another browser too.
    cookies = context.cookies()
    page.click("button:has-text('退出')")
    page.wait_for_url(f"{base}/login")
    thief = browser.new_context()
    thief.add_cookies(cookies)
    other = thief.new_page()
    other.goto(base + "/")
    assert other.url.startswith(f"{base}/login")
