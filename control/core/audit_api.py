"""REST: browse, filter, export and verify the audit log (auditors and admins)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlmodel import Session

from control.core import labels
from control.core.audit import AuditEntry, Checkpoint, Verification, verify_chain
from control.core.auth import Actor
from control.core.clock import SHANGHAI
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import Conflict
from control.core.params import CalendarDate, Offset, SearchText, file_response
from control.core.roles import Role
from control.core.textsafe import csv_safe

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
AUDIT_READERS = (Role.admin, Role.auditor)


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    entity_label: str
    changes: dict
    request_id: str | None
    hash: str


class AuditList(BaseModel):
    items: list[AuditEntryPublic]
    total: int


class AuditFilter(BaseModel):
    actor: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: CalendarDate | None = None   # Asia/Shanghai calendar days, inclusive
    until: CalendarDate | None = None
    q: str | None = None


def audit_filter(actor: SearchText | None = None, action: SearchText | None = None,
                 entity_type: SearchText | None = None, entity_id: SearchText | None = None,
                 since: CalendarDate | None = None, until: CalendarDate | None = None,
                 q: SearchText | None = None) -> AuditFilter:
    return AuditFilter(actor=actor, action=action, entity_type=entity_type, entity_id=entity_id, since=since,
                       until=until, q=q)


def _day_start_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, SHANGHAI).astimezone(UTC)


def query_entries(session: Session, who: Actor, f: AuditFilter):
    who.require(*AUDIT_READERS)
    stmt = select(AuditEntry)
    for column in ("actor", "action", "entity_type", "entity_id"):
        value = getattr(f, column)
        if value:
            stmt = stmt.where(getattr(AuditEntry, column) == value)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= _day_start_utc(f.since))
    if f.until:
        stmt = stmt.where(AuditEntry.at < _day_start_utc(f.until + timedelta(days=1)))
    if f.q:
        stmt = stmt.where(AuditEntry.entity_label.contains(f.q))
    return stmt


def list_entries(session: Session, who: Actor, f: AuditFilter, limit: int, offset: int):
    stmt = query_entries(session, who, f)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("", response_model=AuditList)
def list_audit(session: SessionDep, actor: CurrentActor, f: FilterDep, limit: int = Query(100, ge=1, le=1000),
               offset: Offset = 0):
    items, total = list_entries(session, actor, f, limit, offset)
    return AuditList(items=items, total=total)


@router.get("/export.csv", response_class=StreamingResponse, responses=file_response("text/csv", "审计日志 CSV"))
def export_audit(session: SessionDep, actor: CurrentActor, f: FilterDep):
    """The filtered log as CSV (UTF-8 with BOM so Excel opens the Chinese correctly), for people: actions,
    entity types and changed fields by their labels (the JSON API keeps the stable keys)."""
    stmt = query_entries(session, actor, f).order_by(AuditEntry.id)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(["id", "时间", "操作人", "操作", "对象类型", "对象ID", "对象名称", "变更内容", "请求ID", "哈希"])
    for e in session.execute(stmt).scalars():
        at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
        writer.writerow([csv_safe(v) for v in (
            e.id, at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), e.actor, labels.action_label(e.action),
            labels.entity_type_label(e.entity_type), e.entity_id, e.entity_label,
            labels.describe_changes(e.entity_type, e.changes), e.request_id or "", e.hash)])
    return StreamingResponse(iter([buf.getvalue().encode()]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


class VerifyResult(BaseModel):
    ok: bool
    count: int
    first_broken_id: int | None
    problem_count: int
    problems: list[str]
    hint: str
    message: str


def verification(session: Session, who: Actor, max_problems: int, checkpoint: Checkpoint | None = None
                 ) -> Verification:
    who.require(*AUDIT_READERS)
    return verify_chain(session, checkpoint, max_problems)


def _result(v: Verification) -> VerifyResult:
    return VerifyResult(ok=v.ok, count=v.count, first_broken_id=v.first_broken_id, problem_count=v.problem_count,
                        problems=v.problems, hint=v.hint, message=v.message)


@router.get("/verify", response_model=VerifyResult)
def verify(request: Request, session: SessionDep, actor: CurrentActor):
    """Walk the whole chain: every problem by entry (the first audit_verify_max_problems, and the count)."""
    return _result(verification(session, actor, request.app.state.settings.audit_verify_max_problems))


@router.post("/verify", response_model=VerifyResult)
def verify_against(request: Request, session: SessionDep, actor: CurrentActor, checkpoint: Checkpoint):
    """As GET, and whether the chain still reaches an auditor's earlier checkpoint (truncation, replacement)."""
    return _result(verification(session, actor, request.app.state.settings.audit_verify_max_problems, checkpoint))


@router.get("/checkpoint", response_model=Checkpoint)
def take_checkpoint(request: Request, session: SessionDep, actor: CurrentActor):
    """Count, last id and head of a chain that verifies, for the auditor to keep outside yunzhang."""
    v = verification(session, actor, request.app.state.settings.audit_verify_max_problems)
    if not v.ok:
        raise Conflict(f"哈希链有问题，未生成检查点：{v.message}", code="audit_chain_broken")
    return v.checkpoint()
