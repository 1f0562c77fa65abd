"""Engine setup: SQLite gets foreign keys and WAL; sessions keep objects readable after commit."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from rapport.store.database import make_engine, upgrade
from store_builders import sqlite_url


def test_sqlite_files_use_write_ahead_logging(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(str(tmp_path / "wal.db")))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    url = sqlite_url(str(tmp_path / "fk.db"))
    upgrade(url)
    engine = make_engine(url)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (merchant_id, external_id, loyalty_points, accepts_marketing)"
                " VALUES (42, 'c', 0, 0)"
            )
        )


def test_sqlite_waits_for_a_busy_database_instead_of_failing_at_once(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(str(tmp_path / "busy.db")))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def _open_and_close(url: str) -> None:
    engine = make_engine(url)
    with engine.connect():
        pass
    engine.dispose()


def test_processes_opening_a_new_sqlite_file_together_do_not_find_it_locked(tmp_path: Path) -> None:
    """Switching a new file to WAL needs an exclusive lock that SQLite does not always wait for."""
    fork = multiprocessing.get_context("fork")  # cheap real processes: the race is between them
    with ProcessPoolExecutor(max_workers=6, mp_context=fork) as pool:
        for attempt in range(15):
            url = sqlite_url(str(tmp_path / f"new-{attempt}.db"))
            list(pool.map(_open_and_close, [url] * 6, timeout=60))
