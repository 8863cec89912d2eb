"""usage metrics packed per system and 32-day block

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 06:00:00

A scan over one row per system per day spent seconds aggregating in SQL at province scale; the values
move into float64 blocks (metric × day, NaN for missing), the rows already stored are carried over.
"""
import numpy as np
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BLOCK_DAYS = 32
METRICS = ["cpu_p95", "memory_avg", "network_bytes", "requests", "active_users", "logins", "deployments"]


def upgrade() -> None:
    op.create_table('usage_block',
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('block', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['system_id'], ['information_system.id'], ),
    sa.PrimaryKeyConstraint('system_id', 'block')
    )
    with op.batch_alter_table('usage_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_block_block'), ['block'], unique=False)

    conn = op.get_bind()
    day, usage_block = sa.column('day', sa.Date()), sa.table('usage_block', sa.column('system_id'),
                                                             sa.column('block'), sa.column('data'))
    rows = conn.execute(sa.select(sa.column('system_id'), day, *(sa.column(m) for m in METRICS))
                        .select_from(sa.table('usage_day')).order_by('system_id', 'day'))
    blocks: dict[tuple[int, int], np.ndarray] = {}
    for system_id, d, *values in rows:
        key = (system_id, d.toordinal() // BLOCK_DAYS)
        block = blocks.get(key)
        if block is None:
            block = blocks[key] = np.full((len(METRICS), BLOCK_DAYS), np.nan)
        block[:, d.toordinal() % BLOCK_DAYS] = [np.nan if v is None else v for v in values]
    if blocks:
        conn.execute(usage_block.insert(), [{"system_id": s, "block": b, "data": v.tobytes()}
                                            for (s, b), v in blocks.items()])

    with op.batch_alter_table('usage_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_day_day'))
    op.drop_table('usage_day')


def downgrade() -> None:
    op.create_table('usage_day',
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    *(sa.Column(m, sa.Float(), nullable=True) for m in METRICS),
    sa.ForeignKeyConstraint(['system_id'], ['information_system.id'], ),
    sa.PrimaryKeyConstraint('system_id', 'day')
    )
    with op.batch_alter_table('usage_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_day_day'), ['day'], unique=False)
    from datetime import date
    conn = op.get_bind()
    usage_day = sa.table('usage_day', sa.column('system_id'), sa.column('day'), *(sa.column(m) for m in METRICS))
    out = []
    for system_id, block, data in conn.execute(sa.text("SELECT system_id, block, data FROM usage_block")):
        values = np.frombuffer(data, dtype=np.float64).reshape(len(METRICS), BLOCK_DAYS)
        for offset in np.flatnonzero(~np.isnan(values).all(axis=0)):
            out.append(
                {
                    "system_id": system_id,
                    "day": date.fromordinal(block * BLOCK_DAYS + int(offset)),
                    **{m: None if np.isnan(v) else float(v) for m, v in zip(METRICS, values[:, offset], strict=False)},
                }
            )
    if out:
        conn.execute(usage_day.insert(), out)
    with op.batch_alter_table('usage_block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_block_block'))
    op.drop_table('usage_block')
