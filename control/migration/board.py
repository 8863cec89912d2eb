"""The migration progress board (第十二条 reporting): per department with its subtree rolled in, per region and
per level, and the list of fiscal private networks whose O&M funding stops. A few GROUP BY queries count each
department's own rows; the roll-up up the department tree is done in memory over the (small) department
table, so the whole province costs the same handful of queries whatever its size."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from io import BytesIO

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import case, func, select
from sqlmodel import Session

from control.core import scope
from control.core.accounts import LEVEL_ORDER, Department, Level
from control.core.auth import Actor
from control.core.clock import today
from control.core.roles import Role
from control.migration import rules
from control.migration.enums import PlanKind, PlanStatus, SystemState
from control.migration.models import MigrationPlan, PlanNetwork, PlanSystem
from control.migration.service import behind_condition, funding_stop_condition
from control.networks.enums import OUTCOMES, NetworkState
from control.networks.models import PrivateNetwork

# The figures of one board row, in the order the page shows them.
NETWORK_FIGURES = ("networks", *(s.value for s in NetworkState))
SYSTEM_FIGURES = ("systems", "systems_migrated", "systems_exception")
PLAN_FIGURES = ("plans", "on_plan", "behind_plan", "funding_stop")
FIGURES = (*NETWORK_FIGURES, *SYSTEM_FIGURES, *PLAN_FIGURES)
# Who may export the funding-stop list: the auditor and, with no finance role in the system, the Bureau.
EXPORT_ROLES = (Role.auditor, Role.bureau)


INDEX = {f: i for i, f in enumerate(FIGURES)}
OUTCOME_INDEXES = [INDEX[s.value] for s in OUTCOMES]


def _row(key: str, name: str, counts: list[int], department_id: int | None = None,
         level: str | None = None) -> dict:
    """One line of the board: a department (its own rows and those under it), a region, a level or the total.
    Networks migrated are those withdrawn, merged or converted (撤 / 并 / 改)."""
    moved = sum(counts[i] for i in OUTCOME_INDEXES)
    networks = counts[INDEX["networks"]]
    return {"key": key, "name": name, "department_id": department_id, "level": level,
            **dict(zip(FIGURES, counts, strict=True)), "migrated": moved,
            "migration_rate": round(moved / networks, 4) if networks else None}


def _grouped(keys: list[str], counts: np.ndarray) -> dict[str, list[int]]:
    """The rows of `counts` added up by key."""
    names = sorted(set(keys))
    at = {k: i for i, k in enumerate(names)}
    out = np.zeros((len(names), len(FIGURES)), dtype=np.int64)
    np.add.at(out, np.array([at[k] for k in keys], dtype=np.intp), counts)
    return dict(zip(names, out.tolist(), strict=True))


def _within(column, path: str | None) -> list:
    return [] if path is None else [scope.in_subtree(column, path)]


def own_counts(session: Session, path: str | None, day: date) -> dict[int, list[int]]:
    """Each department's own figures (not yet rolled up): three GROUP BY queries, one row per department."""
    own: dict[int, list[int]] = defaultdict(lambda: [0] * len(FIGURES))

    def put(rows, figures: tuple[str, ...]) -> None:
        at = [INDEX[f] for f in figures]
        for dept, *values in rows:
            counts = own[dept]
            for i, n in zip(at, values, strict=True):
                counts[i] = int(n or 0)

    def tally(column, value):
        return func.sum(case((column == value, 1), else_=0))

    put(session.execute(select(PrivateNetwork.department_id, func.count(),
                               *(tally(PrivateNetwork.state, s) for s in NetworkState))
                        .where(*_within(PrivateNetwork.department_id, path))
                        .group_by(PrivateNetwork.department_id)), NETWORK_FIGURES)
    live = MigrationPlan.status != PlanStatus.cancelled
    put(session.execute(select(MigrationPlan.department_id, func.count(),
                               tally(PlanSystem.state, SystemState.migrated),
                               tally(PlanSystem.state, SystemState.exception))
                        .join(MigrationPlan, MigrationPlan.id == PlanSystem.plan_id)
                        .where(live, *_within(MigrationPlan.department_id, path))
                        .group_by(MigrationPlan.department_id)), SYSTEM_FIGURES)
    # Each plan judged once in a sub-select, then counted: the judgement holds correlated sub-queries.
    judged = select(MigrationPlan.department_id, case((behind_condition(day), 1), else_=0).label("late"),
                    case((funding_stop_condition(day), 1), else_=0).label("stop")) \
        .where(live, *_within(MigrationPlan.department_id, path)).subquery()
    late = func.sum(judged.c.late)
    put(session.execute(select(judged.c.department_id, func.count(), func.count() - late, late,
                               func.sum(judged.c.stop)).group_by(judged.c.department_id)), PLAN_FIGURES)
    return own


