"""Connecting to the store and migrating it: SQLite file by default, PostgreSQL (psycopg 3) in production."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# An arbitrary constant that names "Rapport migrates the schema" among PostgreSQL advisory locks.
MIGRATION_LOCK_KEY = 0x52415050  # "RAPP"
WRITE_LOCK_UP_FRONT = "rapport_write_lock_up_front"  # an execution option read by the SQLite BEGIN hook
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL, a busy timeout and real transactions."""

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    engine = create_engine(parsed, **kwargs)
    in_memory = parsed.database in (None, "", ":memory:")
    _configure_sqlite(engine, wal=not in_memory)
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own BEGIN handling skips DDL and delays BEGIN; we emit BEGIN ourselves (below)
        # so that migrations are transactional and pragmas run outside a transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster commits
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # A writer that must not lose a race (a migration) takes the write lock up front; two
        # deferred transactions that both upgrade to writing would fail with "database is locked".
        immediate = connection.get_execution_options().get(WRITE_LOCK_UP_FRONT, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _switch_to_wal(cursor: Any) -> None:
    """Put the database file in WAL mode, waiting out other processes that hold it.

    Switching the journal mode needs an exclusive lock and SQLite does not always call the busy
    handler for it: processes that open a new file together can get "database is locked" at
    once. WAL mode is stored in the file, so whoever wins does it for all; the others retry.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit (no expiry)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config() -> Config:
    """The Alembic configuration, built in code: no alembic.ini needed in the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (the newest by default); safe to call on every start."""
    _run(url_or_engine, lambda config: command.upgrade(config, revision))


def downgrade(url_or_engine: str | Engine, revision: str = "base") -> None:
    """Migrate the database down to `revision` ("base" drops every Rapport table)."""
    _run(url_or_engine, lambda config: command.downgrade(config, revision))


def current_revision(url_or_engine: str | Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def _run(url_or_engine: str | Engine, action: Callable[[Config], None]) -> None:
    owned = isinstance(url_or_engine, str)
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        # Several processes may start at once: one migrates, the others wait, then find the schema
        # current. PostgreSQL: an advisory lock held until this transaction ends; SQLite: BEGIN IMMEDIATE.
        with (
            engine.connect().execution_options(**{WRITE_LOCK_UP_FRONT: True}) as connection,
            connection.begin(),
        ):
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config = alembic_config()
            config.attributes["connection"] = connection
            action(config)
    finally:
        if owned:
            engine.dispose()
