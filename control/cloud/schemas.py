"""What the cloud request API accepts and returns."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from control.cloud.enums import LineKind, NextStep, ReclaimReason, RequestStatus, SlaState, Zone
from control.cloud.labels import LINE, REQUEST
from control.core.clock import today
from control.core.params import CalendarDate, Id, Int32
from control.core.roles import Role
from control.core.textsafe import CleanLine, CleanText


def field_label(name: str, locale: str = "zh_CN") -> str:
    """What a person reads for a field of a request or of its lines (control/cloud/labels.py)."""
    zh, en = REQUEST.get(name, (name, name))
    return en if locale.startswith("en") else zh


def _not_past(value, info: ValidationInfo):
    """Needed-by and use-until dates lie ahead: a request for resources in the past cannot be met."""
    if value is not None and value < today():
        raise ValueError(f"{field_label(info.field_name)}（{value}）不能早于今天（{today()}）")
    return value


def check_order(needed_by, use_until) -> str | None:
    """The reason the two dates are out of order, or None."""
    if needed_by is not None and use_until is not None and needed_by > use_until:
        return (f"{field_label('needed_by')}（{needed_by}）不能晚于{field_label('use_until')}（{use_until}）")
    return None


def _use_after_need(value, info: ValidationInfo):
    reason = check_order(info.data.get("needed_by"), value)
    if reason:
        raise ValueError(reason)
    return value


class LineIn(BaseModel):
    kind: LineKind
    count: int = Field(default=1, ge=1, le=1000)
    vcpu: int | None = Field(default=None, ge=1, le=512)
    memory_gib: int | None = Field(default=None, ge=1, le=4096)
    system_disk_gib: int | None = Field(default=None, ge=1, le=4096)
    data_disk_gib: int | None = Field(default=None, ge=0, le=1_000_000)
    os_image: CleanLine | None = Field(default=None, max_length=100)
    size_gib: int | None = Field(default=None, ge=1, le=10_000_000)
    quantity: int | None = Field(default=None, ge=1, le=1024)
    bandwidth_mbps: int | None = Field(default=None, ge=1, le=100_000)
    product: CleanLine | None = Field(default=None, max_length=100)
    spec: CleanText | None = Field(default=None, max_length=300)
    note: CleanText | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _required_by_kind(self) -> LineIn:
        need = {LineKind.vm: ("vcpu", "memory_gib", "system_disk_gib"),
                LineKind.block_storage: ("size_gib",), LineKind.object_storage: ("size_gib",),
                LineKind.file_storage: ("size_gib",), LineKind.extranet_ip: ("quantity",),
                LineKind.internet_ip: ("quantity",), LineKind.bandwidth: ("bandwidth_mbps",),
                LineKind.database: ("product",), LineKind.middleware: ("product",),
                LineKind.security: ("product",)}[self.kind]
        missing = [f for f in need if getattr(self, f) in (None, "")]
        if missing:
            raise ValueError(f"{self.kind.zh}需填写：{'、'.join(LINE[f][0] for f in missing)}")
        return self


class LineOut(BaseModel):
    """A line as stored: after an assessor's trim a count may be 0 (the line was dropped)."""
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: LineKind
    count: int
    vcpu: int | None
    memory_gib: int | None
    system_disk_gib: int | None
    data_disk_gib: int | None
    os_image: str | None
    size_gib: int | None
    quantity: int | None
    bandwidth_mbps: int | None
    product: str | None
    spec: str | None
    note: str | None
    trimmed_from: dict | None = None
    trim_reason: str | None = None


class RequestIn(BaseModel):
    department_id: Id
    system_id: Id | None = None
    new_system_name: CleanLine | None = Field(default=None, max_length=200)
    contact_name: CleanLine = Field(min_length=1, max_length=100)
    contact_phone: CleanLine = Field(min_length=3, max_length=100)
    purpose: CleanText = Field(min_length=1, max_length=5000)
    needed_by: CalendarDate | None = None
    use_until: CalendarDate | None = None
    zone: Zone
    protection_level: int | None = Field(default=None, ge=1, le=5)
    lines: list[LineIn] = Field(min_length=1, max_length=200)

    _dates_ahead = field_validator("needed_by", "use_until")(_not_past)
    _dates_in_order = field_validator("use_until")(_use_after_need)

    @model_validator(mode="after")
    def _system(self) -> RequestIn:
        if (self.system_id is None) == (not self.new_system_name):
            raise ValueError("请选择清单中的信息系统，或填写拟新建系统名称（二者选一）")
        return self


