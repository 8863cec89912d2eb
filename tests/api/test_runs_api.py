"""Runs through the API, the pages and /metrics: a run executed by a worker, its events after N (bounded), the
live page's poller that stops once the run has ended, the scope (a department sees its subtree's runs only,
bureau none), and the automation metrics."""
from __future__ import annotations

import re

import pytest

from control.core import runs
from control.core.runs import WorkerPool


def two_steps(ctx: runs.RunContext) -> dict:
    ctx.emit({"event": "playbook_on_task_start", "task": "第一步"})
    ctx.emit({"event": "runner_on_ok", "host": "app01", "task": "第一步", "changed": True, "stdout": "ok: [app01]"})
    ctx.emit({"event": "runner_on_failed", "host": "app01", "task": "第二步", "failed": True, "stdout": "boom"})
    raise runs.RunFailed("任务失败", {"rc": 2})


@pytest.fixture
def executed(app, world):
    """A finished (failed) run of the edu department with three events, and a queued one of no department."""
    runs.register("test_steps", two_steps)
    done = runs.enqueue(world.session, "test_steps", "apply", department_id=world.depts["edu"].id)
    assert WorkerPool(app.state.engine, 1).run_next()
    queued = runs.enqueue(world.session, "unhandled_kind", "check")
    return done.id, queued.id


def test_run_and_events_after_n(client, world, executed):
    done, queued = executed
    h = world.headers("ops")
    run = client.get(f"/api/v1/runs/{done}", headers=h).json()
    assert run["status"] == "failed" and run["error"] == "任务失败" and run["result"] == {"rc": 2}
    assert run["duration_seconds"] >= 0 and run["worker_id"]
    events = client.get(f"/api/v1/runs/{done}/events", params={"after": 1}, headers=h).json()
    assert [e["seq"] for e in events["items"]] == [2, 3] and events["last"] == 3 and events["finished"]
    assert events["items"][0] | {"at": None} == {"seq": 2, "at": None, "event": "runner_on_ok", "host": "app01",
                                                 "task": "第一步", "changed": True, "failed": False,
                                                 "stdout": "ok: [app01]"}
    page = client.get(f"/api/v1/runs/{done}/events", params={"after": 0, "limit": 2}, headers=h).json()
    assert [e["seq"] for e in page["items"]] == [1, 2] and page["more"] and not page["finished"]
    assert client.get(f"/api/v1/runs/{done}/events", params={"limit": 501}, headers=h).status_code == 422
    waiting = client.get(f"/api/v1/runs/{queued}/events", headers=h).json()
    assert waiting == {"items": [], "last": 0, "more": False, "finished": False, "status": "queued"}
    listed = client.get("/api/v1/runs", params={"status": "queued"}, headers=h).json()
    assert [r["id"] for r in listed["items"]] == [queued] and listed["total"] == 1
    assert client.get("/api/v1/runs/999999", headers=h).status_code == 404


def test_scope(client, world, executed):
    done, queued = executed
    # the bureau reads runs too: it approves changes after reading their checks
    for user in ("admin", "infocenter", "auditor", "ops", "edu", "countyoffice", "bureau"):
        assert client.get(f"/api/v1/runs/{done}", headers=world.headers(user)).status_code == 200, user
    for user in ("health", "school"):
        assert client.get(f"/api/v1/runs/{done}", headers=world.headers(user)).status_code == 403, user
    assert client.get(f"/api/v1/runs/{queued}", headers=world.headers("edu")).status_code == 403
    assert [r["id"] for r in client.get("/api/v1/runs", headers=world.headers("edu")).json()["items"]] == [done]
    assert client.get("/api/v1/runs", headers=world.headers("health")).json()["total"] == 0


def test_pages_poll_until_the_run_ends(client, world, executed):
    done, queued = executed
    h = world.headers("infocenter")
    listing = client.get("/runs", headers=h).text
    assert f'href="/runs/{done}"' in listing and "失败" in listing and "排队中" in listing and "执行" in listing
    page = client.get(f"/runs/{done}", headers=h).text
    assert "运行成功" not in page and "任务失败" in page and "开始任务" in page and "第二步" in page
    assert 'data-finished="true"' in page and "hx-get" not in page.split('id="run-poller"')[1].split(">")[0]
    waiting = client.get(f"/runs/{queued}", headers=h).text
    assert f'hx-get="/runs/{queued}/events?after=0"' in waiting and 'hx-trigger="every 2s"' in waiting
    fragment = client.get(f"/runs/{done}/events", params={"after": 2}, headers=h).text
    assert 'hx-swap-oob="beforeend:#run-events"' in fragment and 'data-seq="3"' in fragment
    assert 'data-seq="2"' not in fragment and 'data-finished="true"' in fragment
    assert client.get(f"/runs/{done}", headers=world.headers("health")).status_code == 403


def test_metrics(client, world, executed):
    text = client.get("/metrics").text
    assert 'yunzhang_automation_runs_total{kind="playbook",mode="check",status="succeeded"} 0.0' in text
    assert 'yunzhang_automation_runs_total{kind="test_steps",mode="apply",status="failed"} 1.0' in text
    assert "yunzhang_automation_queue_depth 1.0" in text
    assert re.search(r'yunzhang_automation_run_duration_seconds_bucket\{le="\+Inf"\} 1\.0', text)
    assert re.search(r"yunzhang_automation_run_duration_seconds_count 1\.0", text)


def test_the_app_embeds_a_worker_pool(sqlite_url, tmp_path):
    """`yunzhang serve` (create_app's lifespan) runs YUNZHANG_AUTOMATION_WORKERS workers and leaves the worker
    registry when it stops."""
    import time

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select
    from sqlmodel import Session

    from control.app import create_app
    from tests.conftest import make_settings

    runs.register("test_ok", lambda ctx: {"ok": ctx.emit({"event": "message", "stdout": "完成"})})
    app = create_app(make_settings(sqlite_url, tmp_path).model_copy(update={"automation_workers": 2}))
    with TestClient(app), Session(app.state.engine) as session:
        run = runs.enqueue(session, "test_ok", "apply")
        deadline = time.monotonic() + 60
        while session.get(runs.Run, run.id).status != runs.RunStatus.succeeded and time.monotonic() < deadline:
            time.sleep(0.1)
            session.expire_all()
        assert session.get(runs.Run, run.id).result == {"ok": 1}
        assert session.execute(select(func.count()).select_from(runs.RunWorker)).scalar_one() == 1
    with Session(app.state.engine) as session:
        assert session.execute(select(func.count()).select_from(runs.RunWorker)).scalar_one() == 0
