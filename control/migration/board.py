"""The migration progress board (第十二条 reporting): per department with its subtree rolled in, per region and
per level, and the list of fiscal private networks whose O&M funding stops. A few GROUP BY queries count each
department's own rows; the roll-up up the department tree is done in memory over the (small) department
table, so the whole province costs the same handful of queries whatever its size."""
from __future__ import annotations

from datetime import date
from io import BytesIO

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import case, func, select
from sqlmodel import Session

from control.core import scope
from control.core.accounts import LEVEL_ORDER, Department
from control.core.auth import Actor
from control.core.clock import today
from control.core.roles import Role
from control.migration import rules, schedule
from control.migration.enums import PlanKind, PlanStatus, SystemState
from control.migration.models import MigrationPlan, PlanNetwork, PlanSystem
from control.migration.service import funding_stop_condition
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


def departments_with_counts(session: Session, path: str | None, day: date) -> tuple[list[list], np.ndarray]:
    """The departments of the subtree (all of them without a path) in tree order, as the columns id, name,
    path, level, region and parent_id, and each one's own figures (not yet rolled up), a row per department
    in the same order. One statement: four GROUP BY sub-selects, each read from a covering index, joined to
    the department table, so the rows come back in the array's order. As four queries placed by id into
    the array, their round trips, results and placement took 7 of a 23 ms board (PostgreSQL, 2,000
    departments)."""

    def tally(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    late = tally(schedule.behind(day))
    counts = [
        (select(PrivateNetwork.department_id.label("department_id"), func.count(),
                *(tally(PrivateNetwork.state == s) for s in NetworkState))
         .where(*_within(PrivateNetwork.department_id, path)).group_by(PrivateNetwork.department_id),
         NETWORK_FIGURES),
        # Systems count under their own department, as the systems list's department, region and level
        # filters do: each plan row holds its system's department, NULL once deleted (migration 0026's
        # triggers), so this reads one table; cancelled plans' rows are left out by id, not by a join.
        (select(PlanSystem.department_id.label("department_id"), func.count(),
                tally(PlanSystem.state == SystemState.migrated),
                tally(PlanSystem.state == SystemState.exception))
         .where(PlanSystem.department_id.is_not(None), PlanSystem.plan_id.not_in(
             select(MigrationPlan.id).where(MigrationPlan.status == PlanStatus.cancelled)),
                *_within(PlanSystem.department_id, path))
         .group_by(PlanSystem.department_id), SYSTEM_FIGURES),
        # Behind plan is the stored late_from (control/migration/schedule.py).
        (select(MigrationPlan.department_id.label("department_id"), func.count(),
                func.count() - late, late)
         .where(MigrationPlan.status != PlanStatus.cancelled, *_within(MigrationPlan.department_id, path))
         .group_by(MigrationPlan.department_id), PLAN_FIGURES[:-1]),
        # The funding stop, a correlated EXISTS over the plan's networks, over the plans past their date only.
        (select(MigrationPlan.department_id.label("department_id"), func.count())
         .where(funding_stop_condition(day), *_within(MigrationPlan.department_id, path))
         .group_by(MigrationPlan.department_id), PLAN_FIGURES[-1:]),
    ]
    described = (Department.id, Department.name, Department.path, Department.level, Department.region,
                 Department.parent_id)
    stmt = select(*described).where(*_within(Department.id, path)).order_by(Department.path)
    order = []
    for k, (grouped, names) in enumerate(counts):
        sub = grouped.subquery(f"own_{k}")
        stmt = stmt.outerjoin(sub, sub.c.department_id == Department.id).add_columns(
            *(func.coalesce(column, 0) for column in list(sub.c)[1:]))
        order += [INDEX[name] for name in names]
    rows = session.connection().execute(stmt).all()
    mine = np.zeros((len(rows), len(FIGURES)), dtype=np.int64)
    if rows:
        mine[:, order] = np.array([row[len(described):] for row in rows], dtype=np.int64)
    return [[row[k] for row in rows] for k in range(len(described))], mine


DEPARTMENT_PAGE = 50


def board(session: Session, actor: Actor, department_id: int | None = None, limit: int = DEPARTMENT_PAGE,
          offset: int = 0, region_offset: int = 0, funding_offset: int = 0) -> dict:
    """The board the actor may see: a department user its own subtree, everyone else the province (or the
    chosen department's subtree). Department rows hold the department and everything under it, which is
    what the plan and network lists' department filter counts; region and level rows add departments' own
    figures, so nothing is counted twice. The roll-up adds each tree level into its parents at once, the
    deepest first: a handful of array additions whatever the number of departments. Department rows come
    a page at a time (`limit` / `offset`, in department-tree order, `departments_total` of them in all):
    the roll-ups need every department, the page builds only the rows it shows. Region rows are paged the
    same way (`region_offset`, `regions_total`): a province's hundreds of region codes made the whole board
    a 370 KB response, most of it regions no one reads at once."""
    day = today()
    path = scope.subtree_path(session, actor, department_id)
    (ids, names, paths, level_values, regions, parents), mine = departments_with_counts(session, path, day)
    at = {d: i for i, d in enumerate(ids)}
    subtree = mine.copy()
    depth = np.array([p.count("/") for p in paths], dtype=np.intp)
    parent = np.array([at.get(p, -1) for p in parents], dtype=np.intp)
    for level in sorted(set(depth.tolist()), reverse=True):
        children = np.nonzero((depth == level) & (parent >= 0))[0]
        np.add.at(subtree, parent[children], subtree[children])
    by_region = _grouped([r or "" for r in regions], mine)
    by_level = _grouped(level_values, mine)
    with_figures = np.nonzero(subtree.any(axis=1))[0]
    shown = with_figures[offset:offset + limit].tolist()
    rows = subtree[shown].tolist()
    region_rows = [(k, c) for k, c in by_region.items() if any(c)]
    stops, stops_total = funding_stop_list(session, path, day, limit, funding_offset)
    return {"date": day, "department_id": department_id, "departments_total": len(with_figures),
            "limit": limit, "offset": offset,
            "total": _row("total", "合计", mine.sum(axis=0).tolist()),
            "departments": [_row(f"department:{ids[i]}", names[i], counts, ids[i], level_values[i])
                            for i, counts in zip(shown, rows, strict=True)],
            "regions": [_row(f"region:{k}", k, c) for k, c in region_rows[region_offset:region_offset + limit]],
            "regions_total": len(region_rows), "region_offset": region_offset,
            "levels": [_row(f"level:{lv.value}", lv.zh, by_level[lv.value], level=lv.value)
                       for lv in LEVEL_ORDER if any(by_level.get(lv.value, ()))],
            "funding_stop": stops, "funding_stop_total": stops_total, "funding_offset": funding_offset}


def funding_stop_list(session: Session, path: str | None, day: date, limit: int | None = None, offset: int = 0
                      ) -> tuple[list[dict], int]:
    """第十条: fiscal networks not migrated by their plan's completion date, the longest stopped first: the
    rows from `offset` (`limit` of them, all without one) and how many there are in all."""
    matching = (select(PrivateNetwork.id, PrivateNetwork.name, PrivateNetwork.state, Department.id, Department.name,
                       MigrationPlan.id, MigrationPlan.number, MigrationPlan.name, MigrationPlan.completion_date,
                       func.count().over())
                .join(PlanNetwork, PlanNetwork.network_id == PrivateNetwork.id)
                .join(MigrationPlan, MigrationPlan.id == PlanNetwork.plan_id)
                .join(Department, Department.id == PrivateNetwork.department_id)
                .where(MigrationPlan.kind == PlanKind.private_network, MigrationPlan.status != PlanStatus.cancelled,
                       MigrationPlan.completion_date < day, PrivateNetwork.fiscal_funded.is_(True),
                       PrivateNetwork.state.not_in(OUTCOMES), *_within(PrivateNetwork.department_id, path)))
    conn = session.connection()
    rows = conn.execute(matching.order_by(MigrationPlan.completion_date, PrivateNetwork.id)
                        .limit(limit).offset(offset)).all()
    total = rows[0][9] if rows else conn.execute(
        select(func.count()).select_from(matching.subquery())).scalar_one() if offset else 0
    return [{"network_id": r[0], "network_name": r[1], "state": NetworkState(r[2]).value, "department_id": r[3],
             "department_name": r[4], "plan_id": r[5], "plan_number": r[6], "plan_name": r[7],
             "completion_date": r[8], "days_stopped": (day - r[8]).days} for r in rows], total


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
    for r in funding_stop_list(session, scope.subtree_path(session, actor, department_id), today())[0]:
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
                    case((schedule.behind(day), "behind_plan"), else_="on_plan").label("schedule")).subquery()
    plans = {(PlanKind(k).value, PlanStatus(s).value, sched): n for k, s, sched, n in session.execute(
        select(judged.c.kind, judged.c.status, judged.c.schedule, func.count())
        .group_by(judged.c.kind, judged.c.status, judged.c.schedule))}
    systems = {SystemState(s).value: n for s, n in session.execute(
        select(PlanSystem.state, func.count()).join(MigrationPlan, MigrationPlan.id == PlanSystem.plan_id)
        .where(MigrationPlan.status != PlanStatus.cancelled).group_by(PlanSystem.state))}
    return plans, systems