def board(session: Session, actor: Actor, department_id: int | None = None) -> dict:
    """The board the actor may see: a department user its own subtree, everyone else the province (or the
    chosen department's subtree). Department rows hold the department and everything under it, which is
    what the plan and network lists' department filter counts; region and level rows add departments' own
    figures, so nothing is counted twice. The roll-up adds each tree level into its parents at once, the
    deepest first: a handful of array additions whatever the number of departments."""
    day = today()
    path = scope.subtree_path(session, actor, department_id)
    own = own_counts(session, path, day)
    depts = session.execute(select(Department.id, Department.name, Department.path, Department.level,
                                   Department.region, Department.parent_id)
                            .where(*_within(Department.id, path)).order_by(Department.path)).all()
    at = {d.id: i for i, d in enumerate(depts)}
    mine = np.zeros((len(depts), len(FIGURES)), dtype=np.int64)
    for dept, counts in own.items():
        if dept in at:
            mine[at[dept]] = counts
    subtree = mine.copy()
    depth = np.array([d.path.count("/") for d in depts], dtype=np.intp)
    parent = np.array([at.get(d.parent_id, -1) for d in depts], dtype=np.intp)
    for level in sorted(set(depth.tolist()), reverse=True):
        children = np.nonzero((depth == level) & (parent >= 0))[0]
        np.add.at(subtree, parent[children], subtree[children])
    levels = [Level(d.level) for d in depts]
    by_region = _grouped([d.region or "" for d in depts], mine)
    by_level = _grouped([lv.value for lv in levels], mine)
    shown = np.nonzero(subtree.any(axis=1))[0].tolist()
    rows = subtree[shown].tolist()
    return {"date": day, "department_id": department_id,
            "total": _row("total", "合计", mine.sum(axis=0).tolist()),
            "departments": [_row(f"department:{depts[i].id}", depts[i].name, counts, depts[i].id, levels[i].value)
                            for i, counts in zip(shown, rows, strict=True)],
            "regions": [_row(f"region:{k}", k, c) for k, c in by_region.items() if any(c)],
            "levels": [_row(f"level:{lv.value}", lv.zh, by_level[lv.value], level=lv.value)
                       for lv in LEVEL_ORDER if any(by_level.get(lv.value, ()))],
            "funding_stop": funding_stop_list(session, path, day)}


def funding_stop_list(session: Session, path: str | None, day: date) -> list[dict]:
    """第十条: fiscal networks not migrated by their plan's completion date, the longest stopped first."""
    rows = session.execute(
        select(PrivateNetwork.id, PrivateNetwork.name, PrivateNetwork.state, Department.id, Department.name,
               MigrationPlan.id, MigrationPlan.number, MigrationPlan.name, MigrationPlan.completion_date)
        .join(PlanNetwork, PlanNetwork.network_id == PrivateNetwork.id)
        .join(MigrationPlan, MigrationPlan.id == PlanNetwork.plan_id)
        .join(Department, Department.id == PrivateNetwork.department_id)
        .where(MigrationPlan.kind == PlanKind.private_network, MigrationPlan.status != PlanStatus.cancelled,
               MigrationPlan.completion_date < day, PrivateNetwork.fiscal_funded.is_(True),
               PrivateNetwork.state.not_in(OUTCOMES), *_within(PrivateNetwork.department_id, path))
        .order_by(MigrationPlan.completion_date, PrivateNetwork.id)).all()
    return [{"network_id": r[0], "network_name": r[1], "state": NetworkState(r[2]).value, "department_id": r[3],
             "department_name": r[4], "plan_id": r[5], "plan_number": r[6], "plan_name": r[7],
             "completion_date": r[8], "days_stopped": (day - r[8]).days} for r in rows]


EXPORT_HEADERS = ("部门", "业务专网", "专网状态", "迁移计划编号", "迁移计划名称", "计划完成时限", "停止运维经费天数")


def funding_stop_workbook(session: Session, actor: Actor, department_id: int | None = None) -> bytes:
    """The funding-stop list as a workbook with zh-CN headers, for the auditor and the Bureau."""
    actor.require(*EXPORT_ROLES)
    wb = Workbook()
    ws = wb.active
    ws.title = "停止运维经费清单"
    ws.append(EXPORT_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in funding_stop_list(session, scope.subtree_path(session, actor, department_id), today()):
        ws.append([r["department_name"], r["network_name"], NetworkState(r["state"]).zh, r["plan_number"],
                   r["plan_name"], r["completion_date"].isoformat(), r["days_stopped"]])
    for col, width in zip("ABCDEFG", (24, 28, 10, 20, 30, 14, 16), strict=True):
        ws.column_dimensions[col].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


SCHEDULES = ("on_plan", "behind_plan")


def kind_stages(kind: PlanKind) -> list[PlanStatus]:
    """The stages a plan of `kind` can be at, in PlanStatus order (what /metrics initialises to 0)."""
    table = rules.PROCEDURES[kind].table
    reached = {s for s, _ in table} | set(table.values())
    return [s for s in PlanStatus if s in reached]


def metric_counts(session: Session, day: date) -> tuple[dict[tuple[str, str, str], int], dict[str, int]]:
    """Plans by (kind, stage, schedule) and the systems of live cloud plans by state, for /metrics."""
    # Grouped over a sub-select: PostgreSQL will not match a GROUP BY expression holding bound parameters.
    judged = select(MigrationPlan.kind, MigrationPlan.status,
                    case((behind_condition(day), "behind_plan"), else_="on_plan").label("schedule")).subquery()
    plans = {(PlanKind(k).value, PlanStatus(s).value, sched): n for k, s, sched, n in session.execute(
        select(judged.c.kind, judged.c.status, judged.c.schedule, func.count())
        .group_by(judged.c.kind, judged.c.status, judged.c.schedule))}
    systems = {SystemState(s).value: n for s, n in session.execute(
        select(PlanSystem.state, func.count()).join(MigrationPlan, MigrationPlan.id == PlanSystem.plan_id)
        .where(MigrationPlan.status != PlanStatus.cancelled).group_by(PlanSystem.state))}
    return plans, systems
