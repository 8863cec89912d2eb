"""What the runs API promises."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, Field

from control.automation.enums import ChangeKind, ChangeStatus, TargetStatus
from control.core.params import Id
from control.core.runs import RunStatus
from control.core.textsafe import CleanLine, CleanText


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    mode: str
    status: RunStatus
    change_id: int | None
    device_id: int | None
    department_id: int | None
    worker_id: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    error: str
    result: dict | None


class RunList(BaseModel):
    items: list[RunOut]
    total: int
    limit: int
    offset: int


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    event: str
    host: str
    task: str
    changed: bool
    failed: bool
    stdout: str


class EventList(BaseModel):
    """Events numbered above `after`; `last` is the number to ask after next; `finished` says no more will come
    once these are read (the run has ended and `more` is false)."""
    items: list[EventOut]
    last: int
    more: bool
    finished: bool
    status: RunStatus


# --- changes ----------------------------------------------------------------------------------------------

Text500 = Annotated[CleanLine, MaxLen(500)]
Value = Text500 | int | bool | list[Text500 | int]
Variables = Annotated[dict[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,63}$")], Value], Field(max_length=50)]


class ChangeIn(BaseModel):
    """A new change (a draft): a device change names a template of playbooks/network and device ids; a playbook
    change a playbook of playbooks/ and hosts of the service's inventory. The first target is the canary."""
    model_config = ConfigDict(extra="forbid")
    kind: ChangeKind
    template: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")] | None = None
    playbook: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")] | None = None
    title: Annotated[CleanLine, MaxLen(200)] = ""
    variables: Variables = {}
    # A device change: a listed device's own variables (keyed by device id), over the common ones for it alone.
    device_variables: Annotated[dict[Id, Variables], Field(max_length=500)] = {}
    device_ids: Annotated[list[Id], Field(max_length=500)] | None = None
    hosts: Annotated[list[Annotated[CleanLine, MaxLen(255)]], Field(max_length=500)] | None = None
    concurrency: Annotated[int, Field(ge=1, le=64)] | None = None
    plan_step_id: Id | None = None
    cloud_request_id: Id | None = None
    zombie_case_id: Id | None = None
    on_classified_network: bool = False     # a classified system or network: refused, nothing stored


class ChangeActionIn(BaseModel):
    """The body of POST /changes/{id}/{action}. `digest`: for approve, the digest of the checked result the
    approver has seen (GET gives it); when the change was re-checked since, the approval is refused."""
    model_config = ConfigDict(extra="forbid")
    comment: Annotated[CleanText, MaxLen(2000)] = ""
    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class TargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    position: int
    device_id: int | None
    host: str | None
    name: str
    variables: dict                    # this device's own variables (over the change's common ones)
    status: TargetStatus
    backup_id: int | None
    backup_digest: str | None
    commands: list
    rollback_commands: list
    verify: list
    expected_diff: str
    applied: bool
    applied_at: datetime | None
    verified: bool
    verified_at: datetime | None
    saved_at: datetime | None
    rolled_back_at: datetime | None
    error: str


class ChangeSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: ChangeKind
    template: str | None
    playbook: str | None
    title: str
    status: ChangeStatus
    department_id: int
    author: str
    plan_step_id: int | None
    cloud_request_id: int | None
    zombie_case_id: int | None
    run_id: int | None
    error: str
    created_at: datetime
    updated_at: datetime


class ChangeOut(ChangeSummary):
    variables: dict
    concurrency: int | None
    checked_at: datetime | None
    checked_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    approved_digest: str | None
    digest: str | None                 # of the checked result now: what an approval would be pinned to
    actions: list[str]                 # what may be done in this state (the actor's role aside)
    targets: list[TargetOut]
    runs: list[RunOut]


class ChangeList(BaseModel):
    items: list[ChangeSummary]
    total: int
    limit: int
    offset: int


class TemplateOut(BaseModel):
    key: str
    name: str
    description: str
    variables: dict


class TemplateList(BaseModel):
    items: list[TemplateOut]
