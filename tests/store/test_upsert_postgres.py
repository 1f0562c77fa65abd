"""The batch upsert on PostgreSQL (COPY into a staging table, one INSERT ... ON CONFLICT ... RETURNING)
keeps the row-by-row upsert's semantics: the same inserted/updated split, the last row of a repeated key,
the stored rows' ids, refused rows as `RecordRefused`. Most tests run on both backends (SQLite still
writes row by row, so they compare the two); the reference test replays the row-by-row upsert on
PostgreSQL itself, built from the same module's executemany path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from rapport.domain.errors import RecordRefused
from rapport.domain.records import BulkLine, BulkOrder, CustomerRecord, UpsertOutcome
from rapport.store.models import Customer, table_of
from rapport.store.statistics import FIRST_ANALYZE_ROWS
from rapport.store.unit_of_work import UnitOfWork
from rapport.store.upsert import KEY, execute_many, existing_ids, upsert_rows

CUSTOMERS = table_of(Customer)
CREATED = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
merchant_names = count()


def row(merchant_id: int, key: str, name: str, points: int = 0) -> dict[str, Any]:
    """A customers row; its e-mail follows its key, so keys never collide on e-mail."""
    return {
        "merchant_id": merchant_id,
        "external_id": key,
        "email": f"{key}@example.com",
        "first_name": name,
        "loyalty_points": points,
        "accepts_marketing": points % 2 == 0,
        "created_at": CREATED,
    }


def new_merchant(session: Session) -> int:
    merchant_id = session.execute(
        text("INSERT INTO merchants (slug, name, currency) VALUES (:s, :s, 'USD') RETURNING id"),
        {"s": f"m-{next(merchant_names)}"},
    ).scalar_one()
    return int(merchant_id)


def stored(session: Session, merchant_id: int) -> dict[str, tuple[int, str, int]]:
    query = select(Customer.external_id, Customer.id, Customer.first_name, Customer.loyalty_points).where(
        Customer.merchant_id == merchant_id
    )
    return {ext: (row_id, name or "", points) for ext, row_id, name, points in session.execute(query)}


def row_by_row_upsert(session: Session, rows: Sequence[Mapping[str, Any]]) -> UpsertOutcome:
    """The upsert as it was before COPY: ids looked up, an INSERT ... ON CONFLICT per row, looked up again."""
    unique = list({r["external_id"]: r for r in rows}.values())
    merchant_id, keys = unique[0]["merchant_id"], [r["external_id"] for r in unique]
    before = existing_ids(session, CUSTOMERS, merchant_id=merchant_id, external_ids=keys)
    stmt = postgresql.insert(CUSTOMERS)
    changed = {name: stmt.excluded[name] for name in unique[0] if name not in KEY}
    execute_many(
        session, stmt.on_conflict_do_update(index_elements=list(KEY), set_=changed), CUSTOMERS, unique
    )
    ids = existing_ids(session, CUSTOMERS, merchant_id=merchant_id, external_ids=keys)
    return UpsertOutcome(ids=ids, existing=frozenset(before))


def ranks(ids: Mapping[str, int]) -> list[str]:
    """The keys in the order of their row ids (ids differ between merchants, their order must not)."""
    return sorted(ids, key=ids.__getitem__)


batches = st.lists(
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 3)), min_size=1, max_size=12),
    min_size=1,
    max_size=4,
)


@pytest.mark.postgres
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches)
def test_the_copy_upsert_reports_and_stores_what_the_row_by_row_upsert_did(
    engine: Engine, batches: list[list[tuple[str, int]]]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the COPY upsert is PostgreSQL's")
    with Session(engine) as session:
        copied, by_row = new_merchant(session), new_merchant(session)
        for batch in batches:
            named = [(key, f"{key}{version}", version) for key, version in batch]
            ours = upsert_rows(session, CUSTOMERS, [row(copied, k, n, p) for k, n, p in named])
            theirs = row_by_row_upsert(session, [row(by_row, k, n, p) for k, n, p in named])
            assert (ours.inserted, ours.updated, ours.existing) == (
                theirs.inserted,
                theirs.updated,
                theirs.existing,
            )
            assert ours.ids.keys() == theirs.ids.keys()
            held = stored(session, copied)
            assert {k: v[1:] for k, v in held.items()} == {
                k: v[1:] for k, v in stored(session, by_row).items()
            }
            assert {k: held[k][0] for k in ours.ids} == ours.ids  # the ids returned are the stored rows'
        assert ranks({k: v[0] for k, v in stored(session, copied).items()}) == ranks(
            {k: v[0] for k, v in stored(session, by_row).items()}
        )


def test_a_key_repeated_in_a_batch_keeps_its_last_row_and_is_one_insert(engine: Engine) -> None:
    with Session(engine) as session:
        merchant_id = new_merchant(session)
        outcome = upsert_rows(
            session, CUSTOMERS, [row(merchant_id, "c-1", "Ana"), row(merchant_id, "c-1", "Bea", 7)]
        )
        assert (outcome.inserted, outcome.updated) == (1, 0)
        assert stored(session, merchant_id) == {"c-1": (outcome.ids["c-1"], "Bea", 7)}


def test_stored_keys_are_updates_with_their_ids_and_new_keys_inserts(engine: Engine) -> None:
    with Session(engine) as session:
        merchant_id = new_merchant(session)
        first = upsert_rows(
            session, CUSTOMERS, [row(merchant_id, "c-1", "Ana"), row(merchant_id, "c-2", "Bo")]
        )
        session.commit()
        again = upsert_rows(
            session, CUSTOMERS, [row(merchant_id, "c-2", "Bob"), row(merchant_id, "c-3", "Cy")]
        )
        assert again.existing == {"c-2"}
        assert (again.inserted, again.updated) == (1, 1)
        assert again.ids["c-2"] == first.ids["c-2"]
        assert stored(session, merchant_id)["c-2"] == (first.ids["c-2"], "Bob", 0)


def test_new_rows_get_their_ids_in_the_order_they_were_given(engine: Engine) -> None:
    keys = [f"c-{n}" for n in (5, 1, 9, 3, 7)]
    with Session(engine) as session:
        merchant_id = new_merchant(session)
        outcome = upsert_rows(session, CUSTOMERS, [row(merchant_id, key, key) for key in keys])
    assert ranks(outcome.ids) == keys


def test_a_table_upserted_twice_in_one_transaction_sees_its_first_rows_as_stored(engine: Engine) -> None:
    with Session(engine) as session:
        merchant_id = new_merchant(session)
        upsert_rows(session, CUSTOMERS, [row(merchant_id, "c-1", "Ana")])
        second = upsert_rows(
            session, CUSTOMERS, [row(merchant_id, "c-1", "Ann"), row(merchant_id, "c-2", "Bo")]
        )
        assert (second.existing, second.inserted) == (frozenset({"c-1"}), 1)
        assert {k: v[1] for k, v in stored(session, merchant_id).items()} == {"c-1": "Ann", "c-2": "Bo"}


def test_a_row_that_breaks_a_constraint_is_refused_as_a_record(
    uow_factory: Callable[..., UnitOfWork],
) -> None:
    with uow_factory(write=True) as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        uow.customers.upsert_many(
            merchant_id=merchant_id, records=[CustomerRecord(external_id="c-1", email="ana@example.com")]
        )
        uow.commit()
    with uow_factory(write=True) as uow, pytest.raises(RecordRefused, match="(?i)unique"):
        uow.customers.upsert_many(
            merchant_id=merchant_id, records=[CustomerRecord(external_id="c-2", email="ana@example.com")]
        )


def test_a_value_longer_than_its_column_is_refused_as_a_record(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not enforce the length of a text column")
    with Session(engine) as session:
        merchant_id = new_merchant(session)
        with pytest.raises(RecordRefused, match="too long"):
            upsert_rows(session, CUSTOMERS, [row(merchant_id, "c-1", "x" * 10_000)])


def test_tags_are_replaced_when_a_customer_is_written_again(uow_factory: Callable[..., UnitOfWork]) -> None:
    def write(tags: tuple[str, ...]) -> None:
        with uow_factory(write=True) as uow:
            merchant_id = uow.merchants.get_or_create("acme")
            record = CustomerRecord(external_id="c-1", email="ana@example.com", tags=tags)
            uow.customers.upsert_many(merchant_id=merchant_id, records=[record])
            uow.commit()

    write(("vip", "wholesale"))
    write(("newsletter",))
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        assert uow.customers.emails_tagged(merchant_id=merchant_id, tag="newsletter") == ["ana@example.com"]
        assert uow.customers.emails_tagged(merchant_id=merchant_id, tag="vip") == []


def test_a_large_bulk_write_is_analyzed_before_its_transaction_commits(engine: Engine) -> None:
    """Without it, the e-mail lookups of the rest of the transaction read all the merchant's customers
    through the external-id index (the planner sees an empty table)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    with Session(engine) as session:
        merchant_id = new_merchant(session)
        rows = [row(merchant_id, f"c-{n}", "Ana") for n in range(2 * FIRST_ANALYZE_ROWS)]
        upsert_rows(session, CUSTOMERS, rows)
        held = session.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'customers'::regclass"))
        assert held.scalar_one() >= 2 * FIRST_ANALYZE_ROWS
        lookup = "EXPLAIN SELECT id FROM customers WHERE merchant_id = :m AND email = 'c-7@example.com'"
        plan = session.execute(text(lookup), {"m": merchant_id}).all()
        assert "uq_customers_merchant_id_email" in " ".join(line for (line,) in plan)


