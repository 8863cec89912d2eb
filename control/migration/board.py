"""The migration progress board (第十二条 reporting): per department with its subtree rolled in, per region and
per level, and the list of fiscal private networks whose O&M funding stops. A few GROUP BY queries count each
department's own rows; the roll-up up the department tree is done in memory over the (small) department
table, so the whole province costs the same handful of queries whatever its size."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import case, func, select
from sqlmodel import Session

from control.core import scope
from control.core.accounts import LEVEL_ORDER, Department
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


@dataclass
class Row:
    """One line of the board: a department (its own rows and those under it), a region or a level."""
    key: str
    name: str
    department_id: int | None = None
    level: str | None = None
    counts: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        c = self.counts
        return {"key": self.key, "name": self.name, "department_id": self.department_id, "level": self.level,
                **{f: c[f] for f in FIGURES}, "migrated": migrated(c), "migration_rate": rate(c)}


def migrated(c: Counter) -> int:
    """Networks migrated: withdrawn, merged or converted (撤 / 并 / 改)."""
    return sum(c[s.value] for s in OUTCOMES)


def rate(c: Counter) -> float | None:
    """The network migration rate: migrated networks over all networks (None with no networks)."""
    return round(migrated(c) / c["networks"], 4) if c["networks"] else None


def _root(session: Session, actor: Actor, department_id: int | None) -> str | None:
    """The path the board covers: the chosen department (inside the actor's scope) or the actor's scope."""
    if department_id is not None:
        return scope.visible_department(session, actor, department_id).path
    return actor.scope_path


def _within(column, path: str | None) -> list:
    return [] if path is None else [scope.in_subtree(column, path)]


def own_counts(session: Session, path: str | None, day: date) -> dict[int, Counter]:
    """Each department's own figures (not yet rolled up), four GROUP BY queries."""
    own: dict[int, Counter] = defaultdict(Counter)
    for dept, state, n in session.execute(
            select(PrivateNetwork.department_id, PrivateNetwork.state, func.count())
            .where(*_within(PrivateNetwork.department_id, path))
            .group_by(PrivateNetwork.department_id, PrivateNetwork.state)):
        own[dept]["networks"] += n
        own[dept][NetworkState(state).value] += n
    live = MigrationPlan.status != PlanStatus.cancelled
    system_figure = {SystemState.migrated: "systems_migrated", SystemState.exception: "systems_exception"}
    for dept, state, n in session.execute(
            select(MigrationPlan.department_id, PlanSystem.state, func.count())
            .join(MigrationPlan, MigrationPlan.id == PlanSystem.plan_id)
            .where(live, *_within(MigrationPlan.department_id, path))
            .group_by(MigrationPlan.department_id, PlanSystem.state)):
        own[dept]["systems"] += n
        if SystemState(state) in system_figure:
            own[dept][system_figure[SystemState(state)]] += n
    behind = func.sum(case((behind_condition(day), 1), else_=0))
    stopped = func.sum(case((funding_stop_condition(day), 1), else_=0))
    for dept, n, late, stop in session.execute(
            select(MigrationPlan.department_id, func.count(), behind, stopped)
            .where(live, *_within(MigrationPlan.department_id, path)).group_by(MigrationPlan.department_id)):
        own[dept].update({"plans": n, "behind_plan": int(late or 0), "on_plan": n - int(late or 0),
                          "funding_stop": int(stop or 0)})
    return own


def board(session: Session, actor: Actor, department_id: int | None = None) -> dict:
    """The board the actor may see: a department user its own subtree, everyone else the province (or the
    chosen department's subtree). Department rows hold the department and everything under it, which is
    what the plan and network lists' department filter counts; region and level rows add departments' own
    figures, so nothing is counted twice."""
    day = today()
    path = _root(session, actor, department_id)
    own = own_counts(session, path, day)
    depts = session.execute(select(Department.id, Department.name, Department.path, Department.level,
                                   Department.region).where(*_within(Department.id, path))
                            .order_by(Department.path)).all()
    rows = {d.id: Row(f"department:{d.id}", d.name, d.id, d.level.value) for d in depts}
    regions: dict[str, Row] = {}
    levels: dict[str, Row] = {}
    total = Row("total", "合计")
    for d in depts:
        counts = own.get(d.id)
        if not counts:
            continue
        total.counts.update(counts)
        regions.setdefault(d.region or "", Row(f"region:{d.region or ''}", d.region or "")).counts.update(counts)
        levels.setdefault(d.level.value, Row(f"level:{d.level.value}", d.level.zh, level=d.level.value)
                          ).counts.update(counts)
        for ancestor in (int(i) for i in d.path.strip("/").split("/") if i):
            if ancestor in rows:
                rows[ancestor].counts.update(counts)
    return {"date": day, "department_id": department_id,
            "total": total.as_dict(),
            "departments": [r.as_dict() for r in rows.values() if r.counts],
            "regions": [regions[k].as_dict() for k in sorted(regions)],
            "levels": [levels[lv.value].as_dict() for lv in LEVEL_ORDER if lv.value in levels],
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
    for r in funding_stop_list(session, _root(session, actor, department_id), today()):
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
