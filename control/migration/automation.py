"""A step of a private-network plan carried out by an automation change (issue 15 point 8). A change created
with `plan_step_id` (the id of the plan's open connect / migrate / withdraw stage) serves that step: whoever
creates it must be someone who may tick the step off; when the change succeeds the step is ticked off as by
hand (control/migration/service.act: the networks move, the next stage opens) by the change's author, with
the change and its runs as evidence. A step the plan has left meanwhile is left alone, and said so.

Registered with control/automation/links.py at start (control/wiring.py): automation calls these two functions
and imports nothing of migration; migration reads the changes through automation's service."""
from __future__ import annotations

from sqlmodel import Session

from control.automation import service as automation
from control.automation.links import Done, Link, Served, author
from control.core import workflow
from control.core.auth import Actor
from control.core.calendar import CalendarProvider
from control.core.errors import Conflict, NotFound
from control.core.policy import load_policy
from control.core.workflow import WorkflowStage
from control.migration import rules, service
from control.migration.enums import PlanKind
from control.migration.models import MigrationPlan
from control.migration.schemas import ActionIn
from control.settings import get_settings

STEPS = ("connect", "migrate", "withdraw")      # the technical steps a change can carry out


def open_step(session: Session, actor: Actor, step_id: int) -> tuple[MigrationPlan, WorkflowStage]:
    """The plan (in the actor's scope) and its stage `step_id`, which must be the plan's open connect /
    migrate / withdraw stage, and the actor someone who may tick it off (403 otherwise)."""
    stage = session.get(WorkflowStage, step_id)
    if stage is None or stage.subject != rules.SUBJECT:
        raise NotFound(f"迁移计划步骤 {step_id} 不存在")
    plan = service.get_plan(session, actor, stage.subject_id)
    if (plan.kind != PlanKind.private_network or stage.stage not in STEPS or not stage.active
            or plan.status.value != stage.stage):
        raise Conflict(f"计划 {plan.number} 的“{stage.name}”环节不在进行中，不能由自动化变更执行",
                       code="step_not_open")
    service.check_actor(session, actor, plan, stage.stage)
    return plan, stage


def serve(session: Session, actor: Actor, step_id: int) -> Served:
    plan, stage = open_step(session, actor, step_id)
    return Served(label=f"计划 {plan.number} 的“{stage.name}”环节", url=f"/plans/{plan.id}")


def describe(session: Session, step_id: int) -> Served | None:
    stage = session.get(WorkflowStage, step_id)
    plan = session.get(MigrationPlan, stage.subject_id) if stage and stage.subject == rules.SUBJECT else None
    if plan is None:
        return None
    return Served(label=f"计划 {plan.number} 的“{stage.name}”环节", url=f"/plans/{plan.id}")


def step_succeeded(session: Session, step_id: int, done: Done) -> str:
    """Tick the step off as its change's author, with the change and its runs as evidence."""
    actor = author(session, done)
    plan, stage = open_step(session, actor, step_id)
    runs = "、".join(f"#{i}" for i in done.run_ids)
    evidence = f"自动化变更 #{done.change_id} 执行成功（运行 {runs}）"
    service.act(session, actor, procedure(session), plan.id, stage.stage,
                ActionIn(comment="由自动化变更完成", evidence=evidence))
    return f"计划 {plan.number} 的“{stage.name}”环节已完成"


def procedure(session: Session) -> workflow.Procedure:
    """The plans' procedure outside a request (a worker has no app state): policy and calendar as configured."""
    policy = load_policy(get_settings().policy_file or None)
    return workflow.Procedure(subject=rules.SUBJECT, calendar=CalendarProvider(policy.calendar_arrangements())
                              .get(session), policy=policy.migration_plans)


def plan_changes(session: Session, actor: Actor, stages: list[WorkflowStage]) -> list[dict]:
    """The changes serving the plan's technical stages that the reader may see, newest first, each with its
    stage's name and its runs (for the plan page)."""
    found = []
    for stage in stages:
        if stage.stage not in STEPS:
            continue
        for change in automation.list_changes(session, actor, plan_step_id=stage.id, limit=100)[0]:
            found.append({"change": change, "stage": stage.name,
                          "runs": automation.list_runs(session, actor, change_id=change.id, limit=100)[0]})
    return sorted(found, key=lambda c: c["change"].id, reverse=True)


def plan_change_rows(session: Session, actor: Actor, stages: list[WorkflowStage]) -> list[dict]:
    """The same changes as the API lists them on the plan: each with its step and its latest run."""
    rows = []
    for item in plan_changes(session, actor, stages):
        change, latest = item["change"], (item["runs"] or [None])[0]
        rows.append({"id": change.id, "title": change.title, "kind": change.kind, "status": change.status,
                     "plan_step_id": change.plan_step_id, "stage": item["stage"],
                     "run_id": latest.id if latest else None, "run_status": latest.status if latest else None})
    return rows


LINK = Link(field="plan_step_id", serve=serve, succeeded=step_succeeded, describe=describe)