def test_a_small_bulk_write_is_not_analyzed_in_its_transaction(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    with Session(engine) as session:
        merchant_id = new_merchant(session)
        upsert_rows(session, CUSTOMERS, [row(merchant_id, f"c-{n}", "Ana") for n in range(10)])
        held = session.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'customers'::regclass"))
        assert held.scalar_one() < 0  # never analyzed


# -- The bulk order loader (Shopify CSV exports): COPY into a stage on PostgreSQL as well ---------------


def bulk_order(uow: UnitOfWork, external_id: str, email: str | None, total: str) -> BulkOrder:
    values = uow.bulk_orders.values()
    return BulkOrder(
        external_id, email, f"#{external_id}", values.time(CREATED), values.money(Decimal(total)), "USD",
        "paid", "fulfilled", None,
    )  # fmt: skip


def bulk_line(uow: UnitOfWork, external_id: str, position: int, title: str) -> BulkLine:
    return (external_id, position, title, 1, uow.bulk_orders.values().money(Decimal("5.00")), None)


def test_an_order_loaded_twice_in_one_transaction_keeps_the_second_and_its_lines(
    uow_factory: Callable[..., UnitOfWork],
) -> None:
    with uow_factory(write=True) as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        first = [bulk_order(uow, "1", "ana@example.com", "10.00")]
        uow.bulk_orders.load(merchant_id=merchant_id, orders=first, lines=[bulk_line(uow, "1", 0, "Apron")])
        second = [bulk_order(uow, "1", "ana@example.com", "12.00"), bulk_order(uow, "2", None, "3.00")]
        lines = [bulk_line(uow, "1", 0, "Bowl"), bulk_line(uow, "1", 1, "Kettle")]
        lines.append(bulk_line(uow, "2", 0, "Tea"))
        assert uow.bulk_orders.load(merchant_id=merchant_id, orders=second, lines=lines) == 2
        uow.commit()
    with uow_factory() as uow:
        found = uow.orders.summaries_for_customer(merchant_id=merchant_id, email="ana@example.com")
        guest = uow.orders.find_summary(merchant_id=merchant_id, name_or_id="#2")
        assert uow.customers.count(merchant_id=merchant_id) == 1  # one stub for ana, none for the guest
    assert [(o.id, o.total, [li.title for li in o.line_items]) for o in found] == [
        ("1", Decimal("12.00"), ["Bowl", "Kettle"])
    ]
    assert guest is not None
    assert [li.title for li in guest.line_items] == ["Tea"]


def test_an_order_is_given_the_customer_who_owns_its_email(uow_factory: Callable[..., UnitOfWork]) -> None:
    with uow_factory(write=True) as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        owner = CustomerRecord(external_id="c-9", email="ana@example.com")
        uow.customers.upsert_many(merchant_id=merchant_id, records=[owner])
        orders = [bulk_order(uow, "1", "ana@example.com", "10.00")]
        orders.append(bulk_order(uow, "2", "bo@example.com", "1.00"))
        uow.bulk_orders.load(merchant_id=merchant_id, orders=orders, lines=[])
        uow.commit()
        owners = uow.customers.session.execute(
            text("SELECT o.external_id, c.external_id FROM orders o JOIN customers c ON c.id = o.customer_id")
        )
        assert dict(owners.all()) == {"1": "c-9", "2": "email:bo@example.com"}


def test_a_line_item_of_an_order_not_in_the_batch_is_refused(uow_factory: Callable[..., UnitOfWork]) -> None:
    with uow_factory(write=True) as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        orders, lines = [bulk_order(uow, "1", None, "10.00")], [bulk_line(uow, "404", 0, "Lost")]
        with pytest.raises(RecordRefused):
            uow.bulk_orders.load(merchant_id=merchant_id, orders=orders, lines=lines)
