"""The shared stage rules (control/core/stages.py) and the policy shape of procedures: transition tables
and their 409 reasons, review-level plans, working-day deadlines across holidays and make-up days, SLA
states, and planned dates ("behind plan by N days")."""
from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from control.core.calendar import WorkingCalendar, YearArrangement
from control.core.enums import LabeledEnum
from control.core.policy import CloudRequestPolicy, ProcedurePolicy, ReviewLevel, Stage, load_policy
from control.core.stages import (
    Schedule,
    SlaState,
    Transitions,
    behind_days,
    deadline,
    review_plan,
    review_stage,
    schedule,
    sla,
    stage_kind,
    worst_behind,
)
from tests.calendar_samples import ARRANGEMENT_2027

CAL = WorkingCalendar({2027: YearArrangement.from_mapping(ARRANGEMENT_2027)})   # 2027 as published
CAL_2026 = WorkingCalendar()                                                      # the library only: 2027 unknown


class State(LabeledEnum):
    draft = ("draft", "草稿", "Draft")
    review = ("review", "审核中", "Under review")
    done = ("done", "已完成", "Done")


FLOW = Transitions({(State.draft, "submit"): State.review, (State.review, "approve"): State.done,
                    (State.review, "return"): State.draft},
                   {"submit": "提交", "approve": "通过", "return": "退回修改"}, noun="计划")


# --- transition tables ----------------------------------------------------------------------------

def test_a_transition_table_moves_and_lists_what_is_open():
    assert FLOW.next(State.draft, "submit") is State.review
    assert FLOW.allowed(State.review) == ["approve", "return"]
    assert FLOW.actions == ["approve", "return", "submit"]
    assert FLOW.error(State.review, "approve") is None


def test_a_refused_transition_says_why_and_what_is_allowed():
    assert FLOW.error(State.draft, "approve") == "计划当前为“草稿”，不能“通过”；可执行：提交"
    assert FLOW.error(State.done, "return") == "计划当前为“已完成”，已无可执行的操作，不能“退回修改”"
    assert FLOW.error(State.draft, "fly") == "计划当前为“草稿”，不能“fly”；可执行：提交"
    with pytest.raises(KeyError):
        FLOW.next(State.done, "approve")


def test_cloud_requests_keep_their_reasons():
    from control.cloud.enums import RequestStatus
    from control.cloud.rules import transition_error
    assert transition_error(RequestStatus.draft, "approve") == "申请当前为“草稿”，不能“通过”；可执行：提交、撤销"
    assert transition_error(RequestStatus.rejected, "submit") == "申请当前为“已驳回”，已无可执行的操作，不能“提交”"


# --- review levels --------------------------------------------------------------------------------

LEVELS = [ReviewLevel(key="department_head", name="本单位负责人审核", reviewer="own_department", working_days=3),
          ReviewLevel(key="superior_office", name="上级主管部门审核", reviewer="parent_department", working_days=3)]


def test_review_plan_names_the_department_of_each_level():
    assert review_plan(LEVELS, 7, 2) == [
        {"key": "department_head", "name": "本单位负责人审核", "department_id": 7, "working_days": 3, "own": True},
        {"key": "superior_office", "name": "上级主管部门审核", "department_id": 2, "working_days": 3, "own": False}]


def test_a_top_level_department_skips_the_parent_level():
    assert [level["key"] for level in review_plan(LEVELS, 1, None)] == ["department_head"]
    assert review_plan([], 7, 2) == []


def test_review_levels_collapse_into_one_kind():
    assert review_stage("department_head") == "review:department_head"
    assert stage_kind("review:department_head") == "review" and stage_kind("acceptance") == "acceptance"


# --- working-day deadlines ----------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "days", "due"), [
    (date(2027, 9, 30), 5, date(2027, 10, 13)),   # National Day 10-01..07; Saturday 10-09 is a make-up day
    (date(2027, 9, 24), 1, date(2027, 9, 26)),    # Sunday 09-26 is a make-up working day
    (date(2027, 2, 5), 1, date(2027, 2, 14)),     # Spring Festival 02-06..13, then Sunday 02-14 is worked
    (date(2026, 12, 31), 1, date(2027, 1, 4)),    # across the year: New Year 01-01..03
    (date(2027, 3, 1), 0, date(2027, 3, 1)),      # zero days: due the day it starts
])
def test_deadlines_count_working_days_across_holidays_and_make_up_days(start, days, due):
    assert deadline(CAL, start, days) == (due, None)


