"""The usage store: each canonical metric packed in tiles of CHUNK_SYSTEMS consecutive system ids × 32
days as float64 (NaN where nothing was recorded). A 90-day scan of 20,000 systems reads the 300 tiles
of the five metrics it judges and counts days with array arithmetic one chunk at a time (about 90 ms
with the reading), instead of one row per system and block (0.4 s) or millions of daily rows aggregated
in SQL.
CHUNK_SYSTEMS = 1024 (256 KB a tile) measured fastest for that scan: 4096 (1 MB, beyond the CPU cache
while a tile is copied and checked) took 130 ms, 256 (four times the rows) 100–140 ms; a push for one
system rewrites its seven tiles in about 5 ms.
A tile with few values (a system's first days, a stray old day) is stored sparse, as the cell numbers and
values of the cells that hold one: the store grows with the values written, not with the spread of
their days and systems (400 values 32 days apart took 100 MB dense, 4 KB of values sparse)."""
from __future__ import annotations

import csv
import io
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import BinaryIO

import numpy as np
from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from control.core import audit
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.batch import without_gc_pauses
from control.core.clock import today
from control.core.db import fetch_plain
from control.core.errors import ValidationFailed
from control.core.roles import Role
from control.settings import Settings
from control.systems.models import InformationSystem
from control.zombies.enums import Metric
from control.zombies.models import UsageSummary, UsageTile

BLOCK_DAYS = 32
CHUNK_SYSTEMS = 1024                                 # systems per tile: see the module docstring
TILE_BATCH = 128                                     # tiles held at once while storing or reading (32 MB)
METRICS = [m.value for m in Metric]                  # a tile's metric is its index here
METRIC_INDEX = {m: i for i, m in enumerate(METRICS)}
RATIO_METRICS = {Metric.cpu_p95.value, Metric.memory_avg.value}
DEPLOYMENTS = METRIC_INDEX[Metric.deployments.value]
METRIC_WRITERS = (Role.admin, Role.infocenter, Role.ops)
DAY_CACHE = 10_000                                   # distinct day texts resolved once each
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


@dataclass(frozen=True)
class Limits:
    """What one import may make the server hold and which days it may write (YUNZHANG_METRICS_*):
    a far-flung day would cost a tile of its own, so days keep to a window around today."""
    max_rows: int
    max_line_chars: int
    max_errors: int
    max_age_days: int
    max_days_ahead: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.metrics_max_rows, settings.metrics_max_line_chars, settings.metrics_max_errors,
                   settings.metrics_max_age_days, settings.metrics_max_days_ahead)

    def days(self) -> tuple[date, date]:
        """The first and last day a value may carry."""
        return today() - timedelta(days=self.max_age_days), today() + timedelta(days=self.max_days_ahead)

    def check_range(self, start: date, end: date) -> None:
        first, last = self.days()
        if start < first or end > last:
            raise ValidationFailed(f"日期须在 {first} 至 {last} 之间", code="day_out_of_window")


