"""Real databases for store tests: an SQLite file, and PostgreSQL when RAPPORT_TEST_DATABASE_URL is set.

Each PostgreSQL test gets its own schema, so pytest-xdist workers never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.testing import StoreBuilder, sqlite_url, temporary_schema
from rapport.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POSTGRES_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: an SQLite file, or a fresh schema on the PostgreSQL test server."""
    if request.param == "sqlite":
        yield sqlite_url(str(tmp_path / "rapport.db"))
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need RAPPORT_TEST_DATABASE_URL (e.g. postgresql+psycopg://...)")
    with temporary_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest schema."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> Callable[[], UnitOfWork]:
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions)


@pytest.fixture
def store(uow_factory: Callable[[], UnitOfWork]) -> StoreBuilder:
    """A builder of customers, orders, subscriptions and contacts for the merchant "acme"."""
    return StoreBuilder(uow_factory, now=NOW)


@pytest.fixture
def now() -> datetime:
    """The moment every test's data is relative to."""
    return NOW
