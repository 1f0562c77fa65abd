"""Real databases for every test that needs one: an SQLite file, and PostgreSQL when
RAPPORT_TEST_DATABASE_URL is set (each PostgreSQL test gets its own schema, so xdist workers never meet);
and the demo's store, built once per test process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitOfWork, factory_for
from store_builders import sqlite_url, temporary_schema

if TYPE_CHECKING:
    from rapport.demo.showcase import Showcase

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


@pytest.fixture(scope="session")
def demo_showcase(tmp_path_factory: pytest.TempPathFactory) -> Showcase:
    """The demo's store as `rapport demo` builds it (200 customers, seed 7), built once per test process:
    the demo tests that only read it share it; one that changes the store works on a copy of its file."""
    from rapport.demo.showcase import run_showcase  # here: a broken demo fails its tests, not the session

    database = tmp_path_factory.mktemp("showcase") / "demo.db"
    return run_showcase(customers=200, seed=7, database=database, outbox=database.with_name("out"))


@pytest.fixture(scope="session")
def demo_shown_at_80_columns(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`rapport demo --customers 200 --database d.db` as an 80-column terminal shows it, run once per test
    process in a directory of its own (its store and outbox there); the directory and what it printed."""
    from typer.testing import CliRunner

    from rapport.cli.main import app as cli

    where = tmp_path_factory.mktemp("demo80")
    with contextlib.chdir(where):
        shown = CliRunner(env={"COLUMNS": "80"}).invoke(
            cli, ["demo", "--customers", "200", "--database", "d.db"]
        )
    assert shown.exit_code == 0, shown.output
    return where, shown.stdout
