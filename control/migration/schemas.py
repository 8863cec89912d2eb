"""What the migration plan API accepts and returns."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from control.automation.enums import ChangeKind, ChangeStatus
from control.core.params import CalendarDate, Id
from control.core.runs import RunStatus
from control.core.stages import SlaState
from control.core.textsafe import CleanLine, CleanText
from control.migration.enums import ExceptionReason, ExceptionStatus, PlanKind, PlanStatus, SystemState, Target
from control.networks.enums import NetworkState


class SystemIn(BaseModel):
    system_id: Id
    target_date: CalendarDate


class _Responsibility(BaseModel):
    """责任领导, 责任处室, 联络员: the same on both kinds of plan."""
    leader_name: CleanLine = Field(min_length=1, max_length=100)
    leader_title: CleanLine = Field(min_length=1, max_length=100)
    leader_phone: CleanLine = Field(min_length=3, max_length=100)
    office: CleanLine = Field(min_length=1, max_length=200)
    liaison_name: CleanLine = Field(min_length=1, max_length=100)
    liaison_phone: CleanLine = Field(min_length=3, max_length=100)


class PlanIn(_Responsibility):
    kind: PlanKind
    department_id: Id
    name: CleanLine = Field(min_length=1, max_length=200)
    content: CleanText = Field(default="", max_length=10000)
    target: Target | None = None
    completion_date: CalendarDate
    connect_by: CalendarDate | None = None
    migrate_by: CalendarDate | None = None
    network_ids: list[Id] = Field(default=[], max_length=500)
    systems: list[SystemIn] = Field(default=[], max_length=2000)


class PlanUpdate(BaseModel):
    """Only the fields sent change."""
    model_config = ConfigDict(extra="forbid")
    name: CleanLine = Field(default=None, min_length=1, max_length=200)
    content: CleanText = Field(default=None, max_length=10000)
    target: Target | None = None
    completion_date: CalendarDate = None
    connect_by: CalendarDate | None = None
    migrate_by: CalendarDate | None = None
    leader_name: CleanLine = Field(default=None, min_length=1, max_length=100)
    leader_title: CleanLine = Field(default=None, min_length=1, max_length=100)
    leader_phone: CleanLine = Field(default=None, min_length=3, max_length=100)
    office: CleanLine = Field(default=None, min_length=1, max_length=200)
    liaison_name: CleanLine = Field(default=None, min_length=1, max_length=100)
    liaison_phone: CleanLine = Field(default=None, min_length=3, max_length=100)
    network_ids: list[Id] = Field(default=None, max_length=500)
    systems: list[SystemIn] = Field(default=None, max_length=2000)


class ActionIn(BaseModel):
    """The body of POST /migration-plans/{id}/{action}: a comment; a technical step (connect, migrate,
    withdraw, complete) also takes the evidence it was done and the actual date (today when left out)."""
    comment: CleanText = Field(default="", max_length=2000)
    evidence: CleanText = Field(default="", max_length=2000)
    on: CalendarDate | None = None


class SystemActionIn(BaseModel):
    """A step of one system of a cloud plan: start, finish, pause."""
    note: CleanText = Field(default="", max_length=2000)
    on: CalendarDate | None = None   # the actual date; today when left out


class Interface(BaseModel):
    name: CleanLine = Field(min_length=1, max_length=200)
    evidence: CleanText = Field(min_length=1, max_length=2000)


class ExceptionIn(BaseModel):
    reason: ExceptionReason
    justification: CleanText = Field(min_length=1, max_length=5000)


class ExceptionDecisionIn(BaseModel):
    """The Bureau's decision; approving needs the interfaces to open and the later target date."""
    approve: bool
    comment: CleanText = Field(default="", max_length=2000)
    interfaces: list[Interface] = Field(default=[], max_length=100)
    later_target_date: CalendarDate | None = None


class ExceptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    reason: ExceptionReason
    justification: str
    status: ExceptionStatus
    interfaces: list[dict]
    later_target_date: date | None
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None


class PlanSystemOut(BaseModel):
    id: int
    system_id: int
    system_name: str
    system_code: str
    target_date: date
    planned_date: date
    state: SystemState
    started_date: date | None
    migrated_date: date | None
    note: str | None
    days_behind: int
    exception: ExceptionOut | None = None


class PlanNetworkOut(BaseModel):
    network_id: int
    name: str
    state: NetworkState
    fiscal_funded: bool
    funding_stop: bool     # 第十条: fiscal, not migrated, past the plan's completion date


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class StageOut(BaseModel):
    """One stage of the plan's procedure as the shared stage engine keeps it. `id` is what a change carrying
    out the open connect / migrate / withdraw stage names as its plan_step_id."""
    model_config = ConfigDict(from_attributes=True)
    id: int
    stage: str
    name: str
    start_date: date
    working_days: int | None
    due_date: date | None
    planned_date: date | None
    done_date: date | None
    outcome: str | None
    actor: str | None
    comment: str | None
    active: bool
    sla_state: SlaState
    sla_working_days: int
    behind_days: int


class PlanSummary(BaseModel):
    id: int
    number: str
    kind: PlanKind
    department_id: int
    department_name: str
    name: str
    target: Target | None
    completion_date: date
    status: PlanStatus
    stage_name: str | None = None
    due_date: date | None = None        # the open stage's working-day deadline
    planned_date: date | None = None    # the open stage's planned date
    days_behind: int
    updated_at: datetime


class PlanChangeOut(BaseModel):
    """An automation change serving one of the plan's connect / migrate / withdraw steps, with its latest run."""
    id: int
    title: str
    kind: ChangeKind
    status: ChangeStatus
    plan_step_id: int
    stage: str                          # the step's name
    run_id: int | None
    run_status: RunStatus | None


class PlanOut(PlanSummary):
    content: str
    connect_by: date | None
    migrate_by: date | None
    reviewer_department_id: int | None
    leader_name: str
    leader_title: str
    leader_phone: str
    office: str
    liaison_name: str
    liaison_phone: str
    created_by: str
    submitted_by: str | None
    created_at: datetime
    system_count: int
    networks: list[PlanNetworkOut]
    systems: list[PlanSystemOut]
    documents: list[DocumentOut]
    stages: list[StageOut]
    actions: list[str]
    changes: list[PlanChangeOut]        # the automation changes serving its steps that the reader may see


class PlanList(BaseModel):
    items: list[PlanSummary]
    total: int
    limit: int
    offset: int


class BoardRow(BaseModel):
    """One line of the progress board: a department with everything under it, a region, a level or the total.
    `migrated` = withdrawn + merged + converted; `migration_rate` = migrated / networks (null with none)."""
    key: str
    name: str
    department_id: int | None
    level: str | None
    networks: int
    in_use: int
    connected: int
    migrating: int
    withdrawn: int
    merged: int
    converted: int
    migrated: int
    migration_rate: float | None
    systems: int
    systems_migrated: int
    systems_exception: int
    plans: int
    on_plan: int
    behind_plan: int
    funding_stop: int


class FundingStopOut(BaseModel):
    network_id: int
    network_name: str
    state: NetworkState
    department_id: int
    department_name: str
    plan_id: int
    plan_number: str
    plan_name: str
    completion_date: date
    days_stopped: int


class BoardOut(BaseModel):
    date: date
    department_id: int | None
    total: BoardRow
    departments: list[BoardRow]       # one page, in department-tree order
    departments_total: int
    limit: int
    offset: int
    regions: list[BoardRow]           # one page of `limit`, by region code
    regions_total: int
    region_offset: int
    levels: list[BoardRow]
    funding_stop: list[FundingStopOut]      # one page of `limit`, the longest stopped first
    funding_stop_total: int
    funding_offset: int
