"""Alembic environment: the URL comes from the caller (yunzhang db upgrade) or the settings."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import control.models  # noqa: F401  (registers every table on SQLModel.metadata)
from control.core.db import make_engine
from control.core.migrate import include_name
from control.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
        engine = make_engine(url)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    if connection.dialect.name == "sqlite":
        # SQLite changes a table by copying it; foreign keys must not fire while the old one is dropped.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
