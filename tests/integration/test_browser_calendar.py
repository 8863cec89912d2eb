"""In headless Chromium (issue 12, points 4 and 6): /docs and /redoc render the operations with every
request to another host blocked and no CSP violation; the calendar's import box starts empty, its 预览
shows the year's twelve months before anything is stored, and 保存 stores it."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.calendar_samples import ARRANGEMENT_2027, as_yaml
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def offline_page(browser):
    """A page whose requests to any host but 127.0.0.1 are aborted and recorded; CSP refusals and script
    errors are kept. (ReDoc's sidebar shows a Redocly logo from its CDN; the CSP refuses it before any
    request leaves and ReDoc then drops the image, so a refusal of an outside host is allowed, none of ours.)"""
    context = browser.new_context()
    blocked: list[str] = []
    problems: list[str] = []

    def only_here(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text
            and "'https://" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, blocked, problems


def test_swagger_ui_renders_the_operations_offline(live, browser):
    base, _app, _world = live
    page, blocked, problems = offline_page(browser)
    assert page.goto(base + "/docs").status == 200
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/calendar/years/{year}").first).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="calendar").first).to_be_visible()
    assert blocked == [] and problems == [], (blocked, problems)


def test_redoc_renders_the_operations_offline(live, browser):
    base, _app, _world = live
    page, blocked, problems = offline_page(browser)
    assert page.goto(base + "/redoc").status == 200
    # ReDoc lays out every operation before it shows any: with a hundred of them on a busy 2-core machine
    # that takes longer than Playwright's default 5 s wait.
    expect(page.get_by_text("/api/v1/calendar/add-working-days").first).to_be_attached(timeout=60_000)
    expect(page.locator("h1", has_text="云长 yunzhang").first).to_be_visible()
    assert blocked == [] and problems == [], (blocked, problems)


def test_calendar_import_is_empty_previews_the_months_then_saves(live, browser):
    base, _app, _world = live
    page, _blocked, problems = offline_page(browser)
    login(page, base, "admin")
    page.goto(base + "/calendar")
    box = page.locator("textarea#arrangement")
    expect(box).to_have_value("")
    page.get_by_role("button", name="预览").click()                       # empty: the browser refuses it
    expect(page.locator("#preview-year")).to_have_count(0)
    box.fill(as_yaml({**ARRANGEMENT_2027, "holidays": ARRANGEMENT_2027["holidays"][:-1]}))
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#preview-error")).to_contain_text("缺少法定节假日：国庆节")
    box.fill(as_yaml(ARRANGEMENT_2027))
    page.get_by_role("button", name="预览").click()
    months = page.locator("section.preview-month")
    expect(months).to_have_count(12)
    october = page.get_by_role("region", name="10 月")
    expect(october.locator(".holiday")).to_have_count(7)
    expect(october.locator(".makeup")).to_have_count(1)
    expect(page.get_by_role("region", name="2 月").locator(".makeup")).to_have_count(1)
    page.goto(base + "/calendar?year=2027&month=10")                     # the preview stored nothing
    expect(page.locator(".month .holiday")).to_have_count(0)
    page.goto(base + "/calendar")
    page.locator("textarea#arrangement").fill(as_yaml(ARRANGEMENT_2027))
    page.get_by_role("button", name="预览").click()
    page.locator("#calendar-save").click()
    page.wait_for_url(base + "/calendar?year=2027&month=1")
    expect(page.locator(".flash")).to_contain_text("2027 年安排已保存")
    expect(page.locator(".month .holiday")).to_have_count(3)

    # Over the stored year, 保存 asks first: dismissed, nothing is saved; accepted, it replaces the year.
    page.locator("textarea#arrangement").fill(as_yaml({**ARRANGEMENT_2027, "note": "更正"}))
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#preview-year .warning")).to_contain_text("2027 年已有安排")
    dialog = page.locator("#confirm-dialog")
    page.locator("#calendar-save").click()
    expect(dialog).to_contain_text("替换前后的内容记入审计日志")
    page.click("#confirm-cancel")
    expect(dialog).to_be_hidden()
    expect(page.locator("#calendar-save")).to_be_visible()
    page.locator("#calendar-save").click()
    # The page is at this address already: wait for the save's own navigation, or the next click can land on
    # the page being replaced (its dialog then vanishes with it).
    with page.expect_navigation(url=base + "/calendar?year=2027&month=1"):
        page.click("#confirm-ok")
    # Removing the stored year asks too.
    page.locator("form[action='/calendar/years/2027/delete'] button").click()
    expect(dialog).to_contain_text("删除记入审计日志")
    page.click("#confirm-ok")
    expect(page.locator(".flash")).to_contain_text("2027 年的安排已删除")
    assert problems == []