def parse(session: Session, actor: Actor, records: Iterable[tuple[int, object, object, object, object]],
          limits: Limits) -> Samples:
    """Validate (row, system_code, metric, day, value) records; any error refuses them all, the first
    limits.max_errors listed and all counted. Day texts and system codes repeat, so each is resolved once."""
    actor.require(*METRIC_WRITERS)
    systems = {code: (sid if actor.can_see_path(path) else None) for code, (sid, path) in system_index(session).items()}
    errors: list[dict] = []
    problems = [0]                                   # every error, also beyond the max_errors listed
    out = Samples()
    days: dict[object, int | None] = {}
    first_day, last_day = limits.days()
    lo, hi = first_day.toordinal(), last_day.toordinal()
    add_system, add_metric, add_day = out.system.append, out.metric.append, out.day.append
    add_value, add_row = out.value.append, out.row.append
    ratio = {METRIC_INDEX[m] for m in RATIO_METRICS}

    def err(row: int, column: str, message: str, code: str) -> None:
        problems[0] += 1
        if len(errors) < limits.max_errors:
            errors.append({"row": row, "column": column, "message": message, "code": code})

    for n, (row, code, metric, day_text, value_text) in enumerate(records, start=1):
        if n > limits.max_rows:
            raise ValidationFailed(f"指标数据超过 {limits.max_rows} 行的上限，未写入任何数据，请分批导入",
                                   code="too_many_rows")
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
                ordinal = date.fromisoformat(str(day_text).strip()).toordinal()
            except ValueError:
                ordinal = None
            if len(days) < DAY_CACHE:                # a file of junk dates must not grow the cache
                days[day_text] = ordinal
        if ordinal is None:
            err(row, "day", f"日期“{day_text}”应为 YYYY-MM-DD", "invalid_date")
        elif not lo <= ordinal <= hi:
            err(row, "day", f"日期 {date.fromordinal(ordinal)} 超出可接受的范围（{first_day} 至 {last_day}）",
                "day_out_of_window")
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
        more = f"（仅列出前 {limits.max_errors} 条）" if problems[0] > limits.max_errors else ""
        raise ValidationFailed(f"指标数据有 {problems[0]} 处错误{more}，未写入任何数据", errors=errors)
    return out


def _check_duplicates(samples: Samples, err) -> None:
    system, metric, day, _, row = samples.arrays()
    key = ((system * 8 + metric) << _KEY_BITS) + day
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    for i in dup:
        err(int(row[order[i + 1]]), "day", f"与第 {int(row[order[i]])} 行重复（同一系统、指标、日期）", "duplicate_row")


CSV_HEADER = ["system_code", "metric", "day", "value"]


def read_csv(stream: BinaryIO, limits: Limits) -> Iterator[tuple[int, str, str, str, str | None]]:
    """CSV `system_code,metric,day,value` (UTF-8, BOM allowed) as parse() records, read a line at a time
    from the file (an upload spooled to disk stays there); a line longer than limits.max_line_chars is
    (its line break included) is refused rather than read whole."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    physical = [0]

    def lines() -> Iterator[str]:
        readline, most = text.readline, limits.max_line_chars
        while line := readline(most + 1):
            if len(line) > most:                     # line break included
                raise ValidationFailed(f"第 {physical[0] + 1} 行超过 {most} 个字符，不像指标数据",
                                       code="line_too_long", errors=[{"row": physical[0] + 1, "column": "",
                                                                     "code": "line_too_long",
                                                                     "message": "该行过长"}])
            physical[0] += 1
            yield line

    try:
        reader = csv.reader(lines())
        header = [h.strip() for h in next(reader, [])]
        if header != CSV_HEADER:
            raise ValidationFailed(f"CSV 表头应为 {','.join(CSV_HEADER)}，收到 {','.join(header)[:200]}",
                                   code="bad_header", errors=[{"row": 1, "column": "header", "code": "bad_header",
                                                               "message": "表头应为 system_code,metric,day,value"}])
        for row, rec in enumerate(reader, start=2):
            if len(rec) == 4:
                yield row, rec[0], rec[1], rec[2], rec[3]
            elif rec:
                yield row, rec[0], rec[1] if len(rec) > 1 else "", rec[2] if len(rec) > 2 else "", None
    except UnicodeDecodeError:
        raise ValidationFailed("CSV 文件须为 UTF-8 编码", code="not_utf8") from None
    except csv.Error as exc:
        raise ValidationFailed(f"CSV 格式错误（第 {physical[0]} 行）", code="bad_csv") from exc
    finally:
        text.detach()                                # the caller owns the file


def store(session: Session, actor: Actor, samples: Samples, source: str) -> dict:
    """Write the values into their tiles (a re-import of the same rows changes nothing) and keep each
    system's summary; one audit entry for the batch. The caller's transaction is committed."""
    actor.require(*METRIC_WRITERS)
    system, metric, day, value, _ = samples.arrays()
    seen = _Seen(system, day)
    dep_last = np.full((len(seen.chunks), CHUNK_SYSTEMS), -1, dtype=np.int64)   # day ordinal, -1: none
    dep_touched = np.zeros((len(seen.chunks), len(seen.blocks)), dtype=bool)
    if len(samples):
        _write_tiles(session, seen, metric, value, dep_last, dep_touched)
        _update_summaries(session, seen, dep_last, dep_touched)
    n_systems = len(seen.system_ids())
    audit.record(session, actor, "import", "usage_metrics", source,
                 changes={"samples": len(samples), "systems": n_systems, "days": int(seen.days.any(axis=(0, 2)).sum())},
                 label=f"使用指标（{source}）")
    session.commit()
    return {"samples": len(samples), "systems": n_systems, "system_days": int(seen.days.sum())}


def _ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, rank of each value among them) by counting, not sorting: chunk and block
    numbers span a few million at most, while a province import holds tens of millions of samples."""
    if not len(values):
        return values, values
    lo = int(values.min())
    present = np.bincount(values - lo) > 0
    return np.flatnonzero(present) + lo, (np.cumsum(present) - 1)[values - lo]


