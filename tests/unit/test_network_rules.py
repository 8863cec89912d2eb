"""The private-network state machine and the dates and notes its steps carry (pure rules)."""
from __future__ import annotations

from datetime import date

import pytest

from control.networks import rules
from control.networks.enums import OUTCOMES, NetworkState

S = NetworkState


def test_the_chain_and_its_three_outcomes():
    state = S.in_use
    for action, expected in (("connect", S.connected), ("migrate", S.migrating)):
        assert rules.transition_error(state, action) is None
        state = rules.next_state(state, action)
        assert state == expected
    assert rules.allowed_actions(state) == ["withdraw", "merge", "convert"]
    assert {rules.next_state(state, a) for a in rules.allowed_actions(state)} == set(OUTCOMES)
    assert rules.OUTCOME_ACTIONS == ("withdraw", "merge", "convert")
    for outcome in OUTCOMES:
        assert rules.allowed_actions(outcome) == []


@pytest.mark.parametrize(("state", "action", "words"), [
    (S.in_use, "migrate", "专网当前为“在用”，只能联通，不能开始迁移"),
    (S.in_use, "withdraw", "只能联通，不能撤销"),
    (S.connected, "merge", "专网当前为“已联通”，只能开始迁移，不能合并"),
    (S.migrating, "connect", "只能撤销或合并或改造，不能联通"),
    (S.merged, "convert", "专网已处于“已合并”状态，不能再改造"),
])
def test_refused_steps_say_why(state, action, words):
    assert rules.next_state(state, action) is None
    assert words in rules.transition_error(state, action)


def test_every_state_is_reachable_and_every_action_has_a_name_and_a_date():
    reached = {S.in_use} | set(rules.TRANSITIONS.values())
    assert reached == set(S)
    assert set(rules.ACTIONS) == set(rules.ACTION_NAMES) == set(rules.DATE_FIELD)


def test_step_dates_and_notes():
    today = date(2026, 6, 1)
    assert rules.step_problems("connect", today, "", today, None) == []
    assert rules.step_problems("connect", date(2026, 6, 2), "", today, None)[0][0] == "on"
    assert rules.step_problems("migrate", date(2026, 3, 1), "", today, date(2026, 3, 2))[0][0] == "on"
    assert rules.step_problems("migrate", date(2026, 3, 2), "", today, date(2026, 3, 2)) == []
    assert [f for f, _ in rules.step_problems("merge", today, "  ", today, None)] == ["note"]
    assert rules.step_problems("merge", today, "并入外网", today, None) == []


def test_previous_date_of_each_step():
    c, m = date(2026, 1, 5), date(2026, 2, 5)
    assert rules.previous_date(c, m, "connect") is None
    assert rules.previous_date(c, None, "migrate") == c
    assert rules.previous_date(c, m, "withdraw") == m
