"""In headless Chromium: a department user imports a census workbook with one bad row, sees the error
naming the row, fixes it, imports again and sees the systems."""
from __future__ import annotations

import io

import openpyxl
import pytest

from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def workbook(base, world, bad: bool) -> bytes:
    from fastapi.testclient import TestClient  # noqa: F401  (the template comes from the real endpoint)
    import httpx
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "edu", "password": "Passw0rd!demo"}).json()
    raw = httpx.get(f"{base}/api/v1/systems/template.xlsx",
                    headers={"Authorization": f"Bearer {token['access_token']}"}).content
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    ws = wb["自建系统"]
    cols = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
    rows = [{"部门名称": "示范县教育局", "系统名称": "县教育资源公共服务平台", "运行状态": "正在运行",
             "运行网络": "电子政务外网、互联网", "用户数量": "不固定", "使用频度": "每日", "审批时间": "2017年1月10日"},
            {"部门名称": "示范县教育局", "系统名称": "县校车安全监管系统", "运行状态": "正在运行", "运行网络": "业务专网",
             "用户数量": 35, "使用频度": "每周", "审批时间": "2019年13月1日" if bad else "2019.3.1"}]
    for i, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=i, column=cols[key], value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_department_user_imports_fixes_and_sees_systems(live, browser, tmp_path):
    base, app, world = live
    page = browser.new_page()
    login(page, base, "edu")
    page.click("text=导入普查表")
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    bad.write_bytes(workbook(base, world, bad=True))
    good.write_bytes(workbook(base, world, bad=False))

    page.set_input_files("input[type=file]", str(bad))
    page.click("text=上传并导入")
    page.wait_for_selector("#import-errors")
    table = page.inner_text("table")
    assert "自建系统" in table and "3" in table and "审批时间" in table and "不是存在的日期" in table
    page.screenshot(path="/tmp/yz-import-errors.png", full_page=True)

    page.set_input_files("input[type=file]", str(good))
    page.click("text=上传并导入")
    page.wait_for_selector("#import-result")
    assert "新增 2" in page.inner_text("#import-result")
    page.click("text=查看系统清单")
    page.wait_for_selector("text=县校车安全监管系统")
    assert "县教育资源公共服务平台" in page.inner_text("#systems-table")
    # Filtering updates the table in place.
    page.select_option("select[name=network]", "private")
    page.wait_for_function("!document.querySelector('#systems-table').innerText.includes('县教育资源公共服务平台')")
    assert "县校车安全监管系统" in page.inner_text("#systems-table")
    page.screenshot(path="/tmp/yz-list.png", full_page=True)
    page.click("text=县校车安全监管系统")
    page.wait_for_selector("text=系统编码")
    assert "业务专网" in page.inner_text("main")
    page.screenshot(path="/tmp/yz-system.png", full_page=True)
