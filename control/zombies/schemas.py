"""What the zombie-system API returns (the request bodies stay next to their routes in api.py)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from control.zombies.enums import CaseState, Metric, VerdictStatus


class MetricsStored(BaseModel):
    samples: int = Field(description="写入的样本数")
    systems: int = Field(description="涉及的信息系统数")
    system_days: int = Field(description="涉及的系统·日数")


class MetricsPulled(MetricsStored):
    queries: int = Field(description="向 Prometheus 发出的查询数")
    unknown_systems: list[str] = Field(description="清单中没有的系统编码")


class UsagePoint(BaseModel):
    day: date
    value: float | None


class UsageSeries(BaseModel):
    metric: Metric
    points: list[UsagePoint]


class ScanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    as_of: date
    started_at: datetime
    duration_seconds: float
    actor: str
    scanned: int
    candidates: int
    insufficient: int
    classified_scanned: int


class ScanDetail(ScanOut):
    policy: dict[str, Any] = Field(description="扫描时采用的判定标准与阈值")


class ScanList(BaseModel):
    items: list[ScanOut]
    total: int


class VerdictOut(BaseModel):
    id: int
    scan_id: int
    system_id: int
    department_id: int
    status: VerdictStatus
    held: list[str] = Field(description="符合的判定标准")
    criteria: dict[str, Any] = Field(description="每条标准的状态、观测值、说明、阈值与窗口")
    system_name: str
    system_code: str
    department_name: str


class VerdictList(BaseModel):
    items: list[VerdictOut]
    total: int


class SystemRef(BaseModel):
    system_id: int
    system_name: str


class ScanComparison(BaseModel):
    older: int
    newer: int
    new: list[SystemRef]
    gone: list[SystemRef]
    unchanged: list[SystemRef]


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    system_id: int
    department_id: int
    state: CaseState
    opened_scan_id: int
    last_scan_id: int
    cleared_scan_id: int | None
    reason: str | None
    exempt_until: date | None
    department_response: str | None
    cleanup_plan: dict[str, Any] | None
    needs_rereview: bool
    rereview_reason: str | None
    decided_by: str | None
    opened_at: datetime
    updated_at: datetime


class CaseRow(CaseOut):
    system_name: str
    system_code: str
    department_name: str


class CaseList(BaseModel):
    items: list[CaseRow]
    total: int
