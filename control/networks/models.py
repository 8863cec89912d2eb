"""Private networks (业务专网): one row per network, its carrier lines and the inventory systems running on it.
Classified networks are never stored (they belong to the Confidential Bureau's process)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import enum_column
from control.networks.enums import NetworkState


class PrivateNetwork(SQLModel, table=True):
    __tablename__ = "private_network"
    __table_args__ = (UniqueConstraint("department_id", "name", name="uq_private_network_department_name"),
                      # The progress board counts each department's networks by state from this index alone.
                      Index("ix_private_network_department_state", "department_id", "state"))

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    name: str = Field(max_length=200)
    purpose: str | None = None
    fiscal_funded: bool = Field(default=False, index=True)     # 财政资金建设: funding stops if not migrated in time
    sites: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: NetworkState = Field(default=NetworkState.in_use, index=True, sa_type=enum_column(NetworkState))
    # The date each step happened (Asia/Shanghai), recorded by the step's action.
    connected_on: date | None = None
    migrating_on: date | None = None
    outcome_on: date | None = None          # withdrawn / merged / converted
    outcome_note: str | None = None
    created_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))


class CarrierLine(SQLModel, table=True):
    """A carrier's leased lines of a network (运营商线路): how many, how fast, what they cost a year."""
    __tablename__ = "private_network_line"
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="private_network.id", index=True)
    carrier: str = Field(max_length=100)
    count: int = 1
    bandwidth_mbps: int = 0
    yearly_rent: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(14, 4), nullable=False))  # 万元


class NetworkSystem(SQLModel, table=True):
    """An inventory system that runs on the network."""
    __tablename__ = "private_network_system"
    network_id: int = Field(foreign_key="private_network.id", primary_key=True)
    system_id: int = Field(foreign_key="information_system.id", primary_key=True, index=True)
