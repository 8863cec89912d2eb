"""In headless Chromium (issue 12, point 3): an admin resets a user's password on the users page; the user
signs in with the temporary one, is held on the change-password page, sets their own and reaches home."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.integration.conftest import login

pytestmark = pytest.mark.browser

NEW = "my-own-Passw0rd"


def test_temporary_password_must_be_changed_at_login(live, browser):
    base, _app, world = live
    world.users["edu"].display_name = "张敏"
    world.session.add(world.users["edu"])
    world.session.commit()

    admin = browser.new_context().new_page()
    login(admin, base, "admin")
    admin.goto(f"{base}/users")
    row = admin.locator("tr[data-username='edu']")
    row.get_by_role("button", name="重置密码").click()
    expect(admin.locator("#confirm-dialog")).to_contain_text("下次登录须修改临时密码")   # the reset asks first
    admin.click("#confirm-ok")
    temporary = admin.locator("#temporary-password code").inner_text().strip()
    assert len(temporary) >= 12
    expect(admin.locator("tr[data-username='edu']")).to_contain_text("待修改临时密码")

    page = browser.new_context().new_page()
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill("edu")
    page.get_by_label("密码").fill(temporary)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/me/password?next=/")
    expect(page.locator("#password-why")).to_contain_text("临时密码")
    page.goto(f"{base}/systems")                               # nothing else opens meanwhile
    page.wait_for_url(f"{base}/me/password?next=/systems")

    page.get_by_label("当前密码").fill(temporary)
    page.get_by_label("新密码（至少 8 位）").fill(NEW)
    page.get_by_label("再次输入新密码").fill(NEW + "x")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.get_by_role("alert").first).to_contain_text("两次输入的新密码不一致")

    page.get_by_label("当前密码").fill(temporary)
    page.get_by_label("新密码（至少 8 位）").fill(NEW)
    page.get_by_label("再次输入新密码").fill(NEW)
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(f"{base}/systems")
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="首页")).to_be_visible()
    expect(page.locator("#who")).to_contain_text("张敏")
    expect(page.locator("#who")).to_contain_text("示范县教育局")
