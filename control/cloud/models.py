"""Cloud resource requests, their resource lines, deliveries, attachments, capacity pools and department
quotas. Their stages and deadlines are rows of the shared stage engine (control/core/workflow.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from control.cloud.enums import LineKind, ReclaimReason, RequestStatus, Zone
from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import enum_column


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class CloudRequest(SQLModel, table=True):
    __tablename__ = "cloud_request"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=32)
    department_id: int = Field(foreign_key="department.id", index=True)
    system_id: int | None = Field(default=None, foreign_key="information_system.id", index=True)
    new_system_name: str | None = Field(default=None, max_length=200)
    contact_name: str = Field(max_length=100)
    contact_phone: str = Field(max_length=100)
    purpose: str
    needed_by: date | None = None
    use_until: date | None = None
    zone: Zone = Field(sa_type=enum_column(Zone))
    protection_level: int | None = None
    status: RequestStatus = Field(default=RequestStatus.draft, index=True, sa_type=enum_column(RequestStatus))
    # The review levels that apply, fixed at submission: [{key, name, department_id, working_days}].
    review_plan: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    review_index: int = 0
    # The department whose user acts on the current review level (for "awaiting my review").
    reviewer_department_id: int | None = Field(default=None, index=True)
    returned_from: str | None = Field(default=None, max_length=64)
    reclaim_reason: ReclaimReason | None = Field(default=None, sa_type=enum_column(ReclaimReason))
    delivery_note: str | None = None
    created_by: str = Field(max_length=64)
    submitted_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=now, sa_column=_ts())
    updated_at: datetime = Field(default_factory=now, sa_column=_ts())


class ResourceLine(SQLModel, table=True):
    __tablename__ = "cloud_resource_line"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="cloud_request.id", index=True)
    kind: LineKind = Field(sa_type=enum_column(LineKind))
    count: int = 1
    vcpu: int | None = None
    memory_gib: int | None = None
    system_disk_gib: int | None = None
    data_disk_gib: int | None = None
    os_image: str | None = Field(default=None, max_length=100)
    size_gib: int | None = None          # block / object / file storage
    quantity: int | None = None          # IP addresses
    bandwidth_mbps: int | None = None
    product: str | None = Field(default=None, max_length=100)  # database, middleware, security service
    spec: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=300)
    trimmed_from: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    trim_reason: str | None = Field(default=None, max_length=500)


class DeliveredItem(SQLModel, table=True):
    __tablename__ = "cloud_delivered_item"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="cloud_request.id", index=True)
    line_id: int | None = Field(default=None, foreign_key="cloud_resource_line.id")
    name: str = Field(max_length=200)
    address: str | None = Field(default=None, max_length=200)
    spec: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=300)


class Attachment(SQLModel, table=True):
    """The signed form as PDF or image, kept in the database so replicas share it."""
    __tablename__ = "cloud_attachment"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="cloud_request.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = Field(default_factory=now, sa_column=_ts())


class CapacityPool(SQLModel, table=True):
    """The free capacity the Information Center can hand out in one zone."""
    __tablename__ = "cloud_capacity_pool"
    zone: Zone = Field(primary_key=True, sa_type=enum_column(Zone))
    vcpu: int = 0
    memory_gib: int = 0
    storage_gib: int = 0
    extranet_ips: int = 0
    internet_ips: int = 0
    bandwidth_mbps: int = 0
    updated_at: datetime = Field(default_factory=now, sa_column=_ts())


class DepartmentQuota(SQLModel, table=True):
    """How much one department may hold across zones; an empty limit means no limit."""
    __tablename__ = "cloud_department_quota"
    department_id: int = Field(primary_key=True, foreign_key="department.id")
    vcpu: int | None = None
    memory_gib: int | None = None
    storage_gib: int | None = None
    extranet_ips: int | None = None
    internet_ips: int | None = None
    bandwidth_mbps: int | None = None
    updated_at: datetime = Field(default_factory=now, sa_column=_ts())
