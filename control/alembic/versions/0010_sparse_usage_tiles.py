"""usage tiles with few values stored sparse

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 08:30:00

A tile was always 1024 systems × 32 days of float64 (256 KB), however few values it held, so values
spread over many days or systems cost a tile each (400 values 32 days apart: 100 MB). A tile whose
values fit in less than half of that is now kept as the uint16 numbers of its cells holding a value,
then those values as float64; a dense tile is unchanged. Upgrade repacks the sparse ones, downgrade
writes every tile dense again. The packing is copied here, as a migration must not follow later code.
"""
import numpy as np
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CELLS = 1024 * 32
DENSE_BYTES = CELLS * 8
BATCH = 64                                   # tiles held at once (16 MB dense)

usage_tile = sa.table('usage_tile', sa.column('metric'), sa.column('block'), sa.column('chunk'), sa.column('data'))


def _dense(blob: bytes) -> np.ndarray:
    if len(blob) == DENSE_BYTES:
        return np.frombuffer(blob, dtype=np.float64)
    n = len(blob) // 10
    out = np.full(CELLS, np.nan)
    out[np.frombuffer(blob, dtype=np.uint16, count=n)] = np.frombuffer(blob, dtype=np.float64, count=n, offset=2 * n)
    return out


def _sparse_or_dense(values: np.ndarray) -> bytes:
    held = np.flatnonzero(~np.isnan(values))
    if len(held) * 20 >= DENSE_BYTES:
        return values.tobytes()
    return held.astype(np.uint16).tobytes() + values[held].tobytes()


def _repack(pack) -> None:
    conn = op.get_bind()
    keys = conn.execute(sa.select(usage_tile.c.metric, usage_tile.c.block, usage_tile.c.chunk)).all()
    c = usage_tile.c
    for start in range(0, len(keys), BATCH):
        part = [tuple(k) for k in keys[start:start + BATCH]]
        rows = conn.execute(sa.select(c.metric, c.block, c.chunk, c.data)
                            .where(sa.tuple_(c.metric, c.block, c.chunk).in_(part))).all()
        for metric, block, chunk, data in rows:
            packed = pack(_dense(bytes(data)))
            if packed != bytes(data):
                conn.execute(usage_tile.update().where(c.metric == metric, c.block == block, c.chunk == chunk)
                             .values(data=packed))


def upgrade() -> None:
    _repack(_sparse_or_dense)


def downgrade() -> None:
    _repack(np.ndarray.tobytes)