def test_a_deadline_in_an_unknown_year_is_an_error_on_the_stage_not_raised():
    due, error = deadline(CAL_2026, date(2026, 12, 31), 1)
    assert due is None and "2027" in error
    assert deadline(CAL, date(2027, 3, 1), None) == (None, None)


# --- SLA states ---------------------------------------------------------------------------------------

DUE = date(2027, 10, 13)


@pytest.mark.parametrize(("today", "done", "state", "n"), [
    (date(2027, 9, 30), None, SlaState.on_time, 0),       # five working days left
    (date(2027, 10, 12), None, SlaState.due_soon, 0),     # one left (the margin)
    (date(2027, 10, 13), None, SlaState.due_soon, 0),     # the due day itself
    (date(2027, 10, 15), None, SlaState.overdue, 2),      # 14th and 15th
    (date(2027, 10, 18), None, SlaState.overdue, 3),      # the weekend does not count
    (date(2027, 10, 20), date(2027, 10, 13), SlaState.done_on_time, 0),
    (date(2027, 10, 20), date(2027, 10, 14), SlaState.done_late, 1),
])
def test_sla_states(today, done, state, n):
    assert sla(CAL, DUE, today, done, 1, None) == (state, n)


def test_sla_without_a_deadline():
    assert sla(CAL, None, DUE, None, 1, None) == (SlaState.no_deadline, 0)
    assert sla(CAL, None, DUE, None, 1, "2028 年节假日安排未知") == (SlaState.calendar_unknown, 0)
    assert sla(CAL_2026, date(2027, 1, 4), date(2026, 12, 1), None, 1, None) == (SlaState.calendar_unknown, 0)


# --- planned dates ------------------------------------------------------------------------------------

PLANNED = date(2027, 6, 30)


@pytest.mark.parametrize(("actual", "today", "days", "state"), [
    (None, date(2027, 6, 1), 0, Schedule.on_plan),
    (None, date(2027, 6, 30), 0, Schedule.on_plan),          # on the planned day: not yet behind
    (None, date(2027, 7, 1), 1, Schedule.behind_plan),
    (None, date(2027, 10, 8), 100, Schedule.behind_plan),     # calendar days: holidays count
    (date(2027, 6, 29), date(2027, 8, 1), 0, Schedule.done_on_plan),
    (date(2027, 7, 3), date(2027, 8, 1), 3, Schedule.done_late),
])
def test_behind_plan_counts_calendar_days_past_the_planned_date(actual, today, days, state):
    assert behind_days(PLANNED, actual, today) == days
    assert schedule(PLANNED, actual, today) is state


def test_no_planned_date_is_never_behind():
    assert behind_days(None, None, date(2030, 1, 1)) == 0
    assert schedule(None, None, date(2030, 1, 1)) is Schedule.no_plan


def test_an_item_is_as_far_behind_as_its_latest_open_part():
    today = date(2027, 7, 10)
    parts = [(date(2027, 7, 1), None), (date(2027, 6, 20), date(2027, 7, 9)), (date(2027, 7, 5), None),
             (None, None)]
    assert worst_behind(parts, today) == 9            # the finished part no longer counts
    assert worst_behind([(date(2027, 8, 1), None)], today) == 0
    assert worst_behind([], today) == 0


# --- policy shape --------------------------------------------------------------------------------------

def test_a_stage_has_working_days_or_a_planned_date_never_both():
    assert Stage(name="审核", working_days=3).planned_date is False
    assert Stage(name="联通", planned_date=True).working_days is None
    for bad in ({"name": "联通"}, {"name": "联通", "working_days": 3, "planned_date": True}):
        with pytest.raises(ValidationError):
            Stage(**bad)


def test_another_procedure_declares_its_levels_and_stages_in_the_same_shape():
    plans = ProcedurePolicy.model_validate({
        "review_levels": [{"key": "department_head", "name": "本单位负责人审核", "reviewer": "own_department",
                           "working_days": 3}],
        "stages": {"approval": {"name": "审批", "working_days": 5},
                   "connect": {"name": "联通", "planned_date": True}}})
    assert plans.stage("connect").planned_date and plans.stage("approval").working_days == 5


def test_cloud_request_policy_requires_the_stages_its_code_runs():
    stages = {"acceptance": {"name": "受理审批", "working_days": 5}, "assessment": {"name": "评估", "working_days": 5}}
    with pytest.raises(ValidationError, match="delivery"):
        CloudRequestPolicy.model_validate({"stages": stages})


def test_the_default_policy_lists_its_procedures_by_subject():
    policy = load_policy()
    assert policy.procedures()["cloud_request"] is policy.cloud_requests
    assert policy.due_soon_margins()["cloud_request"] == 1
