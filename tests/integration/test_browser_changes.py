"""In headless Chromium, against emulated switches: the operator checks a device change on its page and sees it
become checked with each device's commands and expected diff; the approve button is disabled for them with the
reason; the bureau approves through the confirm dialog; the operator applies and watches the devices reach
"saved" and the change succeed, without reloading the page by hand."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from control.automation import kinds
from tests.fakeswitches import Switches
from tests.integration.changes_helpers import join_variables, set_secrets
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def test_check_approve_apply_on_the_change_page(live, browser, tmp_path, monkeypatch):
    base, app, world = live
    set_secrets(monkeypatch, tmp_path)
    with Switches(2, tmp_path / "switches", prefix="bs") as switches:
        api = httpx.Client(base_url=base, headers=world.headers("infocenter"), timeout=30)
        ids = []
        for name in ("bs01", "bs02"):
            r = api.post("/api/v1/devices", json={
                "name": name, "host": "127.0.0.1", "port": switches.ports[name], "device_type": "cisco_ios",
                "department_id": world.depts["edu"].id, "username": "netops", "password_ref": "secret:sw-pass",
                "enable_secret_ref": "secret:sw-enable"})
            ids.append(r.json()["id"])
        change = api.post("/api/v1/changes", json={"kind": "device", "template": "join_extranet",
                                                   "variables": join_variables(350), "device_ids": ids}).json()
        pool = kinds.start_workers(app.state.engine, 2)
        try:
            operator = browser.new_page()
            login(operator, base, "infocenter")
            operator.goto(f"{base}/changes/{change['id']}")
            operator.click("#check-change")
            expect(operator.locator("#change-status")).to_have_text("已检查", timeout=60_000)
            expect(operator.locator("#target-0 .diff-add").first).to_contain_text("+vlan 350")
            expect(operator.locator("#approve-change")).to_be_disabled()
            expect(operator.locator("#approve-refusal")).to_contain_text("不得审批自己的事项")
            approver = browser.new_context().new_page()
            login(approver, base, "bureau")
            approver.goto(f"{base}/changes/{change['id']}")
            expect(approver.locator("#target-1 pre.commands").first).to_contain_text("vlan 350")
            approver.click("#approve-change")
            approver.click("#confirm-ok")
            expect(approver.locator(".flash")).to_have_text("已批准变更")
            operator.reload()
            operator.click("#apply-change")
            operator.click("#confirm-ok")
            expect(operator.locator("#change-status")).to_have_text("已成功", timeout=90_000)
            expect(operator.locator('#targets tr[data-target="bs02"] .badge')).to_have_text("已保存")
            expect(operator.locator("#run-events")).to_contain_text("write memory")
        finally:
            pool.stop()
