"""The audit log: append-only, hash-chained. Every write in a service records one entry with the
actor, the action, the entity and the before/after difference.

Each entry's hash covers every column (its id too) and the previous entry's hash, as an HMAC-SHA256 under
a key kept outside the database (settings.audit_key), so whoever holds only the database can neither
edit a row nor recompute the chain after it. Entries written before the key existed (hash_version 1:
plain SHA-256 over some columns) still verify, but only as an unbroken prefix before the first keyed
entry; an auditor's checkpoint (count, last id, head hash, end of that prefix), kept outside yunzhang,
also catches a deleted tail and a tail rewritten in the old scheme."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from weakref import WeakKeyDictionary

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, DateTime, Integer, Text, cast, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from control.core.clock import now
from control.core.db import compact_json, fetch_plain, insert_plain
from control.core.secrets import SecretError

GENESIS = "0" * 64
LEGACY, KEYED = 1, 2           # hash_version: plain SHA-256 of some columns; HMAC of every column
MIN_KEY_LENGTH = 16            # a shorter key could be guessed, which would make the chain unkeyed again

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
    hash_version: int = Field(default=KEYED, sa_column=Column(Integer, nullable=False))


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


def legacy_hash(prev_hash: str, at: datetime, actor: str, action: str, entity_type: str, entity_id: str,
                changes: Any) -> str:
    """hash_version 1, written before the chain was keyed: entity_label, actor_id and request_id were not
    covered. Only verified, never written."""
    payload = json.dumps([prev_hash, utc_iso(at), actor, action,
                          entity_type, entity_id, changes], ensure_ascii=False, sort_keys=True,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


# Every stored column but the hash itself, in the order they are hashed.
KEYED_COLUMNS = ("hash_version", "id", "prev_hash", "at", "actor_id", "actor", "action", "entity_type",
                 "entity_id", "entity_label", "changes", "request_id")
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def keyed_hash(mac: hmac.HMAC, row: dict[str, Any]) -> str:
    """hash_version 2: HMAC-SHA256 of every column. `mac` is a fresh HMAC of the key, copied per entry."""
    values = [utc_iso(row["at"]) if k == "at" else row[k] for k in KEYED_COLUMNS]
    mac = mac.copy()
    mac.update(_CANONICAL.encode(values).encode())
    return mac.hexdigest()


# The chain key of each database, set by whoever opens it for the service (create_app, the CLI).
_KEYS: WeakKeyDictionary[Engine, bytes] = WeakKeyDictionary()


def use_key(engine: Engine, key: str) -> None:
    """Sign and verify this engine's audit chain with `key` (resolved from settings.audit_key)."""
    if len(key) < MIN_KEY_LENGTH:
        raise SecretError(f"审计密钥过短：至少需要 {MIN_KEY_LENGTH} 个字符")
    _KEYS[engine] = key.encode()


def _mac(session: Session) -> hmac.HMAC:
    bind = session.get_bind()
    key = _KEYS.get(bind.engine)
    if key is None:
        raise RuntimeError("no audit key for this engine: call control.core.audit.use_key() when opening it")
    return hmac.new(key, digestmod=hashlib.sha256)


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers never chain onto the same predecessor."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(724011)"))


def _head(session: Session) -> tuple[int, str]:
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def record(session: Session, actor: Any, action: str, entity_type: str, entity_id: Any,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           label: str = "", changes: dict[str, Any] | None = None) -> None:
    """Append one entry in the caller's transaction. `actor` is a User or a system name string."""
    record_many(session, actor, [(action, entity_type, entity_id, before, after, label, changes)])


def record_many(session: Session, actor: Any, items: list[tuple]) -> None:
    """Append several entries at once (bulk import, scans): one lock, one chain walk, one executemany
    through the driver instead of an ORM object per entry. Ids are given here, under the lock, because
    the hash covers them."""
    mac = _mac(session)
    _lock_chain(session)
    session.flush()
    last_id, prev = _head(session)
    actor_name = actor if isinstance(actor, str) else actor.username
    actor_id = None if isinstance(actor, str) else actor.id
    request_id = current_request_id.get() or uuid.uuid4().hex
    at = now()
    rows = []
    for entry_id, (action, entity_type, entity_id, before, after, label, changes) in enumerate(items, last_id + 1):
        row = {"hash_version": KEYED, "id": entry_id, "prev_hash": prev, "at": at, "actor_id": actor_id,
               "actor": actor_name, "action": action, "entity_type": entity_type, "entity_id": str(entity_id),
               "entity_label": label[:300],
               "changes": jsonable(changes) if changes is not None else diff(before, after),
               "request_id": request_id}
        row["hash"] = prev = keyed_hash(mac, row)
        rows.append(row)
    columns = {name: [r[name] for r in rows] for name in (*KEYED_COLUMNS, "hash")}
    columns["changes"] = [compact_json(c) for c in columns["changes"]]
    insert_plain(session, AuditEntry.__table__, columns, convert=["at"])


