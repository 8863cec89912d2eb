"""Pure rules of migration plans: both procedures' transition tables and their 409 reasons, the planned date
of each stage, the per-system machine, kind and date checks, and the O&M funding stop (第十条)."""
from __future__ import annotations

from datetime import date

import pytest

from control.migration import rules
from control.migration.enums import PlanKind, PlanStatus, SystemState, Target

P, K = PlanStatus, PlanKind


def walk(kind: PlanKind, actions: list[str]) -> PlanStatus:
    status = P.draft
    for action in actions:
        assert rules.transition_error(kind, status, action) is None, (status, action)
        status = rules.next_status(kind, status, action)
    return status


def test_private_network_procedure_runs_to_completed():
    assert walk(K.private_network, ["submit", "approve", "approve", "connect", "migrate", "withdraw"]) == P.completed


def test_cloud_procedure_runs_to_completed():
    assert walk(K.cloud, ["submit", "approve", "approve", "complete"]) == P.completed


@pytest.mark.parametrize("kind, status, action", [
    (K.cloud, P.migration, "connect"),          # a cloud plan has no network steps
    (K.private_network, P.connect, "complete"),
    (K.private_network, P.connect, "migrate"),  # connect first
    (K.private_network, P.draft, "approve"),
    (K.cloud, P.completed, "cancel"),
    (K.cloud, P.migration, "return"),           # once approved, a plan is carried out, not returned
])
def test_refused_transitions_say_why(kind, status, action):
    reason = rules.transition_error(kind, status, action)
    assert reason and status.zh in reason and "计划" in reason


def test_every_action_has_a_label():
    for procedure in rules.PROCEDURES.values():
        assert set(procedure.actions) <= set(rules.ACTION_LABELS)


def test_stage_planned_dates():
    end = date(2026, 12, 31)
    assert rules.stage_planned_date(P.connect, date(2026, 6, 1), None, end) == date(2026, 6, 1)
    assert rules.stage_planned_date(P.migrate, date(2026, 6, 1), None, end) == end      # no date given: the end
    assert rules.stage_planned_date(P.withdraw, None, None, end) == end
    assert rules.stage_planned_date(P.migration, None, None, end) == end
    assert rules.stage_planned_date(P.approval, None, None, end) is None                # working days instead


def test_system_machine():
    assert rules.system_transition_error(SystemState.pending, "start") is None
    assert rules.system_transition_error(SystemState.exception, "start") is None        # gradual migration
    assert "已迁移" in rules.system_transition_error(SystemState.migrated, "start")
    assert rules.system_transition_error(SystemState.pending, "finish")


def test_kind_and_date_checks():
    assert [p[0] for p in rules.plan_errors(K.private_network, None, 1, 0)] == ["target"]
    assert [p[0] for p in rules.plan_errors(K.private_network, Target.intranet, 1, 2)] == ["systems"]
    assert [p[0] for p in rules.plan_errors(K.cloud, Target.intranet, 1, 1)] == ["target", "network_ids"]
    assert rules.plan_errors(K.cloud, None, 0, 3) == []
    end = date(2026, 12, 31)
    assert [p[0] for p in rules.date_order_errors(date(2026, 9, 1), date(2026, 8, 1), end)] == ["migrate_by"]
    assert [p[0] for p in rules.date_order_errors(date(2027, 1, 1), None, end)] == ["connect_by"]
    assert rules.date_order_errors(date(2026, 3, 1), date(2026, 6, 1), end) == []


@pytest.mark.parametrize("fiscal, migrated, today, stops", [
    (True, False, date(2026, 12, 31), False),     # on the completion date itself: not yet
    (True, False, date(2027, 1, 1), True),        # from the day after
    (True, True, date(2027, 1, 1), False),        # withdrawn, merged or converted
    (False, False, date(2027, 1, 1), False),      # not fiscal: no O&M funding to stop
])
def test_funding_stop(fiscal, migrated, today, stops):
    assert rules.funding_stops(fiscal, migrated, date(2026, 12, 31), today) is stops
