"""Run the Alembic migrations programmatically (yunzhang db upgrade, make run, tests)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """What schema comparison looks at: not the SQLite search index of migration 0005 (an FTS5 table and
    its shadow tables, which no model declares)."""
    return not (type_ == "table" and name and name.startswith("system_search"))