class _Seen:
    """Where the samples fall: their chunks and blocks (sorted), each sample's rank in both, its row in
    the tile and its day in the block, and `days`, the (chunk × block × system × day) cells sampled."""

    def __init__(self, system: np.ndarray, day: np.ndarray) -> None:
        self.chunks, self.chunk_rank = _ranks(system // CHUNK_SYSTEMS)
        self.blocks, self.block_rank = _ranks(day // BLOCK_DAYS)
        self.row, self.offset = system % CHUNK_SYSTEMS, day % BLOCK_DAYS
        self.days = np.zeros((len(self.chunks), len(self.blocks), CHUNK_SYSTEMS, BLOCK_DAYS), dtype=bool)
        self.days[self.chunk_rank, self.block_rank, self.row, self.offset] = True

    def system_ids(self) -> np.ndarray:
        """The sampled systems, sorted."""
        k, r = np.nonzero(self.days.any(axis=(1, 3)))
        return self.chunks[k] * CHUNK_SYSTEMS + r

    def span(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last sampled day ordinal of each sampled system (in system_ids order)."""
        k, r = np.nonzero(self.days.any(axis=(1, 3)))
        flat = self.days[k, :, r, :].reshape(len(k), -1)                       # (systems, blocks × days)
        first, last = flat.argmax(1), flat.shape[1] - 1 - flat[:, ::-1].argmax(1)
        return (self.blocks[first // BLOCK_DAYS] * BLOCK_DAYS + first % BLOCK_DAYS,
                self.blocks[last // BLOCK_DAYS] * BLOCK_DAYS + last % BLOCK_DAYS)


def _write_tiles(session: Session, seen: _Seen, metric: np.ndarray, value: np.ndarray,
                 dep_last: np.ndarray, dep_touched: np.ndarray) -> None:
    """Read-modify-write the touched tiles, TILE_BATCH at a time so that a year-long province import does
    not hold every tile at once; note each touched row's last deployment day in the touched tiles."""
    nb, nc = len(seen.blocks), len(seen.chunks)
    tile = (metric * nb + seen.block_rank) * nc + seen.chunk_rank                # dense over (metric, block, chunk)
    present = np.flatnonzero(np.bincount(tile, minlength=len(METRICS) * nb * nc))
    slot = np.zeros(len(METRICS) * nb * nc, dtype=np.int64)
    for start in range(0, len(present), TILE_BATCH):
        batch = present[start:start + TILE_BATCH]
        slot[batch] = np.arange(len(batch))
        sel = (slice(None) if len(present) <= TILE_BATCH else
               np.flatnonzero((tile >= batch[0]) & (tile <= batch[-1])))
        m, rest = np.divmod(batch, nb * nc)
        b, c = np.divmod(rest, nc)
        keys = list(zip(m.tolist(), seen.blocks[b].tolist(), seen.chunks[c].tolist(), strict=False))
        data = np.full((len(batch), CHUNK_SYSTEMS, BLOCK_DAYS), np.nan)
        position = {key: i for i, key in enumerate(keys)}
        for *key, blob in session.execute(select(UsageTile.metric, UsageTile.block, UsageTile.chunk, UsageTile.data)
                                          .where(tuple_(UsageTile.metric, UsageTile.block, UsageTile.chunk).in_(keys))):
            data[position[tuple(key)]] = unpack(blob)
        data[slot[tile[sel]], seen.row[sel], seen.offset[sel]] = value[sel]
        _write(session, keys, data)
        for i in np.flatnonzero(m == DEPLOYMENTS).tolist():
            deployed = np.nan_to_num(data[i]) > 0
            last = seen.blocks[b[i]] * BLOCK_DAYS + BLOCK_DAYS - 1 - deployed[:, ::-1].argmax(1)
            dep_last[c[i]] = np.where(deployed.any(1), np.maximum(dep_last[c[i]], last), dep_last[c[i]])
            dep_touched[c[i], b[i]] = True


def _write(session: Session, keys: list[tuple[int, int, int]], data: np.ndarray) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(UsageTile)
    stmt = stmt.on_conflict_do_update(index_elements=["metric", "block", "chunk"], set_={"data": stmt.excluded.data})
    session.execute(stmt, [{"metric": m, "block": b, "chunk": c, "data": pack(data[i])}
                           for i, (m, b, c) in enumerate(keys)])


TILE_CELLS = CHUNK_SYSTEMS * BLOCK_DAYS
DENSE_BYTES = TILE_CELLS * 8
_SPARSE_BYTES = 10                                   # a uint16 cell number and a float64 value


def pack(tile: np.ndarray) -> bytes:
    """A tile's stored form: every cell as float64 (NaN where nothing was recorded), or, when that takes
    less room, the numbers (uint16) and then the values (float64) of the cells that hold a value. The
    two never have the same length: a sparse tile is kept below half the dense size."""
    flat = tile.reshape(-1)
    held = np.flatnonzero(~np.isnan(flat))
    if len(held) * _SPARSE_BYTES * 2 >= DENSE_BYTES:
        return flat.tobytes()
    return held.astype(np.uint16).tobytes() + flat[held].tobytes()


def unpack(blob: bytes) -> np.ndarray:
    """The (CHUNK_SYSTEMS × BLOCK_DAYS) values of a stored tile, either form."""
    if len(blob) == DENSE_BYTES:
        return np.frombuffer(blob, dtype=np.float64).reshape(CHUNK_SYSTEMS, BLOCK_DAYS)
    n = len(blob) // _SPARSE_BYTES
    out = np.full(TILE_CELLS, np.nan)
    out[np.frombuffer(blob, dtype=np.uint16, count=n)] = np.frombuffer(blob, dtype=np.float64, count=n, offset=2 * n)
    return out.reshape(CHUNK_SYSTEMS, BLOCK_DAYS)


def _update_summaries(session: Session, seen: _Seen, dep_last: np.ndarray, dep_touched: np.ndarray) -> None:
    """First and last observed day and last deployment day of each sampled system. Values are only ever
    added or overwritten, so the span only grows; a system whose last deployment sat in a rewritten tile
    that lost it has its last deployment recomputed from all its deployment tiles."""
    ids = seen.system_ids()
    firsts, lasts = seen.span()
    chunk_rank = np.searchsorted(seen.chunks, ids // CHUNK_SYSTEMS)
    fresh_dep = dep_last[chunk_rank, ids % CHUNK_SYSTEMS]
    block_of = {int(blk): i for i, blk in enumerate(seen.blocks.tolist())}
    lost: dict[int, UsageSummary] = {}
    ids_list = ids.tolist()
    for start in range(0, len(ids_list), 500):
        part = ids_list[start:start + 500]
        existing = {s.system_id: s for s in session.execute(
            select(UsageSummary).where(UsageSummary.system_id.in_(part))).scalars()}
        for i, sid in enumerate(part, start=start):
            first, last = date.fromordinal(int(firsts[i])), date.fromordinal(int(lasts[i]))
            dep = date.fromordinal(int(fresh_dep[i])) if fresh_dep[i] >= 0 else None
            s = existing.get(sid)
            if s is None:
                session.add(UsageSummary(system_id=sid, first_day=first, last_day=last, last_deployment_day=dep))
                continue
            old = s.last_deployment_day
            old_block = block_of.get(old.toordinal() // BLOCK_DAYS) if old else None
            if old_block is not None and dep_touched[chunk_rank[i], old_block] and (dep is None or dep < old):
                lost[sid] = s
            elif old and (dep is None or old > dep):
                dep = old
            s.first_day, s.last_day, s.last_deployment_day = min(s.first_day, first), max(s.last_day, last), dep
    for sid, day in _last_deployments(session, sorted(lost)).items():
        lost[sid].last_deployment_day = day
    session.flush()


def _last_deployments(session: Session, system_ids: list[int]) -> dict[int, date | None]:
    """The last day with a deployment of each system, from every deployment tile of its chunk."""
    out: dict[int, date | None] = {}
    ids = np.asarray(system_ids, dtype=np.int64)
    for chunk in np.unique(ids // CHUNK_SYSTEMS).tolist():
        rows = ids[ids // CHUNK_SYSTEMS == chunk] - chunk * CHUNK_SYSTEMS
        last = np.full(len(rows), -1, dtype=np.int64)
        for blk, blob in session.execute(select(UsageTile.block, UsageTile.data).where(
                UsageTile.metric == DEPLOYMENTS, UsageTile.chunk == chunk)).all():
            deployed = np.nan_to_num(unpack(blob)[rows]) > 0
            day = blk * BLOCK_DAYS + BLOCK_DAYS - 1 - deployed[:, ::-1].argmax(1)
            last = np.where(deployed.any(1), np.maximum(last, day), last)
        out.update({chunk * CHUNK_SYSTEMS + int(r): date.fromordinal(int(d)) if d >= 0 else None
                    for r, d in zip(rows.tolist(), last.tolist(), strict=False)})
    return out


def window(session: Session, start: date, end: date, system_ids: list[int] | None = None,
           metrics: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(system ids, values) for the days start..end: values is (systems × metrics × days) in the order of
    `metrics` (distinct; default all METRICS), NaN where nothing was recorded. Without system_ids, the
    systems with at least one value of those metrics in the range, sorted; with them, exactly those,
    sorted. Reads only the tiles of those metrics, blocks (and chunks)."""
    if system_ids is None:
        parts = [(ids, values.copy()) for ids, values in windows(session, start, end, metrics)]
        ids = np.concatenate([ids for ids, _ in parts] or [np.zeros(0, dtype=np.int64)])
        values = np.concatenate([values for _, values in parts] or [
            np.zeros((0, len(metrics or METRICS), (end - start).days + 1))])
        present = ~np.isnan(values).all(axis=(1, 2))
        return ids[present], values[present]
    ids = np.unique(np.asarray(system_ids, dtype=np.int64))
    column, days_of, by_chunk = _tiles(session, start, end, metrics, np.unique(ids // CHUNK_SYSTEMS).tolist())
    out = np.full((len(ids), len(column), (end - start).days + 1), np.nan)
    for chunk, tiles in by_chunk:
        lo, hi = np.searchsorted(ids, [chunk * CHUNK_SYSTEMS, (chunk + 1) * CHUNK_SYSTEMS])
        for m, blk, _, blob in tiles:
            into, held = days_of(blk)
            out[lo:hi, column[m], into] = unpack(blob)[ids[lo:hi] - chunk * CHUNK_SYSTEMS, held]
    return ids, out


def windows(session: Session, start: date, end: date, metrics: list[str] | None = None,
            since: Mapping[str, date] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """window() one chunk of CHUNK_SYSTEMS ids at a time, in id order: every id of a chunk with a tile,
    NaN rows for those without values. A province-wide scan counts over 4 MB at a time instead of
    filling 70 MB; the values array is reused for the next chunk, so copy what you keep. `since` names,
    per metric, the first day its reader looks at: blocks wholly before it are not read (their days
    stay NaN), so a 30-day criterion does not fetch the 90 days another one needs."""
    column, days_of, by_chunk = _tiles(session, start, end, metrics, since=since)
    out = np.empty((CHUNK_SYSTEMS, len(column), (end - start).days + 1))
    for chunk, tiles in by_chunk:
        out.fill(np.nan)
        for m, blk, _, blob in tiles:
            into, held = days_of(blk)
            out[:, column[m], into] = unpack(blob)[:, held]
        yield np.arange(chunk * CHUNK_SYSTEMS, (chunk + 1) * CHUNK_SYSTEMS), out


def _tiles(session: Session, start: date, end: date, metrics: list[str] | None, chunks: list[int] | None = None,
           since: Mapping[str, date] | None = None
           ) -> tuple[dict[int, int], Callable[[int], tuple[slice, slice]], Iterator[tuple[int, Iterable[tuple]]]]:
    """The tiles of `metrics` (distinct; default all) over start..end (each metric from its `since` day, if
    later), of `chunks` (default every chunk holding one): each metric's position in `metrics`, where a
    block's days fall in the window, and the rows (metric, block, chunk, data) chunk by chunk, read about
    TILE_BATCH tiles a query."""
    metrics = METRICS if metrics is None else metrics
    column = {METRIC_INDEX[m]: i for i, m in enumerate(metrics)}
    if len(column) != len(metrics):
        raise ValueError(f"metrics named twice: {metrics}")
    first, last = start.toordinal(), end.toordinal()
    b0, b1 = first // BLOCK_DAYS, last // BLOCK_DAYS
    from_block: dict[int, list[int]] = {}
    for m in metrics:
        day = max(first, (since or {}).get(m, start).toordinal())
        from_block.setdefault(day // BLOCK_DAYS, []).append(METRIC_INDEX[m])
    where = (or_(*(and_(UsageTile.metric.in_(sorted(ms)), UsageTile.block.between(b, b1))
                   for b, ms in sorted(from_block.items()))),)
    if chunks is None:
        chunks = sorted(c for c, in fetch_plain(session, select(UsageTile.chunk).distinct().where(*where)))
    per_query = max(1, TILE_BATCH // (len(column) * (b1 - b0 + 1)))

    def days_of(blk: int) -> tuple[slice, slice]:
        """Where block blk's days fall in the window, and which of them it holds."""
        lo, hi = max(first, blk * BLOCK_DAYS), min(last, blk * BLOCK_DAYS + BLOCK_DAYS - 1)
        return slice(lo - first, hi - first + 1), slice(lo - blk * BLOCK_DAYS, hi - blk * BLOCK_DAYS + 1)

    def by_chunk() -> Iterator[tuple[int, Iterable[tuple]]]:
        for i in range(0, len(chunks), per_query):
            rows = fetch_plain(session, select(UsageTile.metric, UsageTile.block, UsageTile.chunk, UsageTile.data)
                               .where(*where, UsageTile.chunk.in_(chunks[i:i + per_query])))
            # sorted here, not by ORDER BY: SQLite's sorter would copy every tile
            yield from groupby(sorted(rows, key=itemgetter(2)), key=itemgetter(2))
    return column, days_of, by_chunk()


def series(session: Session, system_id: int, metric: Metric, start: date, end: date) -> list[tuple[date, float | None]]:
    """One metric of one system, a point per day (None where nothing was recorded): one tile per block."""
    _, values = window(session, start, end, [system_id], [metric.value])
    return [
        (start + timedelta(days=i), None if math.isnan(v) else float(v)) for i, v in enumerate(values[0, 0].tolist())
    ]


def import_csv(session: Session, actor: Actor, stream: BinaryIO, limits: Limits) -> dict:
    """A CSV file (read as it is parsed, never whole) into the store: all or nothing."""
    with without_gc_pauses(), closing(read_csv(stream, limits)) as records:   # closed while the file is open
        return store(session, actor, parse(session, actor, records, limits), "csv")
