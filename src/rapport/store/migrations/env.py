"""Alembic environment: runs on the connection `rapport.store.database` hands over (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from rapport.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    # Batch mode lets later migrations alter SQLite tables (it rebuilds them, as SQLite requires).
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    # Plain `alembic -x` use from a checkout: the URL comes from the config built by the caller.
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///rapport.db")
    with engine.begin() as conn:
        run_on(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
