"""In headless Chromium against the real app (uvicorn, fresh SQLite): a department user imports a census
workbook with one bad row, sees the error naming the row, fixes it, imports again and sees the systems;
filters the list in place; opens a system page; an auditor verifies the audit chain. Screenshots go to
/tmp/yz-*.png for a look by eye."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.api.helpers import fill_self_built_sheet
from tests.integration.conftest import login

pytestmark = pytest.mark.browser

ROWS = [
    {"部门名称": "示范县教育局", "系统名称": "县教育资源公共服务平台", "运行状态": "正在运行",
     "运行网络": "电子政务外网、互联网", "用户数量": "不固定", "使用频度": "每日", "审批时间": "2017年1月10日",
     "系统功能描述": "教学资源共享、在线课堂、教师研修"},
    {"部门名称": "示范县教育局", "系统名称": "县校车安全监管系统", "运行状态": "正在运行", "运行网络": "业务专网",
     "用户数量": 35, "使用频度": "每周", "审批时间": "2019年13月1日", "安全等级（等保级别）": 2},
]


def workbook(page, base: str, rows: list[dict]) -> bytes:
    """The real template, downloaded with the browser's own session, with rows filled in."""
    r = page.request.get(f"{base}/api/v1/systems/template.xlsx")
    assert r.ok
    headers = [str(c.value).lstrip("*") for c in openpyxl.load_workbook(io.BytesIO(r.body()))["自建系统"][1]]
    assert headers[:3] == ["部门名称", "部门代码", "系统名称"]
    return fill_self_built_sheet(r.body(), rows)


def test_department_user_imports_fixes_and_sees_systems(live, browser, tmp_path):
    base, _app, _world = live
    page = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN").new_page()
    login(page, base, "edu")
    assert page.inner_text("nav").count("审计日志") == 0
    page.click("nav >> text=导入普查表")
    page.wait_for_url(f"{base}/systems/import")

    bad, good = tmp_path / "普查表-有误.xlsx", tmp_path / "普查表.xlsx"
    bad.write_bytes(workbook(page, base, ROWS))
    good.write_bytes(workbook(page, base, [ROWS[0], {**ROWS[1], "审批时间": "2019.3.1"}]))

    page.set_input_files("input[type=file]", str(bad))
    page.click("text=上传并导入")
    page.wait_for_selector("#import-errors")
    assert "未导入任何数据" in page.inner_text("#import-errors")
    first = page.locator("#import-error-table tbody tr").first.locator("td")
    assert [first.nth(i).inner_text() for i in range(3)] == ["自建系统", "3", "审批时间"]
    assert "不是存在的日期" in first.nth(3).inner_text()
    page.screenshot(path="/tmp/yz-import-errors.png", full_page=True)

    page.set_input_files("input[type=file]", str(good))
    page.click("text=上传并导入")
    page.wait_for_selector("#import-result")
    assert re.search(r"新增\s*2", page.inner_text("#import-result"))
    page.click("#import-result >> text=查看系统清单")
    page.wait_for_selector("text=县校车安全监管系统")
    assert "县教育资源公共服务平台" in page.inner_text("#systems-table")

    # Filtering replaces the table in place (htmx) and pushes the filters into the address bar.
    page.evaluate("window.__same_document = true")
    page.select_option("select[name=network]", "private")
    expect(page.locator("#systems-table")).not_to_contain_text("县教育资源公共服务平台")
    assert "县校车安全监管系统" in page.inner_text("#systems-table")
    assert page.evaluate("window.__same_document") is True  # no full page load
    page.wait_for_url(re.compile(r"network=private"))
    assert "network=private" in page.get_attribute("#export-link", "href")
    page.select_option("select[name=network]", "")
    expect(page.locator("#systems-table")).to_contain_text("县教育资源公共服务平台")
    page.screenshot(path="/tmp/yz-list.png", full_page=True)

    page.click("text=县校车安全监管系统")
    page.wait_for_selector("text=系统编码")
    main = page.inner_text("main")
    assert "业务专网" in main and "2019-03-01" in main and "每周" in main
    page.screenshot(path="/tmp/yz-system.png", full_page=True)

    # Lifecycle: stop it; the status badge and the buttons follow.
    page.click("#lifecycle button:has-text('停止运行')")
    page.wait_for_selector("#system-status:has-text('停止运行')")
    assert page.locator("#lifecycle button:has-text('下线')").count() == 1


def test_form_switches_to_the_vertical_fields_in_place(live, browser):
    base, _app, _world = live
    page = browser.new_context().new_page()
    login(page, base, "edu")
    page.goto(f"{base}/systems/new")
    page.fill("input[name=name]", "省级垂管业务系统")
    assert page.locator("input[name=approving_unit]").count() == 1
    page.select_option("select[name=kind]", "vertical")
    page.wait_for_selector("input[name=approving_unit]", state="detached")
    assert page.input_value("input[name=name]") == "省级垂管业务系统"
    page.check("input[name=networks][value=extranet]")
    page.click("button:has-text('保存')")
    page.wait_for_selector("#system-status")
    assert "垂管系统" in page.inner_text("main") and "审批单位" not in page.inner_text("main")


def test_auditor_verifies_the_chain_and_switches_language(live, browser):
    base, _app, _world = live
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    login(page, base, "auditor")
    page.click("nav >> text=审计日志")
    page.wait_for_url(f"{base}/audit")
    page.click("button:has-text('校验哈希链')")
    page.wait_for_selector("#verify-result")
    assert "哈希链完整" in page.inner_text("#verify-result")
    page.select_option("select[name=entity_type]", "user")
    page.wait_for_url(re.compile(r"entity_type=user"))
    expect(page.locator("#audit-table")).not_to_contain_text("信息系统")
    page.screenshot(path="/tmp/yz-audit.png", full_page=True)
    page.click("button:has-text('English')")
    page.wait_for_selector("html[lang=en]")
    assert "Audit log" in page.inner_text("nav") and "Verify hash chain" in page.inner_text("main")
