"""Changes: one pipeline for device changes (netmiko) and playbook changes (ansible-runner). A change has
per-target rows holding what was checked (the backup it was checked against, the rendered commands, the
expected diff) and each target's progress, committed as it happens so a crashed apply can be resumed without
sending a device its commands twice. The links to a plan step, a cloud request or a zombie case are plain
columns: those domains look changes up by them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from control.automation.enums import ChangeKind, ChangeStatus, TargetStatus
from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import enum_column


class Change(SQLModel, table=True):
    __tablename__ = "automation_change"

    id: int | None = Field(default=None, primary_key=True)
    kind: ChangeKind = Field(sa_type=enum_column(ChangeKind))
    template: str | None = Field(default=None, max_length=64)       # device: a template of playbooks/network
    playbook: str | None = Field(default=None, max_length=64)       # playbook: a playbook of playbooks/
    title: str = Field(default="", max_length=200)
    variables: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: ChangeStatus = Field(default=ChangeStatus.draft, sa_type=enum_column(ChangeStatus), index=True)
    department_id: int = Field(foreign_key="department.id", index=True)     # the targets' (common) department
    author: str = Field(max_length=64)
    concurrency: int | None = None                   # devices applied at once after the canary (None: setting)
    plan_step_id: int | None = Field(default=None, index=True)
    cloud_request_id: int | None = Field(default=None, index=True)
    zombie_case_id: int | None = Field(default=None, index=True)
    checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    checked_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    approved_by: str | None = Field(default=None, max_length=64)
    # The approval is pinned to what was checked: a digest of every target's checked backup and commands.
    approved_digest: str | None = Field(default=None, max_length=64)
    run_id: int | None = Field(default=None)          # the run carrying the change's current (or last) step
    error: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))


class ChangeTarget(SQLModel, table=True):
    """One device or host of a change, in order: the first is the canary."""
    __tablename__ = "automation_change_target"
    __table_args__ = (UniqueConstraint("change_id", "position", name="uq_change_target_position"),)

    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="automation_change.id", index=True)
    position: int
    device_id: int | None = Field(default=None, foreign_key="device.id", index=True)
    host: str | None = Field(default=None, max_length=255)
    name: str = Field(max_length=255)
    # This device's own variables (its SVI address, its ports), over the change's common ones at render.
    variables: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: TargetStatus = Field(default=TargetStatus.pending, sa_type=enum_column(TargetStatus))
    backup_id: int | None = Field(default=None, foreign_key="device_backup.id")   # what it was checked against
    backup_digest: str | None = Field(default=None, max_length=64)
    commands: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rollback_commands: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    verify: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))   # [{command, expect, absent}]
    expected_diff: str = Field(default="", sa_column=Column(Text, nullable=False))
    applied: bool = False
    applied_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    verified: bool = False
    verified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    saved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    rolled_back_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    error: str = Field(default="", max_length=2000)