class RequestUpdate(BaseModel):
    """Only the fields sent change; null only where the field may be empty (422 naming it otherwise)."""
    model_config = ConfigDict(extra="forbid")
    system_id: Id | None = None
    new_system_name: CleanLine | None = Field(default=None, max_length=200)
    contact_name: CleanLine = Field(default=None, min_length=1, max_length=100)
    contact_phone: CleanLine = Field(default=None, min_length=3, max_length=100)
    purpose: CleanText = Field(default=None, min_length=1, max_length=5000)
    needed_by: CalendarDate | None = None
    use_until: CalendarDate | None = None
    zone: Zone = None
    protection_level: int | None = Field(default=None, ge=1, le=5)
    lines: list[LineIn] = Field(default=None, min_length=1, max_length=200)

    _dates_ahead = field_validator("needed_by", "use_until")(_not_past)
    _dates_in_order = field_validator("use_until")(_use_after_need)


class Trim(BaseModel):
    line_id: Id
    count: Int32 | None = Field(default=None, ge=0)
    vcpu: Int32 | None = Field(default=None, ge=1)
    memory_gib: Int32 | None = Field(default=None, ge=1)
    data_disk_gib: Int32 | None = Field(default=None, ge=0)
    size_gib: Int32 | None = Field(default=None, ge=1)
    quantity: Int32 | None = Field(default=None, ge=0)
    bandwidth_mbps: Int32 | None = Field(default=None, ge=1)
    reason: CleanText = Field(min_length=1, max_length=500)


class DeliveredIn(BaseModel):
    line_id: Id | None = None
    name: CleanLine = Field(min_length=1, max_length=200)
    address: CleanLine | None = Field(default=None, max_length=200)
    spec: CleanText | None = Field(default=None, max_length=300)
    note: CleanText | None = Field(default=None, max_length=300)


class ActionIn(BaseModel):
    """The body of POST /cloud-requests/{id}/{action}: a comment, and what the action needs."""
    comment: CleanText = Field(default="", max_length=2000)
    trims: list[Trim] = []                   # assess
    delivered: list[DeliveredIn] = []        # deliver
    delivery_note: CleanText | None = Field(default=None, max_length=2000)  # deliver: e.g. credentials handed over
    prepare_hosts: bool = False              # deliver: also create the host-preparation playbook change
    reclaim_reason: ReclaimReason | None = None  # reclaim


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    stage: str
    name: str
    started_at: datetime
    start_date: date
    working_days: int | None
    due_date: date | None
    calendar_error: str | None
    done_at: datetime | None
    done_date: date | None
    outcome: str | None
    actor: str | None
    comment: str | None
    active: bool
    sla_state: SlaState
    sla_working_days: int
    working_days_left: int | None = None


class DeliveredOut(DeliveredIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class NextActor(BaseModel):
    """Who must act next and by when: a role, for the applicant's own steps its department, for a review level
    that department's designated reviewer; `text` is the line people read."""
    role: Role
    department_id: int | None = None
    department_name: str | None = None
    designated: bool = False
    step: NextStep
    due_date: date | None = None
    text: str


class RequestSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    department_id: int
    department_name: str
    system_name: str | None
    zone: Zone
    status: RequestStatus
    stage: str | None = None
    stage_name: str | None = None
    due_date: date | None = None
    sla_state: SlaState | None = None
    sla_working_days: int = 0
    next_actor: NextActor | None = None
    created_at: datetime
    updated_at: datetime


class RequestOut(RequestSummary):
    system_id: int | None
    new_system_name: str | None
    contact_name: str
    contact_phone: str
    purpose: str
    needed_by: date | None
    use_until: date | None
    protection_level: int | None
    review_plan: list[dict]
    review_index: int
    returned_from: str | None
    reclaim_reason: ReclaimReason | None
    delivery_note: str | None
    created_by: str
    submitted_by: str | None
    lines: list[LineOut]
    # Before assessment: the zone capacity or department quota that approving this request would overdraw.
    shortfalls: list[str] = []
    stages: list[StageOut]
    delivered: list[DeliveredOut]
    attachments: list[AttachmentOut]


class RequestList(BaseModel):
    items: list[RequestSummary]
    total: int
    limit: int
    offset: int


class CapacityIn(BaseModel):
    vcpu: Int32 = Field(ge=0)
    memory_gib: Int32 = Field(ge=0)
    storage_gib: Int32 = Field(ge=0)
    extranet_ips: Int32 = Field(ge=0)
    internet_ips: Int32 = Field(ge=0)
    bandwidth_mbps: Int32 = Field(ge=0)


class CapacityOut(CapacityIn):
    zone: Zone
    used: dict[str, int]
    free: dict[str, int]


class QuotaIn(BaseModel):
    vcpu: Int32 | None = Field(default=None, ge=0)
    memory_gib: Int32 | None = Field(default=None, ge=0)
    storage_gib: Int32 | None = Field(default=None, ge=0)
    extranet_ips: Int32 | None = Field(default=None, ge=0)
    internet_ips: Int32 | None = Field(default=None, ge=0)
    bandwidth_mbps: Int32 | None = Field(default=None, ge=0)


class QuotaOut(QuotaIn):
    department_id: int
    department_name: str
    used: dict[str, int]
