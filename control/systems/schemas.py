"""What the inventory API accepts and returns."""
from copy import copy
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, create_model

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


class SharingLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    direction: SharingDirection
    resource_name: str = Field(min_length=1, max_length=200)
    counterpart: str | None = Field(default=None, max_length=200)
    method: SharingMethod | None = None
    method_note: str | None = Field(default=None, max_length=200)


class CensusFields(BaseModel):
    """Every field of the self-built census form (附件2); a vertical system uses a subset."""
    function_description: str | None = None
    information_resources: str | None = None
    networks: list[Network] = []
    is_classified: bool = False
    protection_level: int | None = Field(default=None, ge=1, le=5)
    classified_grade: ClassifiedGrade | None = None
    secrecy_clause: str | None = None
    can_reach_external: bool | None = None
    reach_method: ReachMethod | None = None
    reach_method_other: str | None = None
    no_reach_reason: str | None = None
    access_address: str | None = Field(default=None, max_length=500)
    site_consolidation: bool | None = None
    use_scopes: list[UseScope] = []
    use_scope_names: str | None = None
    user_count: int | None = Field(default=None, ge=0)
    user_count_varies: bool = False
    usage_frequency: UsageFrequency | None = None
    responsible_name: str | None = Field(default=None, max_length=100)
    responsible_title: str | None = Field(default=None, max_length=100)
    responsible_phone: str | None = Field(default=None, max_length=200)
    other_notes: str | None = None
    approving_unit: str | None = Field(default=None, max_length=200)
    approval_date: date | None = None
    builder: str | None = Field(default=None, max_length=200)
    build_date: date | None = None
    warranty_years: Decimal | None = Field(default=None, ge=0, max_digits=6, decimal_places=2)
    build_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    build_funding_source: str | None = Field(default=None, max_length=200)
    om_cost_yearly: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    om_funding_source: str | None = Field(default=None, max_length=200)
    om_vendors: str | None = Field(default=None, max_length=500)
    additional_notes: str | None = None
    tech_support_contact: str | None = Field(default=None, max_length=500)
    replaced_by_id: int | None = None


class SystemCreate(CensusFields):
    department_id: int
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=64)
    kind: SystemKind = SystemKind.self_built
    status: SystemStatus = SystemStatus.registered
    sharing: list[SharingLine] = []


def _partial(model: type[BaseModel], name: str, doc: str) -> type[BaseModel]:
    """The same fields and constraints as `model`, every one optional with no default."""
    fields = {}
    for field_name, info in model.model_fields.items():
        info = copy(info)
        info.default, info.default_factory = None, None
        fields[field_name] = (info.annotation | None, info)
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
    limit: int
    offset: int


class StatusChange(BaseModel):
    comment: str = Field(default="", max_length=1000)


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
