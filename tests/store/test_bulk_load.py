"""The bulk loader writes a synthetic store that the rest of the store reads as its own: profiles, the
desk's tickets, segment counts, and the next ordinary insert (on SQLite and, when configured, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from rapport.domain.errors import InvalidInput
from rapport.policy import default_policy
from rapport.services.segments import count_segments
from rapport.services.synthetic_store import TABLES, WITH_IDS, Batch, SyntheticStore, batches
from rapport.store.bulk_load import empty_merchant, load, next_ids
from rapport.store.models import Base
from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STORE = SyntheticStore(customers=300, now=NOW, orders_per_customer=5.0, seed=3)
NOT_SPENDING = ("voided", "refunded")


def synthesize(
    engine: Engine, slug: str = "synth", store: SyntheticStore = STORE, *, in_child: bool = False
) -> tuple[int, Batch]:
    """Load `store` for merchant `slug`; its id and every row that was written (generated again: the
    generator is deterministic)."""
    merchant_id = empty_merchant(engine, slug=slug, currency="USD")
    first = next_ids(engine, WITH_IDS)
    load(engine, batches(store, merchant_id=merchant_id, first_ids=first, chunk=100), in_child=in_child)
    written: Batch = {table: [] for table in TABLES}
    for batch in batches(store, merchant_id=merchant_id, first_ids=first):
        for table, rows in batch.items():
            written[table].extend(rows)
    return merchant_id, written


def count_rows(engine: Engine, table: str, merchant_id: int) -> int:
    model = Base.metadata.tables[table]
    with engine.connect() as connection:
        query = select(func.count()).select_from(model).where(model.c.merchant_id == merchant_id)
        return int(connection.execute(query).scalar_one())


def test_every_generated_row_is_in_the_store(engine: Engine) -> None:
    merchant_id, written = synthesize(engine)
    for table in TABLES:
        assert count_rows(engine, table, merchant_id) == len(written[table]), table
    assert len(written["order_line_items"]) > len(written["orders"]) > len(written["customers"])


@pytest.mark.parametrize("in_child", [False, True], ids=["in-process", "prepared-in-a-child"])
def test_a_synthesized_customers_profile_reflects_their_generated_orders(
    engine: Engine, uow_factory: Callable[[], UnitOfWork], in_child: bool
) -> None:
    merchant_id, written = synthesize(engine, in_child=in_child)
    buyers = sorted({o["customer_id"] for o in written["orders"]})
    for customer in [c for c in written["customers"] if c["id"] in buyers[::25]]:
        counted = [
            o
            for o in written["orders"]
            if o["customer_id"] == customer["id"]
            and o["cancelled_at"] is None
            and o["financial_status"] not in NOT_SPENDING
        ]
        with uow_factory() as uow:
            profile = uow.profiles.get_profile(merchant_id=merchant_id, email=customer["email"], now=NOW)
        assert profile.is_known
        assert profile.orders_count == len(counted)
        assert profile.total_spent == sum((o["total"] for o in counted), Decimal(0))
        assert profile.loyalty_tier == customer["loyalty_tier"]
        assert profile.customer_since == customer["created_at"]


def test_the_open_tickets_read_back_through_the_desk(
    engine: Engine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    merchant_id, written = synthesize(engine, store=SyntheticStore(customers=800, now=NOW, seed=3))
    assert written["tickets"]
    for row in written["tickets"]:
        with uow_factory() as uow:
            ticket = uow.desk.get(merchant_id=merchant_id, ticket_id=row["id"])
            decision = uow.desk.decision(merchant_id=merchant_id, ticket_id=row["id"])
        assert ticket is not None
        assert ticket.queue == row["queue"]
        assert decision is not None
        assert decision.priority == row["priority"]


def test_the_segment_count_places_every_synthesized_customer(
    engine: Engine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    merchant_id, _ = synthesize(engine)
    counts = count_segments(uow_factory, merchant_id=merchant_id, policy=default_policy(), now=NOW)
    assert counts.method == "sql"
    assert counts.total == STORE.customers
    assert all(s.customers > 0 for s in counts.segments if s.name in ("vip", "subscriber", "loyal"))


def test_ordinary_inserts_after_a_load_get_fresh_ids(
    engine: Engine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    _, written = synthesize(engine)
    builder = StoreBuilder(uow_factory, now=NOW, merchant="another")
    customer_id = builder.customer(email="new@example.com")
    assert customer_id > max(c["id"] for c in written["customers"])


def test_a_second_store_continues_after_the_first(engine: Engine) -> None:
    _, first = synthesize(engine, "one")
    second_id, second = synthesize(engine, "two")
    assert second["customers"][0]["id"] == first["customers"][-1]["id"] + 1
    assert second["orders"][0]["id"] == first["orders"][-1]["id"] + 1
    assert count_rows(engine, "customers", second_id) == STORE.customers


def test_the_batches_are_reported_as_they_are_committed(engine: Engine) -> None:
    merchant_id = empty_merchant(engine, slug="synth", currency="USD")
    reported: list[int] = []
    counts = load(
        engine,
        batches(STORE, merchant_id=merchant_id, chunk=120),
        on_batch=lambda written: reported.append(written["customers"]),
    )
    assert reported == [120, 120, 60]
    assert counts.rows["customers"] == 300


def test_a_failure_while_preparing_in_the_child_is_raised_here(engine: Engine) -> None:
    def broken() -> Iterator[Batch]:
        yield from batches(STORE, merchant_id=1, chunk=100)
        raise ValueError("no more rows")

    empty_merchant(engine, slug="synth", currency="USD")
    with pytest.raises(RuntimeError, match="ValueError: no more rows"):
        load(engine, broken(), in_child=True)


def test_a_merchant_that_already_has_customers_is_refused(engine: Engine) -> None:
    synthesize(engine)
    with pytest.raises(InvalidInput, match="already has 300 customers"):
        empty_merchant(engine, slug="synth", currency="USD")


def test_the_sqlite_bulk_settings_are_put_back(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PRAGMAs are SQLite's")
    with engine.connect() as connection:
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    synthesize(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
