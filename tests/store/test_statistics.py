"""Tables a bulk write has just filled get planner statistics at once (PostgreSQL), not minutes later."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from rapport.domain.records import CustomerRecord
from rapport.store.statistics import FIRST_ANALYZE_ROWS
from rapport.store.unit_of_work import UnitOfWork


def customers(count: int) -> list[CustomerRecord]:
    return [CustomerRecord(external_id=f"c-{i}", email=f"c{i}@example.com") for i in range(count)]


def analyzed(uow: UnitOfWork, table: str) -> bool:
    row = uow.customers.session.execute(
        text(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND relname = :t"
        ),
        {"t": table},
    ).scalar_one()
    return bool(row)


def write(uow_factory: Callable[..., UnitOfWork], records: list[CustomerRecord]) -> None:
    with uow_factory(write=True) as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        uow.customers.upsert_many(merchant_id=merchant_id, records=records)
        uow.commit()


def test_the_first_large_batch_of_an_import_is_analyzed_on_commit(
    uow_factory: Callable[..., UnitOfWork], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    write(uow_factory, customers(FIRST_ANALYZE_ROWS))
    with uow_factory() as uow:
        assert analyzed(uow, "customers")


def test_a_small_write_leaves_the_statistics_to_autovacuum(
    uow_factory: Callable[..., UnitOfWork], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    write(uow_factory, customers(10))
    with uow_factory() as uow:
        assert not analyzed(uow, "customers")