class Checkpoint(BaseModel):
    """What an auditor keeps outside yunzhang to detect later truncation or replacement."""
    model_config = ConfigDict(extra="forbid")
    count: int = PydanticField(ge=0, le=2**63 - 1)
    last_id: int = PydanticField(ge=0, le=2**63 - 1)
    head: str = PydanticField(pattern=r"^[0-9a-f]{64}$")
    # The unkeyed (hash_version 1) entries end here; 0 when there are none. Entries past it in the old
    # scheme are a rewrite.
    legacy_last_id: int = PydanticField(0, ge=0, le=2**63 - 1)
    taken_at: datetime | None = None


def parse_checkpoint(text_: str) -> Checkpoint:
    """A checkpoint from its JSON text; ValueError with a zh-CN reason when it is not one."""
    try:
        return Checkpoint.model_validate_json(text_)
    except ValidationError:
        raise ValueError("检查点不是有效的检查点 JSON（应包含 count、last_id、head 等由 "
                         "yunzhang audit checkpoint 生成的内容）") from None


@dataclass
class Verification:
    """The outcome of a walk: entries read, the head reached, the first problems (each naming its entry,
    "第 N 条…") and how many there were in all."""
    max_problems: int
    count: int = 0
    head_id: int = 0
    head: str = GENESIS
    legacy_last_id: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    first_broken_id: int | None = None
    hint: str = ""               # what the problems together suggest

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, entry_id: int | None, message: str) -> None:
        self.problem_count += 1
        if self.first_broken_id is None:
            self.first_broken_id = entry_id
        if len(self.problems) < self.max_problems:
            self.problems.append(message)

    @property
    def message(self) -> str:
        legacy = (f"（第 {self.legacy_last_id} 条及以前是启用密钥前的旧格式记录，其对象名称、操作人编号和请求编号"
                  "不在哈希之内）") if self.legacy_last_id else ""
        if self.ok:
            return f"OK：{self.count} 条审计记录哈希链完整{legacy}"
        shown = "；".join(self.problems)
        more = f"；另有 {self.problem_count - len(self.problems)} 处问题未列出" if self.problem_count > len(
            self.problems) else ""
        return f"{self.headline}：{self.hint}{shown}{more}"

    @property
    def headline(self) -> str:
        return f"哈希链有 {self.problem_count} 处问题（共 {self.count} 条记录）"

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(count=self.count, last_id=self.head_id, head=self.head,
                          legacy_last_id=self.legacy_last_id, taken_at=now())


_READ = [AuditEntry.id, AuditEntry.hash_version, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.at,
         AuditEntry.actor_id, AuditEntry.actor, AuditEntry.action, AuditEntry.entity_type, AuditEntry.entity_id,
         AuditEntry.entity_label, cast(AuditEntry.changes, Text).label("changes"), AuditEntry.request_id]
_NAMES = [c.key for c in _READ]


def _rows(session: Session, batch: int) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(id, raw column values) in id order, as the driver returns them (no type conversion that a bad value
    could crash); a batch that cannot be read is read again entry by entry, an unreadable one giving None."""
    last_id = 0
    while True:
        page = select(*_READ).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        try:
            rows = [(r[0], dict(zip(_NAMES, r, strict=True))) for r in fetch_plain(session, page)]
        except session.get_bind().dialect.dbapi.Error:
            ids = fetch_plain(session, select(AuditEntry.id).where(AuditEntry.id > last_id)
                              .order_by(AuditEntry.id).limit(batch))
            rows = [(i, _one(session, i)) for (i,) in ids]
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0]


def _one(session: Session, entry_id: int) -> dict[str, Any] | None:
    try:
        (row,) = fetch_plain(session, select(*_READ).where(AuditEntry.id == entry_id))
    except session.get_bind().dialect.dbapi.Error:
        return None
    return dict(zip(_NAMES, row, strict=True))


def _check(row: dict[str, Any], mac: hmac.HMAC) -> str | None:
    """Why the entry's hash does not hold, or None."""
    n = row["id"]
    try:
        row["changes"] = json.loads(row["changes"])
    except (TypeError, ValueError):
        return f"第 {n} 条的变更内容不是有效的 JSON（记录损坏或被篡改）"
    at = row["at"]
    try:
        row["at"] = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return f"第 {n} 条的时间无法读取（记录损坏或被篡改）"
    try:
        if row["hash_version"] == KEYED:
            expected = keyed_hash(mac, row)
        else:
            expected = legacy_hash(row["prev_hash"], row["at"], row["actor"], row["action"], row["entity_type"],
                                   row["entity_id"], row["changes"])
    except (TypeError, ValueError):
        return f"第 {n} 条的字段无法读取（记录损坏或被篡改）"
    if expected != row["hash"]:
        return f"第 {n} 条内容与其哈希不符（记录被篡改）"
    return None


