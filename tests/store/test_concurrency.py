"""Units of work under concurrency: a writing one takes SQLite's write lock when it opens (so writers queue
instead of failing with "database is locked"), a reading one never takes it, and only the factory migrates."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import rapport.store.unit_of_work as unit_of_work_module
from rapport.bootstrap import build
from rapport.config import Settings
from rapport.domain.errors import StoreUnavailable
from rapport.store import database
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitsOfWork, factory_for, units_of_work
from store_builders import sqlite_url

UowFactory = Callable[..., unit_of_work_module.UnitOfWork]


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[str, UnitsOfWork]]:
    """A migrated SQLite file: (its path, units of work on it)."""
    path = str(tmp_path / "locks.db")
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    yield path, factory_for(session_factory(engine))
    engine.dispose()


def try_to_take_the_write_lock(path: str) -> bool:
    """Whether another connection gets SQLite's write lock now, without waiting."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        other.close()


def test_a_writing_unit_of_work_holds_the_sqlite_write_lock_as_soon_as_it_opens(
    sqlite_file: tuple[str, UnitsOfWork],
) -> None:
    path, units = sqlite_file
    with units(write=True):
        assert not try_to_take_the_write_lock(path)
    assert try_to_take_the_write_lock(path)


def test_a_reading_unit_of_work_never_takes_the_sqlite_write_lock(
    sqlite_file: tuple[str, UnitsOfWork],
) -> None:
    path, units = sqlite_file
    with units() as uow:
        assert uow.merchants.id_of("acme") is None
        assert try_to_take_the_write_lock(path)


def test_a_writing_unit_of_work_that_cannot_get_the_lock_in_time_raises_store_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)
    path = str(tmp_path / "busy.db")
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        units = factory_for(session_factory(engine))
        with pytest.raises(StoreUnavailable, match="database is locked"), units(write=True):
            pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


def read_then_write(units: UowFactory, slug: str, *, after_read: Callable[[], None] = lambda: None) -> None:
    with units(write=True) as uow:
        assert uow.merchants.id_of(slug) is None
        after_read()
        uow.merchants.get_or_create(slug)
        uow.commit()


def test_two_writers_that_both_read_first_both_commit(uow_factory: UowFactory) -> None:
    # The first writer reads, then lets the second one run before writing: a deferred SQLite transaction
    # would then fail ("database is locked": its snapshot is older than the other's commit).
    first_has_read = threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        first_has_read.wait(timeout=10)
        try:
            read_then_write(uow_factory, "second")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            second_done.set()

    def let_the_second_run() -> None:
        first_has_read.set()
        second_done.wait(timeout=0.3)  # with the lock held up front, the second is waiting for it

    thread = threading.Thread(target=second)
    thread.start()
    read_then_write(uow_factory, "first", after_read=let_the_second_run)
    thread.join(timeout=20)
    assert errors == []
    with uow_factory() as uow:
        assert None not in (uow.merchants.id_of("first"), uow.merchants.id_of("second"))


def test_only_building_the_factory_migrates_the_store_not_each_unit_of_work(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations: list[Engine] = []

    def counted_upgrade(engine: Engine) -> None:
        migrations.append(engine)
        upgrade(engine)

    monkeypatch.setattr(unit_of_work_module, "upgrade", counted_upgrade)
    units = units_of_work(database_url)
    for write in (False, True, False):
        with units(write=write) as uow:
            uow.merchants.id_of("acme")
    migrations[0].dispose()
    assert len(migrations) == 1


def test_the_application_builds_and_migrates_its_unit_of_work_factory_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations: list[Engine] = []
    monkeypatch.setattr(unit_of_work_module, "upgrade", migrations.append)
    app = build(Settings(_env_file=None, database_url=database_url))
    assert app.uow_factory is app.uow_factory
    migrations[0].dispose()
    assert len(migrations) == 1
