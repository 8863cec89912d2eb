"""Pure rules of private networks: the state machine as a transition table and the dates its steps carry.
No database, no HTTP."""
from __future__ import annotations

from datetime import date

from control.networks.enums import OUTCOMES, NetworkState

S = NetworkState

# (from, action) → to. in_use → connected → migrating → withdrawn / merged / converted.
TRANSITIONS: dict[tuple[NetworkState, str], NetworkState] = {
    (S.in_use, "connect"): S.connected,
    (S.connected, "migrate"): S.migrating,
    (S.migrating, "withdraw"): S.withdrawn,
    (S.migrating, "merge"): S.merged,
    (S.migrating, "convert"): S.converted,
}
ACTIONS = tuple(dict.fromkeys(action for _, action in TRANSITIONS))
# The column holding the date of the step an action records.
DATE_FIELD = {"connect": "connected_on", "migrate": "migrating_on", "withdraw": "outcome_on",
              "merge": "outcome_on", "convert": "outcome_on"}
# The actions ending a network's life: each needs a note saying what became of it.
OUTCOME_ACTIONS = tuple(a for (_, a), to in TRANSITIONS.items() if to in OUTCOMES)
ACTION_NAMES = {"connect": "联通", "migrate": "开始迁移", "withdraw": "撤销", "merge": "合并", "convert": "改造"}


def next_state(current: NetworkState, action: str) -> NetworkState | None:
    return TRANSITIONS.get((current, action))


def transition_error(current: NetworkState, action: str) -> str | None:
    """None when `action` is allowed in `current`, else the zh-CN reason it is refused."""
    if (current, action) in TRANSITIONS:
        return None
    name = ACTION_NAMES.get(action, action)
    allowed = [ACTION_NAMES[a] for (c, a) in TRANSITIONS if c == current]
    if not allowed:
        return f"专网已处于“{current.zh}”状态，不能再{name}"
    return f"专网当前为“{current.zh}”，只能{'或'.join(allowed)}，不能{name}"


def allowed_actions(current: NetworkState) -> list[str]:
    return [a for (c, a) in TRANSITIONS if c == current]


def step_problems(action: str, on: date, note: str, today: date, previous: date | None) -> list[tuple[str, str]]:
    """[(field, zh-CN message)] of a step's date and note: a step is recorded when it has happened (not in
    the future), not before the step before it, and an outcome says what became of the network."""
    problems = []
    if on > today:
        problems.append(("on", f"日期 {on} 晚于今天（{today}）：只登记已发生的步骤"))
    if previous is not None and on < previous:
        problems.append(("on", f"日期 {on} 早于上一步骤的日期 {previous}"))
    if action in OUTCOME_ACTIONS and not note.strip():
        problems.append(("note", f"{ACTION_NAMES[action]}专网须填写说明（去向、依据）"))
    return problems


def previous_date(connected_on: date | None, migrating_on: date | None, action: str) -> date | None:
    """The date of the step before the one `action` records."""
    if action == "connect":
        return None
    if action == "migrate":
        return connected_on
    return migrating_on or connected_on
