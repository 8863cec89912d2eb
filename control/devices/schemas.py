"""What the device API accepts and returns. Credentials are `secret:NAME` references (never a secret);
`on_classified_network` is accepted only to refuse it: a device of a classified network is never stored."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from control.core.params import Id
from control.core.textsafe import CleanLine
from control.devices.enums import BackupOutcome, DeviceSource, Zone

DeviceName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Host = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9.:-]*$")]
SecretRef = Annotated[str, Field(min_length=8, max_length=80, pattern=r"^secret:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                                 description="secret:NAME — 密钥的引用（文件 $YUNZHANG_SECRETS_DIR/NAME 或环境变量 "
                                             "YUNZHANG_SECRET_<NAME>），不是密钥本身")]


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: DeviceName
    host: Host
    port: int = Field(default=22, ge=1, le=65535)
    device_type: Annotated[str, Field(min_length=1, max_length=50)] = "cisco_ios"
    site: Annotated[CleanLine, Field(max_length=200)] | None = None
    department_id: Id
    network_id: Id | None = None
    zone: Zone | None = None
    username: Annotated[CleanLine, Field(min_length=1, max_length=100)]
    password_ref: SecretRef
    enable_secret_ref: SecretRef | None = None
    on_classified_network: bool = False


class DeviceSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    host: str
    port: int
    device_type: str
    site: str | None
    department_id: int
    department_name: str
    network_id: int | None
    network_name: str | None
    zone: Zone | None
    source: DeviceSource
    drifted: bool
    last_backup_at: datetime | None
    last_backup_outcome: BackupOutcome | None
    last_success_at: datetime | None


class DeviceOut(DeviceSummary):
    username: str
    password_ref: str
    enable_secret_ref: str | None
    drift_since: datetime | None
    last_backup_error: str | None
    versions: int
    created_at: datetime
    updated_at: datetime


class DeviceList(BaseModel):
    items: list[DeviceSummary]
    total: int
    limit: int
    offset: int


class BackupOut(BaseModel):
    """A stored version; `content` (masked) only when one version is asked for."""
    model_config = ConfigDict(from_attributes=True)
    id: int
    device_id: int
    version: int
    digest: str
    taken_at: datetime
    taken_by: str
    expected: bool
    drift: bool
    content: str | None = None


class BackupResult(BaseModel):
    """What a backup came to: the version now current and whether it is new."""
    device_id: int
    outcome: BackupOutcome
    backup: BackupOut
    drift: bool


class BackupList(BaseModel):
    items: list[BackupOut]
    total: int


class DiffOut(BaseModel):
    device_id: int
    from_version: int
    to_version: int
    diff: str


class SyncResult(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    not_in_file: list[str]
