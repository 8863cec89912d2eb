"""What the private-network API accepts and returns. Text is cleaned (core.textsafe) before its length is
checked. `is_classified` is accepted only to refuse it on create, and on update to remove the network: a
classified network is never stored."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from control.core.params import CalendarDate, Id
from control.core.textsafe import CleanLine, CleanText
from control.networks.enums import NetworkState

Name100 = Annotated[CleanLine, Field(min_length=1, max_length=100)]
Name200 = Annotated[CleanLine, Field(min_length=1, max_length=200)]
Note = Annotated[CleanText, Field(max_length=2000)]


class CarrierLineIn(BaseModel):
    """One carrier's lines: 运营商, 条数, 带宽（Mbps）, 年租金（万元）."""
    model_config = ConfigDict(from_attributes=True, extra="forbid")
    carrier: Name100
    count: int = Field(default=1, ge=1, le=100_000)
    bandwidth_mbps: int = Field(default=0, ge=0, le=10_000_000)
    yearly_rent: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=4)


class NetworkFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: Note | None = None
    fiscal_funded: bool = False
    sites: list[Name200] = Field(default=[], max_length=500)
    lines: list[CarrierLineIn] = Field(default=[], max_length=100)
    system_ids: list[Id] = Field(default=[], max_length=1000)
    is_classified: bool = False


class NetworkCreate(NetworkFields):
    department_id: Id
    name: Name200


class NetworkUpdate(BaseModel):
    """Partial update: only the fields sent change. The state changes only through the actions."""
    model_config = ConfigDict(extra="forbid")
    department_id: Id | None = None
    name: Name200 | None = None
    purpose: Note | None = None
    fiscal_funded: bool | None = None
    sites: list[Name200] | None = Field(default=None, max_length=500)
    lines: list[CarrierLineIn] | None = Field(default=None, max_length=100)
    system_ids: list[Id] | None = Field(default=None, max_length=1000)
    is_classified: bool | None = None


class ActionIn(BaseModel):
    """A step that happened: its date (default today, Asia/Shanghai) and a note (required for
    withdraw / merge / convert)."""
    model_config = ConfigDict(extra="forbid")
    on: CalendarDate | None = None
    note: Note = ""


class SystemRef(BaseModel):
    id: int
    code: str
    name: str


class NetworkOut(BaseModel):
    id: int
    department_id: int
    department_name: str
    name: str
    purpose: str | None
    fiscal_funded: bool
    sites: list[str]
    state: NetworkState
    connected_on: date | None
    migrating_on: date | None
    outcome_on: date | None
    outcome_note: str | None
    lines: list[CarrierLineIn]
    yearly_rent_total: Decimal
    systems: list[SystemRef]
    actions: list[str]
    created_at: datetime
    updated_at: datetime


class NetworkSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    department_id: int
    department_name: str
    name: str
    fiscal_funded: bool
    state: NetworkState
    updated_at: datetime


class NetworkList(BaseModel):
    items: list[NetworkSummary]
    total: int
    limit: int
    offset: int


class NetworkRemoved(BaseModel):
    """The answer to marking a network classified: it is gone, and why."""
    id: int
    removed: Literal[True] = True
    detail: str
