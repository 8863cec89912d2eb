"""The usage store: the seven canonical metrics of each system, packed per 32-day block as float64
(metric × day, NaN where nothing was recorded; 1.8 KB, inside one database page). A 90-day scan of
20,000 systems reads three or four rows per system and counts days with array arithmetic, instead of
aggregating millions of daily rows in SQL."""
from __future__ import annotations

import csv
import io
import math
from array import array
from datetime import date, timedelta
from typing import Iterable

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from control.core import audit
from control.core.auth import Actor
from control.core.batch import without_gc_pauses
from control.core.db import fetch_plain
from control.core.errors import ValidationFailed
from control.org.models import Department, Role
from control.systems.models import InformationSystem
from control.zombies.enums import Metric
from control.zombies.models import UsageBlock, UsageSummary

BLOCK_DAYS = 32
METRICS = [m.value for m in Metric]                  # the row order inside a block
METRIC_INDEX = {m: i for i, m in enumerate(METRICS)}
RATIO_METRICS = {Metric.cpu_p95.value, Metric.memory_avg.value}
DEPLOYMENTS = METRIC_INDEX[Metric.deployments.value]
METRIC_WRITERS = (Role.admin, Role.infocenter, Role.ops)
MAX_ERRORS = 200
_KEY_BITS = 22                                       # every day ordinal (date.max is 3,652,059 < 2**22)


class Samples:
    """Validated daily values as parallel arrays: system id, metric index, day ordinal, value, and the
    source row number (for duplicate errors)."""

    def __init__(self) -> None:
        self.system, self.metric, self.day = array("q"), array("q"), array("q")
        self.value, self.row = array("d"), array("q")

    def add(self, system_id: int, metric: str, day: date, value: float, row: int = 0) -> None:
        self.system.append(system_id)
        self.metric.append(METRIC_INDEX[metric])
        self.day.append(day.toordinal())
        self.value.append(value)
        self.row.append(row)

    def __len__(self) -> int:
        return len(self.value)

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.frombuffer(a, dtype=np.int64 if a.typecode == "q" else np.float64) if len(a) else
                     np.zeros(0, dtype=np.int64 if a.typecode == "q" else np.float64)
                     for a in (self.system, self.metric, self.day, self.value, self.row))


def system_index(session: Session) -> dict[str, tuple[int, str]]:
    """code → (system id, department path) of every live system."""
    rows = session.execute(select(InformationSystem.code, InformationSystem.id, Department.path)
                           .join(Department, Department.id == InformationSystem.department_id)
                           .where(InformationSystem.deleted_at.is_(None))).all()
    return {code: (sid, path) for code, sid, path in rows}


def parse(session: Session, actor: Actor, records: Iterable[tuple[int, object, object, object, object]]) -> Samples:
    """Validate (row, system_code, metric, day, value) records; any error refuses them all. Day texts
    and system codes repeat, so each is resolved once."""
    actor.require(*METRIC_WRITERS)
    systems = {code: (sid if actor.can_see_path(path) else None) for code, (sid, path) in system_index(session).items()}
    errors: list[dict] = []
    problems = [0]                                   # every error, also beyond the MAX_ERRORS listed
    out = Samples()
    days: dict[object, int | None] = {}
    add_system, add_metric, add_day = out.system.append, out.metric.append, out.day.append
    add_value, add_row = out.value.append, out.row.append
    ratio = {METRIC_INDEX[m] for m in RATIO_METRICS}

    def err(row: int, column: str, message: str, code: str) -> None:
        problems[0] += 1
        if len(errors) < MAX_ERRORS:
            errors.append({"row": row, "column": column, "message": message, "code": code})

    for row, code, metric, day_text, value_text in records:
        before = problems[0]
        code = str(code or "").strip()
        sid = systems.get(code, -1)
        if sid == -1:
            err(row, "system_code", f"系统编码“{code}”不在清单中", "unknown_system")
        elif sid is None:
            err(row, "system_code", f"无权为系统 {code} 写入指标", "forbidden_system")
        m = METRIC_INDEX.get(str(metric or "").strip(), -1)
        if m == -1:
            err(row, "metric", f"指标“{metric}”不是规范指标之一：{', '.join(sorted(METRICS))}", "unknown_metric")
        ordinal = days.get(day_text, 0)
        if ordinal == 0:
            try:
                ordinal = days[day_text] = date.fromisoformat(str(day_text).strip()).toordinal()
            except ValueError:
                ordinal = days[day_text] = None
        if ordinal is None:
            err(row, "day", f"日期“{day_text}”应为 YYYY-MM-DD", "invalid_date")
        try:
            value = float(value_text)
        except (TypeError, ValueError):
            value = math.nan
        if not 0 <= value < math.inf:
            err(row, "value", f"数值“{value_text}”应为非负数", "invalid_value")
            continue
        if m in ratio and value > 1:
            err(row, "value", f"{metric} 是 0–1 之间的比例，收到 {value:g}", "out_of_range")
        if problems[0] > before:
            continue
        add_system(sid), add_metric(m), add_day(ordinal), add_value(value), add_row(row)
    _check_duplicates(out, err)
    if errors:
        more = f"（仅列出前 {MAX_ERRORS} 条）" if problems[0] > MAX_ERRORS else ""
        raise ValidationFailed(f"指标数据有 {problems[0]} 处错误{more}，未写入任何数据", errors=errors)
    return out


