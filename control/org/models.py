"""Departments (a tree by administrative level) and the people who log in."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.enums import LabeledEnum, enum_column


class Level(LabeledEnum):
    province = ("province", "省（自治区）", "Province", "省", "自治区")
    city = ("city", "市", "City", "地级市", "市级")
    county = ("county", "县（区）", "County", "县", "区", "县级")
    township = ("township", "乡（镇、街道）", "Township", "乡", "镇", "街道")
    village = ("village", "村（社区）", "Village", "村", "社区")


LEVEL_ORDER = [Level.province, Level.city, Level.county, Level.township, Level.village]


class Role(LabeledEnum):
    admin = ("admin", "系统管理员", "Administrator")
    bureau = ("bureau", "大数据局审批人", "Big Data Bureau approver")
    infocenter = ("infocenter", "信息中心运维人员", "Information Center operator")
    department = ("department", "部门（用户单位）", "Department user")
    auditor = ("auditor", "审计人员", "Auditor")
    ops = ("ops", "运维值班", "Ops")


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
    created_at: datetime = Field(default_factory=now, sa_column=utc_column())


class LoginFailure(SQLModel, table=True):
    """Failed logins, kept in the database so the rate limit holds across replicas."""
    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, max_length=64)
    client: str = Field(default="", index=True, max_length=64)
    at: datetime = Field(default_factory=now, sa_column=utc_column())