def verify_chain(session: Session, checkpoint: Checkpoint | None = None, max_problems: int = 100,
                 batch: int = 5000) -> Verification:
    """Walk the whole chain in id order and report every problem (the first `max_problems` by entry),
    then, given an auditor's checkpoint, whether the chain still reaches its head."""
    mac = _mac(session)
    result = Verification(max_problems=max_problems)
    prev_id, prev = 0, GENESIS
    keyed_seen = keyed_bad = 0
    at_checkpoint: tuple[int, str] | None = None      # (entries up to the checkpoint's last id, its hash)
    for n, row in _rows(session, batch):
        result.count += 1
        result.head_id = n
        if row is None:
            result.problem(n, f"第 {n} 条的字段无法读取（记录损坏或被篡改）")
            prev_id, prev = n, None
            continue
        if prev is not None and row["prev_hash"] != prev:
            before = f"第 {prev_id} 条" if prev_id else "链首"
            result.problem(n, f"第 {n} 条的前序哈希与{before}不符（其间的记录被删除、插入或篡改）")
        version = row["hash_version"]
        if version == KEYED:
            keyed_seen += 1
        elif version == LEGACY and keyed_seen:
            result.problem(n, f"第 {n} 条是无密钥的旧格式记录，却排在带密钥的记录之后（记录被改写）")
        elif version == LEGACY:
            result.legacy_last_id = n
        else:
            result.problem(n, f"第 {n} 条的哈希版本无法识别（记录被篡改）")
        if version in (LEGACY, KEYED):
            reason = _check(row, mac)
            if reason:
                keyed_bad += version == KEYED
                result.problem(n, reason)
        prev_id, prev = n, row["hash"]
        result.head = prev
        if checkpoint and n == checkpoint.last_id:
            at_checkpoint = (result.count, prev)
    if keyed_seen > 1 and keyed_bad == keyed_seen:
        result.hint = "所有带密钥的记录都与哈希不符：可能是审计密钥配置错误，也可能整条链被重算。"
    if checkpoint:
        _against(result, checkpoint, at_checkpoint)
    return result


def _against(result: Verification, cp: Checkpoint, at_checkpoint: tuple[int, str] | None) -> None:
    """Problems of the chain measured against an auditor's earlier checkpoint."""
    if cp.last_id and at_checkpoint is None:
        if result.head_id < cp.last_id:
            result.problem(cp.last_id, f"检查点记录到第 {cp.last_id} 条（共 {cp.count} 条），现在只到第 "
                                       f"{result.head_id} 条：第 {result.head_id + 1} 至 {cp.last_id} 条被删除")
        else:
            result.problem(cp.last_id, f"检查点的末条（第 {cp.last_id} 条）已不存在（被删除）")
    elif at_checkpoint:
        count, head = at_checkpoint
        if head != cp.head:
            result.problem(cp.last_id, f"第 {cp.last_id} 条的哈希与检查点不符（记录被替换或整条链被重算）")
        if count != cp.count:
            gap = f"少了 {cp.count - count} 条（被删除）" if count < cp.count else f"多了 {count - cp.count} 条"
            result.problem(cp.last_id, f"截至第 {cp.last_id} 条，检查点时有 {cp.count} 条记录，现有 {count} 条："
                                       f"{gap}")
    if result.legacy_last_id > cp.legacy_last_id:
        result.problem(result.legacy_last_id,
                       f"第 {cp.legacy_last_id + 1} 至 {result.legacy_last_id} 条之间出现无密钥的旧格式记录，"
                       f"检查点时旧格式记录只到第 {cp.legacy_last_id} 条（记录被改写为旧格式）")
