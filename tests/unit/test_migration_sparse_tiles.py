"""0010 repacks usage tiles with few values sparse, and its downgrade writes them dense again."""
from datetime import date

import numpy as np
from sqlalchemy import text
from sqlmodel import Session

from control.core.db import make_engine
from control.core.migrate import alembic_config, upgrade
from control.zombies import usage
from control.zombies.enums import Metric
from tests.unit.test_migrations import old_database

DAY = date(2026, 11, 3)


def tile_sizes(url: str) -> dict[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        sizes = dict(conn.execute(text("SELECT metric, length(data) FROM usage_tile")).all())
    engine.dispose()
    return sizes


def test_sparse_tiles_upgrade_and_downgrade(tmp_path):
    from alembic import command
    few = np.full((usage.CHUNK_SYSTEMS, usage.BLOCK_DAYS), np.nan)
    few[1, DAY.toordinal() % 32] = 12.0                                  # system 1: one value
    full = np.random.default_rng(1).uniform(0, 1, few.shape)            # every cell: stays dense
    full[1, DAY.toordinal() % 32] = 0.5
    block = DAY.toordinal() // 32
    url = old_database(tmp_path, "0007")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO usage_tile (metric, block, chunk, data) VALUES (:m, :b, 0, :d)"),
                     [{"m": usage.METRIC_INDEX["requests"], "b": block, "d": few.tobytes()},
                      {"m": usage.METRIC_INDEX["cpu_p95"], "b": block, "d": full.tobytes()}])
    engine.dispose()
    upgrade(url)
    sizes = tile_sizes(url)
    assert sizes[usage.METRIC_INDEX["requests"]] == 10 and sizes[usage.METRIC_INDEX["cpu_p95"]] == usage.DENSE_BYTES
    engine = make_engine(url)
    with Session(engine) as session:
        assert usage.series(session, 1, Metric.requests, DAY, DAY) == [(DAY, 12.0)]
        assert usage.series(session, 1, Metric.cpu_p95, DAY, DAY) == [(DAY, 0.5)]
        _, values = usage.window(session, DAY, DAY, [0, 1, 2], ["requests"])
        assert np.isnan(values[[0, 2]]).all()
    engine.dispose()
    command.downgrade(alembic_config(url), "0007")
    assert set(tile_sizes(url).values()) == {usage.DENSE_BYTES}
    engine = make_engine(url)
    with engine.connect() as conn:
        data = conn.execute(text("SELECT data FROM usage_tile WHERE metric = :m"),
                            {"m": usage.METRIC_INDEX["requests"]}).scalar()
    engine.dispose()
    assert np.array_equal(np.frombuffer(data).reshape(few.shape), few, equal_nan=True)


def test_pack_round_trip():
    tile = np.full((usage.CHUNK_SYSTEMS, usage.BLOCK_DAYS), np.nan)
    assert usage.pack(tile) == b"" and np.isnan(usage.unpack(b"")).all()
    tile[1023, 31], tile[0, 0] = 7.0, 0.0
    assert len(usage.pack(tile)) == 20
    assert np.array_equal(usage.unpack(usage.pack(tile)), tile, equal_nan=True)
    tile[:600] = 1.0                                                     # more than 40 % of the cells: dense
    assert len(usage.pack(tile)) == usage.DENSE_BYTES
    assert np.array_equal(usage.unpack(usage.pack(tile)), tile, equal_nan=True)
