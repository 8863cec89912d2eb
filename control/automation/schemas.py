"""What the runs API promises."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from control.core.runs import RunStatus


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    mode: str
    status: RunStatus
    change_id: int | None
    device_id: int | None
    department_id: int | None
    worker_id: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    error: str
    result: dict | None


class RunList(BaseModel):
    items: list[RunOut]
    total: int
    limit: int
    offset: int


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    event: str
    host: str
    task: str
    changed: bool
    failed: bool
    stdout: str


class EventList(BaseModel):
    """Events numbered above `after`; `last` is the number to ask after next; `finished` says no more will come
    once these are read (the run has ended and `more` is false)."""
    items: list[EventOut]
    last: int
    more: bool
    finished: bool
    status: RunStatus
