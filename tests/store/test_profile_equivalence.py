"""The two-statement profile equals the eight-query reference for every customer of random stores.

Each example writes a random store (two merchants; customers with and without names, dates, tags;
orders of every status, in the future too, with line items; subscriptions; contacts, tickets and grants
around the 90-day window's edges) inside a transaction that is rolled back afterwards, then compares
both profiles of every customer (e-mail in another case, with spaces) and of an unknown e-mail. The
comparison is of the reprs too, so a Decimal's scale or a datetime's zone must match, not only values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profile_reference import reference_profile
from sqlalchemy import Connection, Engine, insert
from sqlalchemy.orm import Session

from rapport.store.database import make_engine, upgrade
from rapport.store.models import (
    Customer,
    CustomerTag,
    Grant,
    Merchant,
    Order,
    OrderLineItem,
    Subscription,
    SupportContact,
    TicketRecord,
    table_of,
)
from rapport.store.repositories.profiles import ProfileRepository
from store_builders import sqlite_url, temporary_schema

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
POSTGRES_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")
EMAILS = ("dana.lee@example.com", "ünïcode@example.com", "o'brien@example.com", "sam@example.org")
TAGS = ("vip", "VIP", "wholesale", "a b", "Zebra", "émigré", "b2b")
OFFERS = ("refund", "partial_refund", "return_for_refund", "waive_fee", "store_credit", "replacement", None)

# Around the edges that matter: the 90-day and 365-day windows (both ends included), `now`, the future.
EDGES = [timedelta(days=d) for d in (0, 1, 89, 90, 91, 364, 365, 366, 700, -1)]
ago = st.one_of(
    st.sampled_from(EDGES),
    st.builds(timedelta, seconds=st.integers(-86_400, 800 * 86_400), microseconds=st.integers(0, 999_999)),
)
money = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False)
small_money = st.decimals(min_value=0, max_value=Decimal("999.99"), places=2, allow_nan=False)
text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12)


@dataclass(frozen=True)
class LineSpec:
    title: str
    quantity: int
    price: Decimal
    sku: str | None


@dataclass(frozen=True)
class OrderSpec:
    ago: timedelta
    total: Decimal
    currency: str
    financial_status: str
    fulfillment_status: str
    cancelled: bool
    items: tuple[LineSpec, ...]


@dataclass(frozen=True)
class CustomerSpec:
    email: str | None
    first_name: str | None
    created_ago: timedelta | None
    loyalty_tier: str | None
    tags: frozenset[str]
    orders: tuple[OrderSpec, ...]
    subscriptions: tuple[tuple[str, timedelta | None], ...]
    contacts: tuple[tuple[timedelta, str | None, Decimal | None], ...]
    tickets: tuple[timedelta, ...]
    grants: tuple[tuple[timedelta, str, Decimal | None], ...]


orders = st.builds(
    OrderSpec,
    ago=ago,
    total=money | small_money,
    currency=st.sampled_from(["USD", "EUR", "CAD"]),
    financial_status=st.sampled_from(["paid", "pending", "refunded", "partially_refunded", "voided"]),
    fulfillment_status=st.sampled_from(["fulfilled", "delivered", "unfulfilled", "partial", "restocked"]),
    cancelled=st.booleans(),
    items=st.lists(
        st.builds(LineSpec, title=text, quantity=st.integers(0, 50), price=money, sku=st.none() | text),
        max_size=3,
    ).map(tuple),
)
offer = st.sampled_from([o for o in OFFERS if o is not None])


def customers(email: st.SearchStrategy[str | None]) -> st.SearchStrategy[CustomerSpec]:
    return st.builds(
        CustomerSpec,
        email=email,
        first_name=st.none() | text,
        created_ago=st.none() | ago,
        loyalty_tier=st.none() | st.sampled_from(["gold", "silver"]),
        tags=st.frozensets(st.sampled_from(TAGS)),
        orders=st.lists(orders, max_size=7).map(tuple),  # more than the five recent orders
        subscriptions=st.lists(
            st.tuples(st.sampled_from(["active", "cancelled", "paused"]), st.none() | ago), max_size=2
        ).map(tuple),
        contacts=st.lists(st.tuples(ago, st.sampled_from(OFFERS), st.none() | small_money), max_size=3).map(
            tuple
        ),
        tickets=st.lists(ago, max_size=2).map(tuple),
        grants=st.lists(st.tuples(ago, offer, st.none() | small_money), max_size=3).map(tuple),
    )


@st.composite
def stores(draw: st.DrawFn) -> tuple[list[CustomerSpec], list[CustomerSpec]]:
    """(the merchant's customers, the other merchant's), e-mails unique per merchant."""
    mine = draw(st.lists(st.sampled_from(EMAILS), unique=True, max_size=3))
    theirs = draw(st.lists(st.sampled_from(EMAILS), unique=True, max_size=2))
    nameless = draw(st.integers(0, 1))
    return (
        [draw(customers(st.just(e))) for e in mine] + [draw(customers(st.none())) for _ in range(nameless)],
        [draw(customers(st.just(e))) for e in theirs],
    )


def asked_as(email: str, variant: int) -> str:
    """The e-mail as a customer may type it: another case, stray spaces."""
    return [email, email.upper(), f"  {email.title()} "][variant % 3]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An empty migrated store, once per backend (each example's rows are rolled back)."""
    if request.param == "sqlite":
        engine = make_engine(sqlite_url(str(Path(tmp_path_factory.mktemp("equal")) / "equal.db")))
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need RAPPORT_TEST_DATABASE_URL (e.g. postgresql+psycopg://...)")
    with temporary_schema(POSTGRES_URL) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    store=stores(),
    now_zone=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
    variant=st.integers(0, 2),
)
def test_the_profile_equals_the_references_for_every_customer_and_a_guest(
    migrated: Engine,
    store: tuple[list[CustomerSpec], list[CustomerSpec]],
    now_zone: timezone,
    variant: int,
) -> None:
    now = NOW.astimezone(now_zone)
    mine, theirs = store
    with migrated.connect() as connection:
        transaction = connection.begin()
        try:
            merchant_id = write(connection, "acme", mine)
            write(connection, "globex", theirs)
            session = Session(bind=connection)
            emails = [asked_as(c.email, variant) for c in mine if c.email] + ["nobody@example.com"]
            for email in emails:
                new = ProfileRepository(session).get_profile(merchant_id=merchant_id, email=email, now=now)
                old = reference_profile(session, merchant_id=merchant_id, email=email, now=now)
                assert new == old
                assert repr(new) == repr(old)
        finally:
            transaction.rollback()


