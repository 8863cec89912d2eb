"""PostgreSQL settings of a 2-core / 4 GB deployment, durable: the one place they are written down. The
benchmark driver starts its throw-away server with them; README's deployment notes copy them as a
postgresql.conf snippet (tests/unit/test_bench_table.py checks the two agree)."""
from __future__ import annotations

DEPLOYMENT_SETTINGS: dict[str, str] = {
    "fsync": "on",                          # a committed row survives a power cut
    "synchronous_commit": "on",             # COMMIT returns once the WAL is on disk, not before
    "full_page_writes": "on",               # a page torn by a crash mid-write is restored from WAL
    "shared_buffers": "1GB",                # a quarter of RAM, the usual start for a dedicated server
    "effective_cache_size": "3GB",          # the planner's guess of PostgreSQL + OS cache: RAM less the app
    "work_mem": "16MB",                     # per sort/hash node; 50 connections × a few nodes stays < 1 GB
    "maintenance_work_mem": "256MB",        # CREATE INDEX (GIN trigram) and VACUUM build in memory
    "max_connections": "50",                # two replicas × pool (size + overflow) plus CLI and admin, no more
    "random_page_cost": "1.1",              # SSD storage: a random read costs about a sequential one
    "effective_io_concurrency": "200",      # SSDs serve many prefetches at once (bitmap heap scans)
    "wal_buffers": "16MB",                  # the WAL segment size: bulk imports do not stall on WAL writes
    "checkpoint_completion_target": "0.9",  # spread checkpoint writes over 90% of the interval
}


def conf_snippet() -> str:
    """The settings as postgresql.conf lines, for README's deployment notes."""
    return "".join(f"{name} = {value}\n" for name, value in DEPLOYMENT_SETTINGS.items())
