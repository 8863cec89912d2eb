"""What the inventory API accepts and returns. Text coming in is cleaned (core.textsafe: NFC, no control
characters, one-line fields flattened) before its length is checked, so a name typed composed or
decomposed is one system, as in the census import."""
from copy import copy
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, create_model

from control.core.params import CalendarDate, Id, Int32
from control.core.textsafe import CleanLine, CleanText
from control.systems.enums import (
    ClassifiedGrade,
    Network,
    ReachMethod,
    SharingDirection,
    SharingMethod,
    SystemKind,
    SystemStatus,
    UsageFrequency,
    UseScope,
)


def line(max_length: int) -> type[str]:
    """One-line text, cleaned, then at most `max_length` characters."""
    return Annotated[CleanLine, Field(max_length=max_length)]


Line100, Line200, Line500 = line(100), line(200), line(500)
# A name or title that is not empty once cleaned (a lone control character is no name).
Name200 = Annotated[CleanLine, Field(min_length=1, max_length=200)]


class SharingLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    direction: SharingDirection
    resource_name: Name200
    counterpart: Line200 | None = None
    method: SharingMethod | None = None
    method_note: Line200 | None = None


class CensusFields(BaseModel):
    """Every field of the self-built census form (附件2); a vertical system uses a subset."""
    function_description: CleanText | None = None
    information_resources: CleanText | None = None
    networks: list[Network] = []
    is_classified: bool = False
    protection_level: int | None = Field(default=None, ge=1, le=5)
    classified_grade: ClassifiedGrade | None = None
    secrecy_clause: CleanLine | None = None
    can_reach_external: bool | None = None
    reach_method: ReachMethod | None = None
    reach_method_other: CleanLine | None = None
    no_reach_reason: CleanLine | None = None
    access_address: Line500 | None = None
    site_consolidation: bool | None = None
    use_scopes: list[UseScope] = []
    use_scope_names: CleanText | None = None
    user_count: Int32 | None = Field(default=None, ge=0)
    user_count_varies: bool = False
    usage_frequency: UsageFrequency | None = None
    responsible_name: Line100 | None = None
    responsible_title: Line100 | None = None
    responsible_phone: Line200 | None = None
    other_notes: CleanText | None = None
    approving_unit: Line200 | None = None
    approval_date: CalendarDate | None = None
    builder: Line200 | None = None
    build_date: CalendarDate | None = None
    warranty_years: Decimal | None = Field(default=None, ge=0, max_digits=6, decimal_places=2)
    build_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    build_funding_source: Line200 | None = None
    om_cost_yearly: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    om_funding_source: Line200 | None = None
    om_vendors: Line500 | None = None
    additional_notes: CleanText | None = None
    tech_support_contact: Line500 | None = None
    replaced_by_id: Id | None = None


class SystemCreate(CensusFields):
    department_id: Id
    name: Name200
    code: Annotated[CleanLine, Field(max_length=64)] | None = None
    kind: SystemKind = SystemKind.self_built
    status: SystemStatus = SystemStatus.registered
    sharing: list[SharingLine] = []


def _partial(model: type[BaseModel], name: str, doc: str) -> type[BaseModel]:
    """The same fields and constraints as `model`, every one optional (left out: unchanged). Null is
    accepted only where `model` accepts it, i.e. where the column may be empty; elsewhere 422."""
    fields = {}
    for field_name, info in model.model_fields.items():
        info = copy(info)
        info.default, info.default_factory = None, None
        fields[field_name] = (info.annotation, info)
    partial = create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields)
    return partial


SystemUpdate = _partial(SystemCreate, "SystemUpdate",
                        "Partial update: only the fields sent change. Status changes follow the lifecycle.")


class SystemPublic(CensusFields):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    department_id: int
    department_name: str
    department_code: str
    name: str
    kind: SystemKind
    status: SystemStatus
    sharing: list[SharingLine] = []
    created_at: datetime
    updated_at: datetime


class SystemSummary(BaseModel):
    """A list row: enough to find a system, not its whole census record."""
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    department_id: int
    department_name: str
    kind: SystemKind
    status: SystemStatus
    networks: list[Network]
    is_classified: bool
    protection_level: int | None
    usage_frequency: UsageFrequency | None
    updated_at: datetime


class SystemList(BaseModel):
    items: list[SystemSummary]
    total: int
    # False when a free-text search matched more systems than it counts: total is then a lower bound.
    total_exact: bool = True
    limit: int
    offset: int


class StatusChange(BaseModel):
    comment: Annotated[CleanText, Field(max_length=1000)] = ""


class ImportError_(BaseModel):
    sheet: str
    row: int | None
    column: str | None
    message: str
    code: str


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
