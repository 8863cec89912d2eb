"""A private-network plan's step carried out by an automation change: the hooks migration registers with
automation (control/migration/automation.py). Who may serve a step, which steps can be served, and the step
ticked off when the change succeeds (networks moved, evidence naming the change and its runs, audited); a step
the plan has left meanwhile is left alone; the plan's API lists the changes serving its steps."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from control.automation import links
from control.core.clock import today
from control.core.errors import Conflict, Forbidden, NotFound
from control.core.workflow import WorkflowStage
from control.migration import automation as wiring
from tests.api.test_migration_plans import RESPONSIBLE, approve_all, network, post
from tests.integration.changes_helpers import act, add_device, create_change, join_variables


@pytest.fixture
def plan(client, world) -> dict:
    """教育局's private-network plan, approved: its connect stage is open."""
    nets = [network(client, world, "县教育城域网")["id"], network(client, world, "校园视频专网", fiscal=False)["id"]]
    body = {"kind": "private_network", "department_id": world.depts["edu"].id, "name": "教育专网迁移计划",
            "content": "两张专网并入电子政务外网", "target": "extranet_dedicated", "network_ids": nets,
            "completion_date": str(today() + timedelta(days=180)), **RESPONSIBLE}
    created = post(client, world, "edu", "", body).json()
    post(client, world, "edu", f"/{created['id']}/submit")
    approved = approve_all(client, world, created["id"])
    assert approved["status"] == "connect"
    return approved


def open_stage(plan: dict) -> dict:
    stage = plan["stages"][-1]
    assert stage["active"] and stage["stage"] == plan["status"]
    return stage


def test_the_open_step_is_served_by_those_who_may_tick_it(app, client, world, plan):
    step = open_stage(plan)["id"]
    with Session(app.state.engine) as session:
        served = links.serve(session, world.actor("infocenter"), {"plan_step_id": step, "cloud_request_id": None})
        assert served[0].label == f"计划 {plan['number']} 的“联通”环节"
        assert served[0].url == f"/plans/{plan['id']}"
        assert wiring.serve(session, world.actor("edu"), step).label.endswith("“联通”环节")
        with pytest.raises(Forbidden):                     # the Bureau approves plans, it does not tick steps
            wiring.serve(session, world.actor("bureau"), step)
        with pytest.raises(Forbidden, match="不在本单位"):      # another department's plan
            wiring.serve(session, world.actor("health"), step)
        with pytest.raises(NotFound):
            wiring.serve(session, world.actor("infocenter"), 999_999)
        approval = plan["stages"][-2]["id"]                # a closed stage (the Bureau's approval)
        with pytest.raises(Conflict, match="不在进行中"):
            wiring.serve(session, world.actor("infocenter"), approval)


def test_a_succeeded_change_ticks_the_step_off_as_by_hand(app, client, world, plan):
    step = open_stage(plan)["id"]
    with Session(app.state.engine) as session:        # a change made from the CLI has no user to act as
        told = links.succeeded(session, links.Done(change_id=40, author="cli:root", run_ids=[5]),
                               {"plan_step_id": step})
    assert told == ["未能自动完成：变更发起人 cli:root 不是平台的在职用户，请由有权限的人员手工确认"]
    done = links.Done(change_id=41, author="infocenter", run_ids=[7, 9])
    with Session(app.state.engine, expire_on_commit=False) as session:
        messages = links.succeeded(session, done, {"plan_step_id": step})
    assert messages == [f"计划 {plan['number']} 的“联通”环节已完成"]
    got = client.get(f"/api/v1/migration-plans/{plan['id']}", headers=world.headers("auditor")).json()
    assert got["status"] == "migrate"
    connect = next(s for s in got["stages"] if s["id"] == step)
    assert not connect["active"] and connect["actor"] == "infocenter" and connect["done_date"] == str(today())
    assert "自动化变更 #41 执行成功（运行 #7、#9）" in connect["comment"]
    assert {n["state"] for n in got["networks"]} == {"connected"}          # the networks moved as the tick does
    audit = client.get("/api/v1/audit", params={"entity_type": "migration_plan", "entity_id": plan["id"]},
                       headers=world.headers("auditor")).json()["items"]
    assert audit[0]["action"] == "connect" and audit[0]["actor"] == "infocenter"
    # The same change told again (or a step ticked by hand meanwhile): the plan has moved on, nothing is done.
    with Session(app.state.engine) as session:
        again = links.succeeded(session, done, {"plan_step_id": step})
    assert again[0].startswith("未能自动完成：") and "不在进行中" in again[0]
    with Session(app.state.engine) as session:
        assert session.get(WorkflowStage, step).comment == connect["comment"]


def test_the_plan_api_lists_the_changes_serving_its_steps_scoped(client, world, plan):
    """GET /migration-plans/{id} lists the changes serving its steps, each with its latest run; a reader sees
    only the changes of its departments (a change on another department's device is not shown to 教育局)."""
    step = open_stage(plan)["id"]
    mine = add_device(client, world, "plan-sw-edu", 2501)
    core = add_device(client, world, "plan-sw-health", 2502, department="health")
    ours = create_change(client, world, [mine], join_variables(350), plan_step_id=step, title="接入教育专网")
    theirs = create_change(client, world, [core], join_variables(351), plan_step_id=step)
    create_change(client, world, [mine], join_variables(352))                     # serves no plan
    act(client, world, ours["id"], "check")                                       # queued: no worker runs here

    def changes(user):
        r = client.get(f"/api/v1/migration-plans/{plan['id']}", headers=world.headers(user))
        assert r.status_code == 200, r.text
        return r.json()["changes"]

    listed = changes("infocenter")
    assert [c["id"] for c in listed] == [theirs["id"], ours["id"]]
    shown = listed[1]
    run = client.get(f"/api/v1/changes/{ours['id']}", headers=world.headers("infocenter")).json()["run_id"]
    assert shown == {"id": ours["id"], "title": "接入教育专网", "kind": "device", "status": "draft",
                     "plan_step_id": step, "stage": "联通", "run_id": run, "run_status": "queued"}
    assert listed[0]["run_id"] is None and listed[0]["run_status"] is None
    assert [c["id"] for c in changes("edu")] == [ours["id"]]
    assert [c["id"] for c in changes("auditor")] == [theirs["id"], ours["id"]]
