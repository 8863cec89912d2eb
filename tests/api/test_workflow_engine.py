"""The shared stage engine's store (control/core/workflow.py) on SQLite and PostgreSQL: deadlines fixed at
stage start, working-day and planned-date stages side by side, the recompute over every subject, queues by
due date, and the authors kept for separation of duties."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import literal, select
from sqlmodel import Session

from control.core import workflow
from control.core.auth import Actor
from control.core.calendar import WorkingCalendar, YearArrangement
from control.core.db import make_engine
from control.core.duties import Step
from control.core.errors import Forbidden
from control.core.policy import ProcedurePolicy, ReviewLevel
from control.core.roles import Role
from control.core.stages import SlaState, review_plan
from tests.calendar_samples import ARRANGEMENT_2027

CAL = WorkingCalendar({2027: YearArrangement.from_mapping(ARRANGEMENT_2027)})
PLANS = ProcedurePolicy.model_validate({
    "stages": {"approval": {"name": "审批", "working_days": 5}, "connect": {"name": "联通", "planned_date": True}},
    "due_soon_working_days": 2, "restart_clock_on_return": False})


@pytest.fixture
def session(db_url):
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def proc(subject: str = "migration_plan", policy: ProcedurePolicy = PLANS) -> workflow.Procedure:
    return workflow.Procedure(subject=subject, calendar=CAL, policy=policy)


def test_stages_of_both_kinds_keep_their_deadlines_and_close_with_actual_dates(session, frozen_clock):
    frozen_clock("2027-09-30 10:00")
    p = proc()
    approval = workflow.start_policy_stage(session, p, 1, "approval")
    connect = workflow.start_policy_stage(session, p, 2, "connect", planned_date=date(2027, 10, 8))
    session.commit()
    assert (approval.due_date, approval.sla_state, approval.planned_date) == (date(2027, 10, 13), SlaState.on_time,
                                                                             None)
    assert (connect.due_date, connect.planned_date, connect.behind_days) == (None, date(2027, 10, 8), 0)
    assert connect.sla_state == SlaState.no_deadline
    assert workflow.working_days_left(p, approval) == 5
    frozen_clock("2027-10-12 10:00")
    workflow.finish(p, connect, "connected", "ic", "已联通", done_date=date(2027, 10, 11))
    workflow.finish(p, approval, "approved", "bureau", "同意")
    session.commit()
    assert (connect.done_date, connect.behind_days, connect.active) == (date(2027, 10, 11), 3, False)
    assert (approval.done_date, approval.sla_state, approval.actor) == (date(2027, 10, 12), SlaState.done_on_time,
                                                                        "bureau")
    assert workflow.active(session, "migration_plan", 1) is None
    assert [s.stage for s in workflow.history(session, "migration_plan", 2)] == ["connect"]


def test_the_recompute_covers_every_subject_with_its_own_margin(session, frozen_clock):
    frozen_clock("2027-09-30 10:00")
    cloud = proc("cloud_request", ProcedurePolicy.model_validate({"stages": {"approval": {"name": "审批",
                                                                                          "working_days": 5}}}))
    for p in (proc(), cloud):
        workflow.start_policy_stage(session, p, 1, "approval")
    workflow.start_policy_stage(session, proc(), 2, "connect", planned_date=date(2027, 10, 8))
    session.commit()
    frozen_clock("2027-10-11 10:00")      # 2 working days left (12th, 13th); October 8th was 3 days ago
    result = workflow.recompute(session, CAL, {"migration_plan": 2, "cloud_request": 1})
    assert result == {"open_stages": 3, "changed": 2}
    rows = {(s.subject, s.stage): s for s in session.execute(select(workflow.WorkflowStage)).scalars()}
    for s in rows.values():
        session.refresh(s)
    assert rows["migration_plan", "approval"].sla_state == SlaState.due_soon
    assert rows["cloud_request", "approval"].sla_state == SlaState.on_time
    assert rows["migration_plan", "connect"].behind_days == 3
    counts, worst = workflow.sla_counts(session, "migration_plan")
    assert counts == {("approval", "due_soon"): 1, ("connect", "no_deadline"): 1} and worst == {}


def test_a_resubmission_keeps_the_clock_when_policy_says_so(session, frozen_clock):
    frozen_clock("2027-09-30 10:00")
    p = proc()
    first = workflow.start_policy_stage(session, p, 1, "approval")
    workflow.finish(p, first, "returned", "bureau", "补充材料")
    session.commit()
    frozen_clock("2027-10-12 10:00")
    kept = workflow.clock_to_keep(session, p, 1, "approval")
    again = workflow.start_policy_stage(session, p, 1, "approval", keep_from=kept)
    assert (again.start_date, again.due_date) == (date(2027, 9, 30), date(2027, 10, 13))
    restart = proc(policy=PLANS.model_copy(update={"restart_clock_on_return": True}))
    assert workflow.clock_to_keep(session, restart, 1, "approval") is None


def test_queues_join_the_open_stage_and_put_the_nearest_deadline_first(session, frozen_clock):
    frozen_clock("2027-09-30 10:00")
    p = proc()
    workflow.start_policy_stage(session, p, 1, "connect", planned_date=date(2027, 10, 20))
    workflow.start_policy_stage(session, p, 2, "approval")                    # due 2027-10-13
    workflow.start_policy_stage(session, p, 3, "connect", planned_date=None)
    workflow.start_policy_stage(session, p, 4, "connect", planned_date=date(2027, 10, 1))
    session.commit()
    stmt = (select(workflow.WorkflowStage.subject_id).where(workflow.WorkflowStage.subject == "migration_plan",
                                                            workflow.WorkflowStage.active)
            .order_by(*workflow.by_due()))
    assert session.execute(stmt).scalars().all() == [2, 4, 1, 3]
    connect = stmt.where(workflow.of_kind("connect"))
    assert session.execute(connect).scalars().all() == [4, 1, 3]


def test_every_author_is_kept_and_none_of_them_decides(session):
    workflow.add_authors(session, "migration_plan", 7, "maker", "maker", None)
    workflow.add_authors(session, "migration_plan", 7, "maker", "resubmitter")
    workflow.add_authors(session, "cloud_request", 7, "other")
    session.commit()
    assert workflow.authors(session, "migration_plan", 7) == {"maker", "resubmitter"}
    step = Step(name="审批", roles=(Role.bureau,))
    for name in ("maker", "resubmitter"):
        actor = Actor(id=None, username=name, role=Role.bureau, department_id=None, scope_path=None)
        with pytest.raises(Forbidden) as refused:
            workflow.check_decision(session, actor, step, "migration_plan", 7)
        assert refused.value.code == "own_item"
    workflow.check_decision(session, Actor(id=None, username="other", role=Role.bureau, department_id=None,
                                           scope_path=None), step, "migration_plan", 7)
    mine = select(literal(1)).where(workflow.authored_by("migration_plan", 7, "resubmitter"))
    assert session.execute(mine).first() is not None
    not_mine = select(literal(1)).where(workflow.not_authored_by("migration_plan", 7, "other"))
    assert session.execute(not_mine).first() is not None


def test_review_levels_open_one_after_the_other_until_the_plan_is_done(session, frozen_clock):
    frozen_clock("2027-09-30 10:00")
    levels = [ReviewLevel(key="department_head", name="本单位负责人审核", reviewer="own_department", working_days=3),
              ReviewLevel(key="superior_office", name="上级主管部门审核", reviewer="parent_department", working_days=2)]
    plan, p = review_plan(levels, 7, 2), proc()
    level = workflow.start_review_level(session, p, 1, plan, 0)
    assert level["department_id"] == 7
    first = workflow.active(session, "migration_plan", 1)
    assert (first.stage, first.name, first.due_date) == ("review:department_head", "本单位负责人审核",
                                                         date(2027, 10, 11))
    workflow.finish(p, first, "approved", "head", "同意")
    assert workflow.start_review_level(session, p, 1, plan, 1)["department_id"] == 2
    workflow.finish(p, workflow.active(session, "migration_plan", 1), "approved", "office", "同意")
    assert workflow.start_review_level(session, p, 1, plan, 2) is None
    session.commit()
    assert [s.stage for s in workflow.history(session, "migration_plan", 1)] == ["review:department_head",
                                                                                 "review:superior_office"]
