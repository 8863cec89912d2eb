"""The information-system inventory: one row per system with every census field (附件2/附件3)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Index, Numeric, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import enum_column
from control.systems.enums import (
    ClassifiedGrade,
    ReachMethod,
    SharingDirection,
    SharingMethod,
    SystemKind,
    SystemStatus,
    UsageFrequency,
)


def _money() -> Column:
    return Column(Numeric(14, 4), nullable=True)


class InformationSystem(SQLModel, table=True):
    __tablename__ = "information_system"
    __table_args__ = (
        # A department has one live system of a name: the key a census re-import matches on.
        Index("uq_system_department_name_live", "department_id", "name", unique=True,
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
        # Counts a status filter (alone or with a subtree) from the index only: the list's total.
        Index("ix_system_live_status", "status", "department_id",
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
        # The live systems of each department, read from the index alone (the migration board's joins).
        Index("ix_system_live_department", "department_id", "id",
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    department_id: int = Field(foreign_key="department.id", index=True)
    kind: SystemKind = Field(default=SystemKind.self_built, sa_type=enum_column(SystemKind))
    status: SystemStatus = Field(default=SystemStatus.registered, index=True, sa_type=enum_column(SystemStatus))

    # 一、基本情况
    name: str = Field(index=True, max_length=200)
    function_description: str | None = None
    information_resources: str | None = None

    # 网络环境
    # JSONB on PostgreSQL (migration 0012), so the network filter is a containment its GIN index answers.
    networks: list[str] = Field(default_factory=list,
                                sa_column=Column(JSON().with_variant(JSONB(), "postgresql"), nullable=False))
    is_classified: bool = Field(default=False, index=True)
    protection_level: int | None = Field(default=None, index=True)  # 等级保护 1–5, non-classified only
    classified_grade: ClassifiedGrade | None = Field(default=None, sa_type=enum_column(ClassifiedGrade))
    secrecy_clause: str | None = None
    can_reach_external: bool | None = None
    reach_method: ReachMethod | None = Field(default=None, sa_type=enum_column(ReachMethod))
    reach_method_other: str | None = None
    no_reach_reason: str | None = None
    access_address: str | None = Field(default=None, max_length=500)
    site_consolidation: bool | None = None

    # 使用情况
    use_scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    use_scope_names: str | None = None
    user_count: int | None = None
    user_count_varies: bool = False
    usage_frequency: UsageFrequency | None = Field(default=None, index=True, sa_type=enum_column(UsageFrequency))
    responsible_name: str | None = Field(default=None, max_length=100)
    responsible_title: str | None = Field(default=None, max_length=100)
    responsible_phone: str | None = Field(default=None, max_length=200)
    other_notes: str | None = None

    # 二、建设运维情况
    approving_unit: str | None = Field(default=None, max_length=200)
    approval_date: date | None = None
    builder: str | None = Field(default=None, max_length=200)
    build_date: date | None = None
    warranty_years: Decimal | None = Field(default=None, sa_column=Column(Numeric(6, 2), nullable=True))
    build_cost: Decimal | None = Field(default=None, sa_column=_money())  # 万元
    build_funding_source: str | None = Field(default=None, max_length=200)
    om_cost_yearly: Decimal | None = Field(default=None, sa_column=_money())  # 万元 per year
    om_funding_source: str | None = Field(default=None, max_length=200)
    om_vendors: str | None = Field(default=None, max_length=500)

    # Not on the census form: the system that has taken over this one's function (zombie criterion 2).
    replaced_by_id: int | None = Field(default=None, foreign_key="information_system.id")

    # 四、五: other matters, technical support contact
    additional_notes: str | None = None
    tech_support_contact: str | None = Field(default=None, max_length=500)

    created_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SystemSharing(SQLModel, table=True):
    """One line of the three sharing tables (三、信息资源共享交换情况)."""
    __tablename__ = "system_sharing"
    id: int | None = Field(default=None, primary_key=True)
    system_id: int = Field(foreign_key="information_system.id", index=True)
    direction: SharingDirection = Field(sa_type=enum_column(SharingDirection))
    resource_name: str = Field(max_length=200)
    counterpart: str | None = Field(default=None, max_length=200)  # the other department
    method: SharingMethod | None = Field(default=None, sa_type=enum_column(SharingMethod))
    method_note: str | None = Field(default=None, max_length=200)
