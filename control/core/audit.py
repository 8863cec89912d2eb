"""The audit log: append-only, hash-chained. Every write in a service records one entry with the
actor, the action, the entity and the before/after difference."""
from __future__ import annotations

import hashlib
import json
import uuid
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, insert, select, text
from sqlmodel import Field, Session, SQLModel

from control.core.clock import now

GENESIS = "0" * 64

# A request id ties together the entries one HTTP request or one bulk import wrote.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    actor_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=64, index=True)
    entity_id: str = Field(max_length=64, index=True)
    entity_label: str = Field(default="", max_length=300)
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    request_id: str | None = Field(default=None, max_length=64, index=True)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


def jsonable(value: Any) -> Any:
    """A stable JSON form for diff values (dates as ISO, Decimals as strings, enums as values)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: SQLModel, exclude: set[str] = frozenset()) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in obj.model_dump().items() if k not in exclude}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """{field: [old, new]} for the fields that differ; a create has old None, a delete new None."""
    before, after = before or {}, after or {}
    keys = [k for k in {**before, **after} if k not in ("updated_at", "created_at")]
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def utc_iso(at: datetime) -> str:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones: one form for both."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, entity_type: str, entity_id: str,
               changes: dict[str, Any]) -> str:
    payload = json.dumps([prev_hash, utc_iso(at), actor, action,
                          entity_type, entity_id, changes], ensure_ascii=False, sort_keys=True,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers never chain onto the same predecessor."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(724011)"))


def _last_hash(session: Session) -> str:
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    return last or GENESIS


def record(session: Session, actor: Any, action: str, entity_type: str, entity_id: Any,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           label: str = "", changes: dict[str, Any] | None = None) -> None:
    """Append one entry in the caller's transaction. `actor` is a User or a system name string."""
    record_many(session, actor, [(action, entity_type, entity_id, before, after, label, changes)])


def record_many(session: Session, actor: Any, items: list[tuple]) -> None:
    """Append several entries at once (bulk import, scans): one lock, one chain walk, one multi-row
    insert instead of an ORM object per entry."""
    _lock_chain(session)
    session.flush()
    prev = _last_hash(session)
    actor_name = actor if isinstance(actor, str) else actor.username
    actor_id = None if isinstance(actor, str) else actor.id
    request_id = current_request_id.get() or uuid.uuid4().hex
    at = now()
    rows = []
    for action, entity_type, entity_id, before, after, label, changes in items:
        change = jsonable(changes) if changes is not None else diff(before, after)
        h = entry_hash(prev, at, actor_name, action, entity_type, str(entity_id), change)
        rows.append({"at": at, "actor_id": actor_id, "actor": actor_name, "action": action,
                     "entity_type": entity_type, "entity_id": str(entity_id), "entity_label": label[:300],
                     "changes": change, "request_id": request_id, "prev_hash": prev, "hash": h})
        prev = h
    for start in range(0, len(rows), 5000):
        session.execute(insert(AuditEntry), rows[start:start + 5000])


def verify_chain(session: Session, batch: int = 5000) -> tuple[bool, int | None, str]:
    """Walk the chain in id order. Returns (ok, first bad entry id, message)."""
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = session.execute(select(AuditEntry).where(AuditEntry.id > last_id)
                               .order_by(AuditEntry.id).limit(batch)).scalars().all()
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev:
                return False, e.id, f"第 {e.id} 条的前序哈希与上一条不符（上一条被删除或篡改）"
            expected = entry_hash(e.prev_hash, e.at, e.actor, e.action, e.entity_type, e.entity_id, e.changes)
            if expected != e.hash:
                return False, e.id, f"第 {e.id} 条内容与其哈希不符（记录被篡改）"
            prev = e.hash
            count += 1
            last_id = e.id
        session.expunge_all()
    return True, None, f"OK：{count} 条审计记录哈希链完整"
