"""Real databases for every test that needs one: an SQLite file, and PostgreSQL when
RAPPORT_TEST_DATABASE_URL is set (each PostgreSQL test gets its own schema, so xdist workers never meet)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitOfWork, factory_for
from store_builders import sqlite_url, temporary_schema

POSTGRES_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")

# Property tests: `ci` (the default) is deterministic, the same examples on every run and machine;
# `long` (`make test-long`, HYPOTHESIS_PROFILE=long) tries many more, with fresh random examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile(
    "long",
    max_examples=2_000,
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
    """Units of work on the migrated database."""
    sessions = session_factory(engine)
    return factory_for(sessions)
