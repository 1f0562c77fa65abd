"""The bulk order loader (Shopify CSV imports) against real SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from rapport.store.models import Order, table_of
from rapport.store.repositories.bulk_orders import BulkLine, BulkOrder, BulkValues
from rapport.store.unit_of_work import UnitOfWork

EAST = timezone(timedelta(hours=-4))


def order(uow: UnitOfWork, external_id: str, email: str | None, total: str) -> BulkOrder:
    values = uow.bulk_orders.values()
    created = values.time(datetime(2026, 10, 30, 10, 0, tzinfo=EAST))
    money = values.money(Decimal(total))
    return BulkOrder(external_id, email, f"#{external_id}", created, money, "USD", "paid", "fulfilled", None)


def line(uow: UnitOfWork, external_id: str, position: int, title: str) -> BulkLine:
    return (external_id, position, title, 1, uow.bulk_orders.values().money(Decimal("5.00")), None)


def load(uow_factory: Callable[[], UnitOfWork], orders: list[tuple[str, str]], titles: list[str]) -> int:
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug="acme")
        batch = [order(uow, ext, "ana@example.com", total) for ext, total in orders]
        lines = [line(uow, orders[0][0], i, title) for i, title in enumerate(titles)]
        written = uow.bulk_orders.load(merchant_id=merchant_id, orders=batch, lines=lines)
        uow.commit()
    return written


def stored(uow_factory: Callable[[], UnitOfWork]) -> list[tuple[str, Decimal, list[str]]]:
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug="acme")
        found = uow.orders.summaries_for_customer(merchant_id=merchant_id, email="ana@example.com")
    return [(o.id, o.total, [li.title for li in o.line_items]) for o in found]


def test_loaded_orders_belong_to_a_customer_created_from_their_email(uow_factory) -> None:  # noqa: ANN001
    load(uow_factory, [("1", "10.00")], ["Apron"])
    assert stored(uow_factory) == [("1", Decimal("10.00"), ["Apron"])]


def test_loading_an_order_again_updates_it_and_replaces_its_lines(uow_factory) -> None:  # noqa: ANN001
    load(uow_factory, [("1", "10.00")], ["Apron", "Kettle"])
    load(uow_factory, [("1", "12.50")], ["Bowl"])
    assert stored(uow_factory) == [("1", Decimal("12.50"), ["Bowl"])]


def test_a_batch_mixing_stored_and_new_orders_writes_both(uow_factory) -> None:  # noqa: ANN001
    load(uow_factory, [("1", "10.00")], ["Apron"])
    load(uow_factory, [("1", "11.00"), ("2", "20.00")], ["Bowl"])
    assert sorted((ext, total) for ext, total, _ in stored(uow_factory)) == [
        ("1", Decimal("11.00")),
        ("2", Decimal("20.00")),
    ]


def test_an_id_repeated_in_a_batch_keeps_its_last_order_and_its_lines(uow_factory) -> None:  # noqa: ANN001
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug="acme")
        batch = [order(uow, "1", "ana@example.com", "10.00"), order(uow, "1", "ana@example.com", "30.00")]
        lines = [line(uow, "1", 0, "First"), line(uow, "1", 0, "Second"), line(uow, "1", 1, "Third")]
        written = uow.bulk_orders.load(merchant_id=merchant_id, orders=batch, lines=lines)
        uow.commit()
    assert (written, stored(uow_factory)) == (1, [("1", Decimal("30.00"), ["Second", "Third"])])


def test_the_fast_sqlite_time_text_is_what_the_column_type_itself_writes() -> None:
    column = table_of(Order).c.created_at.type
    dialect = sqlite.dialect()
    convert = column.dialect_impl(dialect).bind_processor(dialect)
    value = datetime(2026, 3, 1, 0, 30, 5, 7, tzinfo=EAST)
    assert BulkValues(dialect).time(value) == convert(value)


def test_postgresql_times_are_converted_by_the_column_type() -> None:
    value = datetime(2026, 3, 1, 0, 30, tzinfo=EAST)
    assert BulkValues(postgresql.dialect()).time(value) == value.astimezone(UTC)


def test_the_larger_import_cache_is_used_inside_the_block_and_undone_after(uow_factory) -> None:  # noqa: ANN001
    with uow_factory() as uow:
        connection = uow.bulk_orders.session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("a page cache setting of SQLite only")
        size = lambda: connection.exec_driver_sql("PRAGMA cache_size").scalar_one()  # noqa: E731
        before = size()
        with uow.bulk_orders.larger_cache(kib=8192):
            inside = size()
        assert (inside, size()) == (-8192, before)
