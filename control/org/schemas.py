"""What the organisation API accepts and returns."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from control.core.accounts import Level
from control.core.params import Id
from control.core.roles import Role
from control.core.textsafe import CleanLine
from control.org.codes import CodeError, normalize_code


def _encodable(value: str) -> str:
    """A password is kept exactly as typed (no cleaning), but must be text that can be hashed."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("密码含有无法识别的字符") from None
    return value


Password = Annotated[str, Field(min_length=8, max_length=200), AfterValidator(_encodable)]


class DepartmentCreate(BaseModel):
    code: CleanLine
    name: CleanLine = Field(min_length=1, max_length=200)
    level: Level
    parent_id: Id | None = None
    region: CleanLine | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        try:
            return normalize_code(v)
        except CodeError as e:
            raise ValueError(str(e)) from None


class DepartmentUpdate(BaseModel):
    """Only the fields sent change. A field whose column cannot be empty is left out to keep it, never
    sent as null (422 naming it); `parent_id` and `region` may be cleared with null."""
    code: CleanLine = None
    name: CleanLine = Field(default=None, min_length=1, max_length=200)
    level: Level = None
    parent_id: Id | None = None
    region: CleanLine | None = None
    active: bool = None

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
    username: CleanLine = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: Password
    role: Role
    department_id: Id | None = None
    display_name: CleanLine = ""
    reviewer: bool = False


class UserUpdate(BaseModel):
    """As DepartmentUpdate: null only for `department_id` and `locale`, whose columns may be empty."""
    password: Password = None
    role: Role = None
    department_id: Id | None = None
    display_name: CleanLine = None
    active: bool = None
    locale: CleanLine | None = Field(default=None, pattern=r"^(zh_CN|en)$")
    reviewer: bool = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: Role
    department_id: int | None
    active: bool
    locale: str | None
    reviewer: bool
    must_change_password: bool
    created_at: datetime


class UserList(BaseModel):
    items: list[UserPublic]
    total: int


class PasswordChange(BaseModel):
    """A user choosing their own new password, proving who they are with the current one."""
    current_password: str = Field(min_length=1, max_length=200)
    new_password: Password


class TemporaryPassword(BaseModel):
    """An admin's reset: the temporary password is shown this once and stored only as its hash."""
    user: UserPublic
    temporary_password: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
