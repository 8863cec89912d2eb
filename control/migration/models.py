"""Migration plans of both kinds, the systems a cloud plan moves, in-house exceptions and the versioned
technical plan documents."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import enum_column
from control.migration.enums import ExceptionReason, ExceptionStatus, PlanKind, PlanStatus, SystemState, Target


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class MigrationPlan(SQLModel, table=True):
    """One plan (article 11 or 31). A department names its plans; the name is the key a workbook
    re-import matches on, so it is unique per department and kind."""
    __tablename__ = "migration_plan"
    __table_args__ = (UniqueConstraint("department_id", "kind", "name", name="uq_migration_plan_name"),
                      Index("ix_migration_plan_kind_status", "kind", "status"),
                      # The board's plan figures per department, from this index alone.
                      Index("ix_migration_plan_board", "department_id", "status", "late_from", "kind",
                            "completion_date"))
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=32)
    kind: PlanKind = Field(sa_type=enum_column(PlanKind))
    department_id: int = Field(foreign_key="department.id", index=True)
    name: str = Field(max_length=200)
    content: str = ""
    target: Target | None = Field(default=None, sa_type=enum_column(Target))   # private-network plans
    completion_date: date
    connect_by: date | None = None          # private-network plans: planned dates of connect and migrate
    migrate_by: date | None = None
    leader_name: str = Field(max_length=100)
    leader_title: str = Field(max_length=100)
    leader_phone: str = Field(max_length=100)
    office: str = Field(max_length=200)
    liaison_name: str = Field(max_length=100)
    liaison_phone: str = Field(max_length=100)
    status: PlanStatus = Field(default=PlanStatus.draft, index=True, sa_type=enum_column(PlanStatus))
    # The review levels that apply, fixed at submission: [{key, name, department_id, working_days, own}].
    review_plan: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    review_index: int = 0
    # The department whose designated reviewer signs the current level ("awaiting my review").
    reviewer_department_id: int | None = Field(default=None, index=True)
    created_by: str = Field(max_length=64)
    submitted_by: str | None = Field(default=None, max_length=64)
    # The earliest planned date of what is still open: behind plan on any later day (control/migration/schedule.py).
    late_from: date | None = None
    created_at: datetime = Field(default_factory=now, sa_column=_ts())
    updated_at: datetime = Field(default_factory=now, sa_column=_ts())


class PlanNetwork(SQLModel, table=True):
    """A private network in a private-network plan's scope (the network record lives in control/networks)."""
    __tablename__ = "migration_plan_network"
    __table_args__ = (UniqueConstraint("plan_id", "network_id", name="uq_migration_plan_network"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="migration_plan.id", index=True)
    network_id: int = Field(foreign_key="private_network.id", index=True)


class PlanSystem(SQLModel, table=True):
    """A system in a cloud plan's scope with its own target date and state."""
    __tablename__ = "migration_plan_system"
    __table_args__ = (UniqueConstraint("plan_id", "system_id", name="uq_migration_plan_system"),
                      Index("ix_migration_plan_system_board", "system_id", "plan_id", "state"),  # a system's rows
                      # The board counts systems by state under each system's department from this one.
                      Index("ix_migration_plan_system_department", "department_id", "state", "plan_id"))
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="migration_plan.id", index=True)
    system_id: int = Field(foreign_key="information_system.id")
    target_date: date
    # The date the schedule is judged by: the target date, or an approved exception's later one.
    planned_date: date = Field(index=True)
    state: SystemState = Field(default=SystemState.pending, index=True, sa_type=enum_column(SystemState))
    started_date: date | None = None
    migrated_date: date | None = None
    note: str | None = Field(default=None, max_length=2000)
    # The department the system is under now, NULL once it is deleted: written by the database's triggers
    # (migration 0026) on every insert, system change, move and deletion, never by the application.
    department_id: int | None = None


class PlanException(SQLModel, table=True):
    """A department's request that one system of a cloud plan stay in-house (第三十一条), and the Bureau's
    decision. An approved exception records the data-sharing interfaces the system must open
    ([{name, evidence}]) and the later target date of its gradual migration."""
    __tablename__ = "migration_exception"
    id: int | None = Field(default=None, primary_key=True)
    plan_system_id: int = Field(foreign_key="migration_plan_system.id", index=True)
    reason: ExceptionReason = Field(sa_type=enum_column(ExceptionReason))
    justification: str
    status: ExceptionStatus = Field(default=ExceptionStatus.requested, index=True,
                                    sa_type=enum_column(ExceptionStatus))
    interfaces: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    later_target_date: date | None = None
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(default_factory=now, sa_column=_ts())
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    decision_comment: str | None = None


class PlanDocument(SQLModel, table=True):
    """One version of a plan's technical plan document (技术方案), kept in the database so replicas share it;
    a new upload is a new version, the old ones stay."""
    __tablename__ = "migration_plan_document"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_migration_plan_document_version"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="migration_plan.id", index=True)
    version: int
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = Field(default_factory=now, sa_column=_ts())
