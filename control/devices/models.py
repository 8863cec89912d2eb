"""Network devices reached through netmiko, and the versions of their running config. A device row holds
credentials only as `secret:NAME` references (control/core/secrets.py): no secret reaches the database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import enum_column
from control.devices.enums import BackupOutcome, DeviceSource, Zone


class Device(SQLModel, table=True):
    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("name", name="uq_device_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    host: str = Field(max_length=255)
    port: int = 22
    device_type: str = Field(max_length=50)               # netmiko's device_type: cisco_ios, huawei, ...
    site: str | None = Field(default=None, max_length=200)
    department_id: int = Field(foreign_key="department.id", index=True)
    network_id: int | None = Field(default=None, foreign_key="private_network.id", index=True)
    zone: Zone | None = Field(default=None, sa_type=enum_column(Zone))
    username: str = Field(max_length=100)
    password_ref: str = Field(max_length=80)               # secret:NAME
    enable_secret_ref: str | None = Field(default=None, max_length=80)
    source: DeviceSource = Field(default=DeviceSource.service, sa_type=enum_column(DeviceSource))
    # Drift: the running config changed outside yunzhang (a new version no change of ours took).
    drifted: bool = Field(default=False, index=True)
    drift_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_backup_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_backup_outcome: BackupOutcome | None = Field(default=None, sa_type=enum_column(BackupOutcome))
    last_backup_error: str | None = Field(default=None, max_length=500)
    last_success_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))


class DeviceBackup(SQLModel, table=True):
    """One version of a device's running config: masked and normalised (control/devices/rules.py), stored only
    when it differs from the version before."""
    __tablename__ = "device_backup"
    __table_args__ = (UniqueConstraint("device_id", "version", name="uq_device_backup_version"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    version: int
    content: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64)
    taken_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))
    taken_by: str = Field(max_length=100)
    expected: bool = False          # taken by one of yunzhang's own changes after applying it
    drift: bool = False             # a change nobody made through yunzhang
