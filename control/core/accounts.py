"""Departments (a tree by administrative level) and the people who log in: the tables core needs to
tell who is acting and what they may see. The org domain writes them through its service."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import LabeledEnum, enum_column
from control.core.roles import Role


class Level(LabeledEnum):
    province = ("province", "省（自治区）", "Province", "省", "自治区")
    city = ("city", "市", "City", "地级市", "市级")
    county = ("county", "县（区）", "County", "县", "区", "县级")
    township = ("township", "乡（镇、街道）", "Township", "乡", "镇", "街道")
    village = ("village", "村（社区）", "Village", "村", "社区")


LEVEL_ORDER = [Level.province, Level.city, Level.county, Level.township, Level.village]


def utc_column() -> Column:
    return Column(UTCDateTime(), nullable=False)


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=20)
    name: str = Field(index=True, max_length=200)
    level: Level = Field(sa_type=enum_column(Level))
    parent_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    # Materialised path of ids ("/1/4/9/") so a subtree is one indexed prefix match.
    path: str = Field(default="/", index=True, max_length=400)
    region: str | None = Field(default=None, max_length=100)
    active: bool = True
    created_at: datetime = Field(default_factory=now, sa_column=utc_column())


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    display_name: str = Field(default="", max_length=100)
    role: Role = Field(sa_type=enum_column(Role))
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    password_hash: str = Field(max_length=200)
    active: bool = True
    locale: str | None = Field(default=None, max_length=10)
    # Designated by an admin to sign review levels for their department (本单位负责人 and the like).
    reviewer: bool = False
    # Set with a temporary password an admin hands out; the user must choose a new one at next login.
    must_change_password: bool = False
    created_at: datetime = Field(default_factory=now, sa_column=utc_column())


class LoginFailure(SQLModel, table=True):
    """Failed logins, kept in the database so the rate limit holds across replicas."""
    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, max_length=64)
    client: str = Field(default="", index=True, max_length=64)
    at: datetime = Field(default_factory=now, sa_column=utc_column())