def write(connection: Connection, slug: str, specs: list[CustomerSpec]) -> int:
    """Insert a merchant and its customers with everything they have; returns the merchant's id."""
    merchant = table_of(Merchant)
    merchant_id: int = connection.execute(
        insert(merchant).values(slug=slug, name=slug, currency="USD").returning(merchant.c.id)
    ).scalar_one()
    for n, spec in enumerate(specs):
        customer_id = insert_one(
            connection,
            Customer,
            merchant_id=merchant_id,
            external_id=f"{slug}-c{n}",
            email=spec.email,
            first_name=spec.first_name,
            created_at=None if spec.created_ago is None else NOW - spec.created_ago,
            loyalty_tier=spec.loyalty_tier,
            loyalty_points=n * 10,
            accepts_marketing=False,
        )
        write_history(connection, merchant_id, customer_id, f"{slug}-c{n}", spec)
    return merchant_id


def write_history(
    connection: Connection, merchant_id: int, customer_id: int, key: str, spec: CustomerSpec
) -> None:
    owned: dict[str, object] = {"merchant_id": merchant_id, "customer_id": customer_id}
    for tag in spec.tags:
        insert_tag(connection, tag=tag, **owned)
    for n, order in enumerate(spec.orders):
        order_id = insert_one(
            connection,
            Order,
            external_id=f"{key}-o{n}",
            name=f"#{key}-{n}",
            created_at=NOW - order.ago,
            total=order.total,
            currency=order.currency,
            financial_status=order.financial_status,
            fulfillment_status=order.fulfillment_status,
            cancelled_at=NOW - order.ago if order.cancelled else None,
            **owned,
        )
        for position, item in enumerate(order.items):
            insert_one(
                connection,
                OrderLineItem,
                merchant_id=merchant_id,
                order_id=order_id,
                position=position,
                title=item.title,
                quantity=item.quantity,
                price=item.price,
                sku=item.sku,
            )
    for n, (status, bills_ago) in enumerate(spec.subscriptions):
        next_billing = None if bills_ago is None else NOW - bills_ago
        insert_one(
            connection,
            Subscription,
            external_id=f"{key}-s{n}",
            status=status,
            currency="USD",
            next_billing_at=next_billing,
            **owned,
        )
    for n, (contact_ago, granted, amount) in enumerate(spec.contacts):
        insert_one(
            connection,
            SupportContact,
            external_id=f"{key}-k{n}",
            created_at=NOW - contact_ago,
            intent="damaged_item",
            granted_offer=granted,
            granted_amount=amount,
            **owned,
        )
    for ticket_ago in spec.tickets:
        insert_one(
            connection,
            TicketRecord,
            email="x@example.com",
            message="hi",
            received_at=NOW - ticket_ago,
            channel="email",
            intent="damaged_item",
            **owned,
        )
    for grant_ago, granted, amount in spec.grants:
        insert_one(
            connection,
            Grant,
            email="x@example.com",
            offer=granted,
            amount=amount,
            currency="USD",
            amount_in_policy_currency=amount,
            granted_by_label="agent@example.com",
            role="agent",
            created_at=NOW - grant_ago,
            **owned,
        )


def insert_one(connection: Connection, model: Any, **values: object) -> int:
    """Insert a row; returns its id."""
    table = table_of(model)
    return int(connection.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def insert_tag(connection: Connection, **values: object) -> None:
    connection.execute(insert(table_of(CustomerTag)).values(**values))