def _check_duplicates(samples: Samples, err) -> None:  # noqa: ANN001
    system, metric, day, _, row = samples.arrays()
    key = ((system * 8 + metric) << _KEY_BITS) + day
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    for i in dup:
        err(int(row[order[i + 1]]), "day", f"与第 {int(row[order[i]])} 行重复（同一系统、指标、日期）", "duplicate_row")


def read_csv(data: bytes) -> Iterable[tuple[int, str, str, str, str]]:
    """CSV `system_code,metric,day,value` (UTF-8, BOM allowed) as parse() records."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("CSV 文件须为 UTF-8 编码", code="not_utf8") from None
    reader = csv.reader(io.StringIO(text))
    expected = ["system_code", "metric", "day", "value"]
    header = [h.strip() for h in next(reader, [])]
    if header != expected:
        raise ValidationFailed(f"CSV 表头应为 {','.join(expected)}，收到 {','.join(header)}",
                               code="bad_header", errors=[{"row": 1, "column": "header", "code": "bad_header",
                                                           "message": "表头应为 system_code,metric,day,value"}])

    def records() -> Iterable[tuple[int, str, str, str, str]]:
        for row, rec in enumerate(reader, start=2):
            if len(rec) == 4:
                yield row, rec[0], rec[1], rec[2], rec[3]
            elif rec:
                yield row, rec[0], rec[1] if len(rec) > 1 else "", rec[2] if len(rec) > 2 else "", None
    return records()


def store(session: Session, actor: Actor, samples: Samples, source: str) -> dict:
    """Write the values into their blocks (a re-import of the same rows changes nothing) and keep
    each system's summary; one audit entry for the batch. The caller's transaction is committed."""
    actor.require(*METRIC_WRITERS)
    system, metric, day, value, _ = samples.arrays()
    block, offset = day // BLOCK_DAYS, day % BLOCK_DAYS
    keys, slot = np.unique((system << _KEY_BITS) + block, return_inverse=True)
    key_system, key_block = keys >> _KEY_BITS, keys & ((1 << _KEY_BITS) - 1)
    data = np.full((len(keys), len(METRICS), BLOCK_DAYS), np.nan)
    if len(keys):
        for pos, stored in _existing(session, keys, key_system, key_block):
            data[pos] = stored
        data[slot, metric, offset] = value
        _write(session, key_system, key_block, data)
        _update_summaries(session, key_system, key_block, data)
    system_days = len(np.unique((system << _KEY_BITS) + day))
    n_systems = len(np.unique(system))
    audit.record(session, actor, "import", "usage_metrics", source,
                 changes={"samples": len(samples), "systems": n_systems,
                          "days": len(np.unique(day))}, label=f"使用指标（{source}）")
    session.commit()
    return {"samples": len(samples), "systems": n_systems, "system_days": system_days}


def _existing(session: Session, keys: np.ndarray, key_system: np.ndarray, key_block: np.ndarray):  # noqa: ANN202
    """(position in keys, stored block) for every block about to be written that already exists."""
    ids = np.unique(key_system).tolist()
    lo, hi = int(key_block.min()), int(key_block.max())
    for start in range(0, len(ids), 500):
        rows = session.execute(select(UsageBlock.system_id, UsageBlock.block, UsageBlock.data).where(
            UsageBlock.system_id.in_(ids[start:start + 500]), UsageBlock.block.between(lo, hi))).all()
        for sid, blk, blob in rows:
            pos = int(np.searchsorted(keys, (sid << _KEY_BITS) + blk))
            if pos < len(keys) and keys[pos] == (sid << _KEY_BITS) + blk:
                yield pos, unpack(blob)


def _write(session: Session, key_system: np.ndarray, key_block: np.ndarray, data: np.ndarray) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(UsageBlock)
    stmt = stmt.on_conflict_do_update(index_elements=["system_id", "block"], set_={"data": stmt.excluded.data})
    rows = [{"system_id": int(s), "block": int(b), "data": data[i].tobytes()}
            for i, (s, b) in enumerate(zip(key_system.tolist(), key_block.tolist()))]
    for start in range(0, len(rows), 2000):
        session.execute(stmt, rows[start:start + 2000])


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float64).reshape(len(METRICS), BLOCK_DAYS)


def _day_of(block: int, offset: int) -> date:
    return date.fromordinal(block * BLOCK_DAYS + offset)


def _update_summaries(session: Session, key_system: np.ndarray, key_block: np.ndarray, data: np.ndarray) -> None:
    """First and last observed day and last deployment day per system, from the blocks just written;
    a system whose previous last deployment sat in a rewritten block that lost it is recomputed whole."""
    observed = ~np.isnan(data).all(axis=1)                                        # (blocks, days)
    deployed = np.nan_to_num(data[:, DEPLOYMENTS, :]) > 0
    fresh: dict[int, list] = {}
    for i, (sid, blk) in enumerate(zip(key_system.tolist(), key_block.tolist())):
        if not observed[i].any():
            continue
        days = np.flatnonzero(observed[i])
        dep = np.flatnonzero(deployed[i])
        first, last = _day_of(blk, int(days[0])), _day_of(blk, int(days[-1]))
        last_dep = _day_of(blk, int(dep[-1])) if len(dep) else None
        f = fresh.setdefault(sid, [first, last, last_dep, set()])
        f[0], f[1] = min(f[0], first), max(f[1], last)
        f[2] = max(d for d in (f[2], last_dep) if d) if (f[2] or last_dep) else None
        f[3].add(blk)
    ids = sorted(fresh)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        existing = {s.system_id: s for s in session.execute(
            select(UsageSummary).where(UsageSummary.system_id.in_(chunk))).scalars()}
        for sid in chunk:
            first, last, last_dep, blocks = fresh[sid]
            s = existing.get(sid)
            if s is None:
                session.add(UsageSummary(system_id=sid, first_day=first, last_day=last, last_deployment_day=last_dep))
                continue
            old_dep = s.last_deployment_day
            if old_dep and old_dep.toordinal() // BLOCK_DAYS in blocks and (last_dep is None or last_dep < old_dep):
                last_dep = _last_deployment(session, sid)
            elif old_dep and (last_dep is None or old_dep > last_dep):
                last_dep = old_dep
            s.first_day, s.last_day, s.last_deployment_day = min(s.first_day, first), max(s.last_day, last), last_dep
    session.flush()


def _last_deployment(session: Session, system_id: int) -> date | None:
    last = None
    for blk, blob in session.execute(select(UsageBlock.block, UsageBlock.data)
                                     .where(UsageBlock.system_id == system_id)).all():
        dep = np.flatnonzero(np.nan_to_num(unpack(blob)[DEPLOYMENTS]) > 0)
        if len(dep):
            day = _day_of(blk, int(dep[-1]))
            last = max(last, day) if last else day
    return last


def window(session: Session, start: date, end: date, system_ids: list[int] | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """(system ids, values) for the days start..end: values is (systems × metrics × days), NaN where
    nothing was recorded; only systems with at least one stored block in the range appear."""
    first, last = start.toordinal(), end.toordinal()
    stmt = select(UsageBlock.system_id, UsageBlock.block, UsageBlock.data).where(
        UsageBlock.block.between(first // BLOCK_DAYS, last // BLOCK_DAYS))
    if system_ids is not None:
        stmt = stmt.where(UsageBlock.system_id.in_(system_ids))
    rows = fetch_plain(session, stmt)
    ids = np.unique(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    out = np.full((len(ids), len(METRICS), last - first + 1), np.nan)
    by_block: dict[int, list] = {}
    for r in rows:
        by_block.setdefault(r[1], []).append(r)
    for blk, part in by_block.items():
        values = np.frombuffer(b"".join(r[2] for r in part), dtype=np.float64).reshape(
            len(part), len(METRICS), BLOCK_DAYS)
        lo, hi = max(first, blk * BLOCK_DAYS), min(last, blk * BLOCK_DAYS + BLOCK_DAYS - 1)
        where = np.searchsorted(ids, np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part)))
        out[where, :, lo - first:hi - first + 1] = values[:, :, lo - blk * BLOCK_DAYS:hi - blk * BLOCK_DAYS + 1]
    return ids, out


def series(session: Session, system_id: int, metric: Metric, start: date, end: date) -> list[tuple[date, float | None]]:
    """One metric of one system, a point per day (None where nothing was recorded)."""
    ids, values = window(session, start, end, [system_id])
    row = values[0, METRIC_INDEX[metric.value]] if len(ids) else np.full((end - start).days + 1, np.nan)
    return [(start + timedelta(days=i), None if math.isnan(v) else float(v)) for i, v in enumerate(row.tolist())]


def import_csv(session: Session, actor: Actor, data: bytes) -> dict:
    with without_gc_pauses():
        return store(session, actor, parse(session, actor, read_csv(data)), "csv")
