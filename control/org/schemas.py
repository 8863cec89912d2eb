"""What the organisation API accepts and returns."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from control.core.accounts import Level
from control.core.roles import Role
from control.org.codes import CodeError, normalize_code


class DepartmentCreate(BaseModel):
    code: str
    name: str = Field(min_length=1, max_length=200)
    level: Level
    parent_id: int | None = None
    region: str | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        try:
            return normalize_code(v)
        except CodeError as e:
            raise ValueError(str(e)) from None


class DepartmentUpdate(BaseModel):
    code: str | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    level: Level | None = None
    parent_id: int | None = None
    region: str | None = None
    active: bool | None = None

    _code = field_validator("code")(DepartmentCreate._code.__func__)


class DepartmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    level: Level
    parent_id: int | None
    path: str
    region: str | None
    active: bool


class DepartmentList(BaseModel):
    items: list[DepartmentPublic]
    total: int


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    department_id: int | None = None
    display_name: str = ""


class UserUpdate(BaseModel):
    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: Role | None = None
    department_id: int | None = None
    display_name: str | None = None
    active: bool | None = None
    locale: str | None = Field(default=None, pattern=r"^(zh_CN|en)$")


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: Role
    department_id: int | None
    active: bool
    locale: str | None
    created_at: datetime


class UserList(BaseModel):
    items: list[UserPublic]
    total: int


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
