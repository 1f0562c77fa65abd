"""Migrations run from code (no alembic.ini), up from empty and back down, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from rapport.store.database import current_revision, downgrade, make_engine, upgrade
from rapport.store.models import Base

CORE_TABLES = {
    "merchants",
    "customers",
    "customer_tags",
    "orders",
    "order_line_items",
    "subscriptions",
    "support_contacts",
    "tickets",
    "decisions",
}


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_the_initial_revision_creates_the_core_tables(database_url: str) -> None:
    upgrade(database_url, "0001_initial")
    assert CORE_TABLES <= table_names(database_url)
    assert current_revision(database_url) == "0001_initial"


def test_upgrade_runs_from_any_directory_without_an_alembic_ini(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade(database_url)
    assert current_revision(database_url) is not None


def test_upgrading_an_up_to_date_database_changes_nothing(database_url: str) -> None:
    upgrade(database_url)
    before = current_revision(database_url)
    upgrade(database_url)
    assert current_revision(database_url) == before


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "base")
    assert table_names(database_url) <= {"alembic_version"}
    assert current_revision(database_url) is None


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_processes_starting_together_all_find_the_schema_migrated(database_url: str) -> None:
    """API processes start at once and each migrates: they must not trip over each other."""
    spawn = multiprocessing.get_context("spawn")  # real processes, as uvicorn workers are
    with ProcessPoolExecutor(max_workers=3, mp_context=spawn) as pool:
        list(pool.map(upgrade, [database_url] * 3, timeout=120))
    assert CORE_TABLES <= table_names(database_url)
