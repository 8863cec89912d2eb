"""In headless Chromium: a run's page shows its events as they happen (htmx polls "events after N") and stops
polling once the run has ended."""
from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from control.core import runs
from tests.integration.conftest import login

pytestmark = pytest.mark.browser


def test_run_page_shows_events_live(live, browser):
    base, app, world = live
    gate = threading.Event()

    def gated(ctx: runs.RunContext) -> dict:
        ctx.emit({"event": "playbook_on_task_start", "task": "准备目录"})
        ctx.emit({"event": "runner_on_ok", "host": "10.20.0.11", "task": "准备目录", "changed": True,
                  "stdout": "changed: [10.20.0.11]"})
        gate.wait(60)
        ctx.emit({"event": "playbook_on_stats", "stdout": "PLAY RECAP 10.20.0.11 ok=1 changed=1"})
        return {"changed": 1}

    runs.register("test_gated", gated)
    run = runs.enqueue(world.session, "test_gated", "apply", department_id=world.depts["edu"].id)
    page = browser.new_page()
    login(page, base, "edu")
    page.goto(f"{base}/runs/{run.id}")
    expect(page.locator("#run-status")).to_have_text("排队中")
    pool = runs.WorkerPool(app.state.engine, 1).start()
    try:
        expect(page.locator("#run-events li")).to_have_count(2, timeout=30_000)
        expect(page.locator("#run-status")).to_have_text("运行中")
        expect(page.locator("#run-events")).to_contain_text("changed: [10.20.0.11]")
        gate.set()
        expect(page.locator("#run-status")).to_have_text("成功", timeout=30_000)
        expect(page.locator("#run-events li")).to_have_count(3)
        expect(page.locator("#run-events li").last).to_contain_text("运行汇总")
        expect(page.locator("#run-poller")).to_have_attribute("data-finished", "true")
    finally:
        gate.set()
        pool.stop()
    page.click("text=自动化运行")
    expect(page.locator("#runs")).to_contain_text(f"#{run.id}")
