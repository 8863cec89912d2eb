"""Usage metrics (packed per metric, 32-day block and chunk of systems), zombie scans, verdicts and review cases."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Index, LargeBinary, Numeric, SmallInteger
from sqlmodel import Field, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import enum_column
from control.zombies.enums import CaseState, CriterionStatus, VerdictStatus


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class UsageTile(SQLModel, table=True):
    """One metric (index in usage.METRICS) of CHUNK_SYSTEMS consecutive system ids (chunk = system id //
    CHUNK_SYSTEMS) over 32 consecutive days (block = day ordinal // 32): float64, system × day, NaN where
    nothing was recorded (a missing value is never 0). No foreign key: a tile holds many systems."""
    __tablename__ = "usage_tile"
    metric: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    block: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    chunk: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class UsageSummary(SQLModel, table=True):
    """Per system: the span of days observed and the last day with a deployment, kept at ingestion so
    the 365-day maintenance criterion needs no year-long scan."""
    __tablename__ = "usage_summary"
    system_id: int = Field(foreign_key="information_system.id", primary_key=True)
    first_day: date
    last_day: date
    last_deployment_day: date | None = None


class ZombieScan(SQLModel, table=True):
    __tablename__ = "zombie_scan"
    id: int | None = Field(default=None, primary_key=True)
    as_of: date = Field(index=True)
    started_at: datetime = Field(default_factory=now, sa_column=_ts())
    duration_seconds: float = 0.0
    actor: str = Field(max_length=64)
    scanned: int = 0
    candidates: int = 0
    insufficient: int = 0
    classified_scanned: int = 0
    policy: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ZombieVerdict(SQLModel, table=True):
    """One system in one scan: the verdict, each criterion's status, and what the scan saw — the usage
    day counts and the inventory facts the criteria read. Sentences, thresholds and windows are rendered
    from these and the scan's policy when read (service.explain), so the words always match the figures
    and a province-wide scan keeps 20,000 short rows instead of 20 MB of prose. Every read names the scan,
    so both indexes lead with it and a scan's rows go at their ends (an index leading with the system
    would take a province-wide scan 70 ms more to write, measured). No foreign keys: a scan writes the ids it
has just read, nothing deletes what they name, and checking them tripled the write (migration 0017)."""
    __tablename__ = "zombie_verdict"
    __table_args__ = (Index("ix_zombie_verdict_scan_status", "scan_id", "status"),
                      Index("ix_zombie_verdict_scan_system", "scan_id", "system_id"))
    id: int | None = Field(default=None, primary_key=True)
    scan_id: int
    system_id: int
    department_id: int
    status: VerdictStatus = Field(sa_type=enum_column(VerdictStatus))
    business_disconnected: CriterionStatus = Field(sa_type=enum_column(CriterionStatus))
    replaceable: CriterionStatus = Field(sa_type=enum_column(CriterionStatus))
    idle_resources: CriterionStatus = Field(sa_type=enum_column(CriterionStatus))
    maintenance_stopped: CriterionStatus = Field(sa_type=enum_column(CriterionStatus))
    small_scope_low_frequency: CriterionStatus = Field(sa_type=enum_column(CriterionStatus))
    # usage over each criterion's window (rules.Usage)
    req_days: int = 0
    req_low_days: int = 0
    login_days: int = 0
    logins: float = 0.0
    idle_days_with_data: int = 0
    idle_days: int = 0
    au_days: int = 0
    au_low_days: int = 0
    first_day: date | None = None
    last_deployment_day: date | None = None
    last_recorded_change: date | None = None
    # the inventory as the scan read it (rules.SystemFacts)
    replaced_by: str | None = None
    described: bool = True                                  # the description says something
    most_similar: str | None = None
    similarity: float = 0.0
    use_scopes: str = Field(default="", max_length=200)     # comma-separated UseScope values
    usage_frequency: str | None = Field(default=None, max_length=24)
    om_vendors: str | None = Field(default=None, max_length=500)
    om_cost_yearly: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 4), nullable=True))
    build_date: date | None = None
    warranty_years: Decimal | None = Field(default=None, sa_column=Column(Numeric(6, 2), nullable=True))


class ZombieCase(SQLModel, table=True):
    """The review of one system from its first candidate verdict to clean-up (or clearance)."""
    __tablename__ = "zombie_case"
    id: int | None = Field(default=None, primary_key=True)
    system_id: int = Field(foreign_key="information_system.id", index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    state: CaseState = Field(default=CaseState.candidate, index=True, sa_type=enum_column(CaseState))
    opened_scan_id: int = Field(foreign_key="zombie_scan.id")
    last_scan_id: int = Field(foreign_key="zombie_scan.id")
    cleared_scan_id: int | None = Field(default=None, foreign_key="zombie_scan.id")
    reason: str | None = None
    exempt_until: date | None = None
    department_response: str | None = None
    cleanup_plan: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    needs_rereview: bool = False
    rereview_reason: str | None = None
    decided_by: str | None = Field(default=None, max_length=64)
    opened_at: datetime = Field(default_factory=now, sa_column=_ts())
    updated_at: datetime = Field(default_factory=now, sa_column=_ts())
