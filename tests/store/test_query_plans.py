"""Every hot query searches an index on ALL its equality conditions, on SQLite and PostgreSQL.

The statements are the ones the repositories really run (captured from the engine), explained with their
own parameters on a store large enough for the planner to care: 3,000 customers and 6,000 orders with line
items, subscriptions, contacts, tags and tickets, bulk-inserted. PostgreSQL is ANALYZEd first (as an
import leaves it); SQLite is not (nothing analyzes the embedded store).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text

from rapport.domain import Intent
from rapport.policy import default_policy
from rapport.services.triage import TriageRequest, triage
from rapport.store.database import make_engine, session_factory, upgrade
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
from rapport.store.unit_of_work import UnitsOfWork, factory_for
from store_builders import sqlite_url, temporary_schema

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
CUSTOMERS = 3_000
POSTGRES_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")
SMALL_TABLES = {"merchants"}  # a handful of rows: a sequential scan is the right plan
# Access = (table, equality columns the index search uses); None: the table is read without an index.
Access = tuple[str, frozenset[str] | None]


def fill(engine: Engine) -> int:
    """Bulk-insert the store; returns the merchant's id."""
    t = table_of
    with engine.begin() as c:
        merchant = t(Merchant).c
        mid = c.execute(
            insert(t(Merchant)).values(slug="acme", name="acme", currency="USD").returning(merchant.id)
        ).scalar_one()
        c.execute(
            insert(t(Customer)),
            [
                {
                    "merchant_id": mid,
                    "external_id": f"c{i}",
                    "email": f"c{i}@example.com",
                    "loyalty_points": 0,
                    "accepts_marketing": False,
                    "created_at": NOW - timedelta(days=400),
                }
                for i in range(CUSTOMERS)
            ],
        )
        ids = dict(c.execute(text("SELECT external_id, id FROM customers")).all())
        c.execute(
            insert(t(Order)),
            [
                {
                    "merchant_id": mid,
                    "external_id": str(1000 + i),
                    "customer_id": ids[f"c{i % CUSTOMERS}"],
                    "name": f"#R{i}",  # names are never external ids: "by name" and "by id" differ
                    "created_at": NOW - timedelta(days=i % 300),
                    "total": Decimal("10.00"),
                    "currency": "USD",
                    "financial_status": "paid",
                    "fulfillment_status": "fulfilled",
                }
                for i in range(2 * CUSTOMERS)
            ],
        )
        order_ids = [row_id for (row_id,) in c.execute(text("SELECT id FROM orders"))]
        c.execute(
            insert(t(OrderLineItem)),
            [
                {
                    "merchant_id": mid,
                    "order_id": o,
                    "position": 0,
                    "title": "Bowl",
                    "quantity": 1,
                    "price": 10,
                }
                for o in order_ids
            ],
        )
        customer_ids = list(ids.values())
        c.execute(
            insert(t(CustomerTag)),
            [{"merchant_id": mid, "customer_id": cid, "tag": "vip"} for cid in customer_ids],
        )
        c.execute(
            insert(t(Subscription)),
            [
                {
                    "merchant_id": mid,
                    "external_id": f"s{cid}",
                    "customer_id": cid,
                    "status": "active",
                    "currency": "USD",
                }
                for cid in customer_ids
            ],
        )
        c.execute(
            insert(t(SupportContact)),
            [
                {
                    "merchant_id": mid,
                    "external_id": f"k{cid}",
                    "customer_id": cid,
                    "created_at": NOW - timedelta(days=cid % 200),
                    "intent": "damaged_item",
                }
                for cid in customer_ids
            ],
        )
        c.execute(
            insert(t(TicketRecord)),
            [
                {
                    "merchant_id": mid,
                    "customer_id": cid,
                    "email": f"x{cid}@example.com",
                    "message": "hi",
                    "received_at": NOW - timedelta(days=cid % 200),
                    "channel": "email",
                    "intent": "damaged_item",
                }
                for cid in customer_ids
            ],
        )
        c.execute(
            insert(t(Grant)),
            [
                {
                    "merchant_id": mid,
                    "customer_id": cid,
                    "email": f"c{cid}@example.com",
                    "offer": "store_credit",
                    "amount": Decimal("5.00"),
                    "currency": "USD",
                    "amount_in_policy_currency": Decimal("5.00"),
                    "granted_by_label": "agent@example.com",
                    "role": "agent",
                    "created_at": NOW - timedelta(days=cid % 200),
                }
                for cid in customer_ids
            ],
        )
        if engine.dialect.name == "postgresql":
            c.execute(text("ANALYZE"))
    return int(mid)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def big_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, UnitsOfWork, int]]:
    """(engine, units of work, merchant id) on a filled store, built once per backend."""
    with _database(request.param, tmp_path_factory.mktemp("plans")) as url:
        engine = make_engine(url)
        upgrade(engine)
        merchant_id = fill(engine)
        yield engine, factory_for(session_factory(engine)), merchant_id
        engine.dispose()


def _database(backend: str, tmp: Path) -> Any:
    if backend == "sqlite":
        return nullcontext(sqlite_url(str(tmp / "plans.db")))
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need RAPPORT_TEST_DATABASE_URL (e.g. postgresql+psycopg://...)")
    return temporary_schema(POSTGRES_URL)


def accesses_of(engine: Engine, run: Callable[[], object]) -> set[Access]:
    """Run `run`, then explain every statement it sent: the table accesses of all their plans."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert sent, "the call ran no statement"
    found: set[Access] = set()
    with engine.connect() as connection:
        for statement, parameters in sent:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                found |= {a for row in rows if (a := _sqlite_access(row[3])) is not None}
            else:
                plan = connection.exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + statement, parameters
                ).scalar_one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                found |= set(_postgres_accesses(plan[0]["Plan"]))
            connection.rollback()
    return {a for a in found if a[0] not in SMALL_TABLES}


SQLITE_ACCESS = re.compile(
    r"^(SEARCH|SCAN) (\w+)(?: AS \w+)?"  # table
    r"(?: USING (?:COVERING )?(?:INDEX \w+|INTEGER PRIMARY KEY))?(?: \((.*)\))?"  # index, conditions
)


def _sqlite_access(detail: str) -> Access | None:
    match = SQLITE_ACCESS.match(detail)
    if match is None:
        return None
    kind, table, conditions = match.groups()
    if kind == "SCAN":
        return (table, None)
    columns = {
        part.split("=")[0].strip() for part in (conditions or "").split(" AND ") if re.search(r"\w=\?", part)
    }
    return (table, frozenset("id" if c == "rowid" else c for c in columns))


PG_EQUALITY = re.compile(r"\(?\b(\w+)\)?(?:::[\w ]+?)?\s=\s")


def _postgres_accesses(node: dict[str, Any]) -> Iterator[Access]:
    children = node.get("Plans", [])
    if "Relation Name" in node and node["Node Type"] != "ModifyTable":  # the written table is no read
        table = node["Relation Name"]
        if node["Node Type"] == "Seq Scan":
            yield (table, None)
        elif node["Node Type"] == "Bitmap Heap Scan":
            for index_scan in _bitmap_index_scans(children):
                yield (table, frozenset(PG_EQUALITY.findall(index_scan.get("Index Cond", ""))))
            children = []
        else:
            yield (table, frozenset(PG_EQUALITY.findall(node.get("Index Cond", ""))))
    for child in children:
        yield from _postgres_accesses(child)


def _bitmap_index_scans(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        if node["Node Type"] == "Bitmap Index Scan":
            yield node
        yield from _bitmap_index_scans(node.get("Plans", []))


def test_finding_an_order_by_name_searches_the_index_on_merchant_and_name(big_store) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store

    def find() -> None:
        with units() as uow:
            assert uow.orders.find_summary(merchant_id=merchant_id, name_or_id="#R42") is not None

    assert accesses_of(engine, find) == {
        ("orders", frozenset({"merchant_id", "name"})),
        ("orders", frozenset({"merchant_id", "external_id"})),
        ("order_line_items", frozenset({"order_id"})),
    }


def test_finding_an_order_by_external_id_searches_the_index_on_merchant_and_external_id(big_store) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store

    def find() -> None:
        with units() as uow:
            assert uow.orders.find_summary(merchant_id=merchant_id, name_or_id="1042") is not None

    assert accesses_of(engine, find) == {
        ("orders", frozenset({"merchant_id", "name"})),
        ("orders", frozenset({"merchant_id", "external_id"})),
        ("order_line_items", frozenset({"order_id"})),
    }


def test_checking_whose_order_it_is_searches_the_order_by_merchant_and_external_id(big_store) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store

    def check() -> None:
        with units() as uow:
            assert uow.orders.belongs_to(merchant_id=merchant_id, external_id="1042", email="c42@example.com")

    found = accesses_of(engine, check)
    assert ("orders", frozenset({"merchant_id", "external_id"})) in found or (
        ("customers", frozenset({"merchant_id", "email"})) in found
    )
    assert all(columns for _, columns in found), found


def test_every_query_of_the_customer_profile_searches_an_index_on_all_its_equality_conditions(
    big_store,
) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store

    def profile() -> None:
        with units() as uow:
            assert uow.profiles.get_profile(
                merchant_id=merchant_id, email="c42@example.com", now=NOW
            ).is_known

    assert accesses_of(engine, profile) == {
        ("customers", frozenset({"merchant_id", "email"})),
        ("orders", frozenset({"customer_id"})),  # and created_at <= now, a range on the same index
        ("order_line_items", frozenset({"order_id"})),  # the line items' JSON array, per recent order
        ("subscriptions", frozenset({"customer_id", "status"})),  # active ones only
        ("support_contacts", frozenset({"customer_id"})),
        ("tickets", frozenset({"customer_id"})),
        ("customer_tags", frozenset({"customer_id"})),
        ("grants", frozenset({"merchant_id", "customer_id"})),  # the desk's ledger, in the 90-day sums
    }


def test_a_guests_profile_is_one_search_of_the_customer_by_merchant_and_email(big_store) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store

    def profile() -> None:
        with units() as uow:
            assert not uow.profiles.get_profile(
                merchant_id=merchant_id, email="nobody@example.com", now=NOW
            ).is_known

    # The aggregates' subqueries are planned too; for a guest they search with a NULL customer id.
    found = accesses_of(engine, profile)
    assert ("customers", frozenset({"merchant_id", "email"})) in found
    assert all(columns for _, columns in found), found


def test_customers_are_found_by_email_through_the_index_on_merchant_and_email(big_store) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store

    def lookups() -> None:
        with units() as uow:
            assert uow.customers.id_for_email(merchant_id=merchant_id, email="C42@example.com") is not None
            # A batch's e-mails are a small share of a real store's (2,000 of a million): 5 of 3,000 here.
            emails = [f"c{i}@example.com" for i in range(0, 500, 100)]
            assert len(uow.customers.ids_for_emails(merchant_id=merchant_id, emails=emails)) == 5
            assert len(uow.customers.owners_of_emails(merchant_id=merchant_id, emails=emails)) == 5

    assert accesses_of(engine, lookups) == {("customers", frozenset({"merchant_id", "email"}))}


def test_a_recorded_triage_naming_an_order_links_customer_and_order_through_their_indexes(big_store) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store
    with units() as uow:
        merchant = uow.merchants.find("acme")
    request = TriageRequest(
        email="c42@example.com",
        message="It arrived chipped",
        now=NOW,
        order_name="#R42",
        intent=Intent.DAMAGED_ITEM.value,
    )

    def recorded() -> None:
        triage(
            units, merchant=merchant, policy=default_policy(), classifier=None, request=request, record=True
        )  # type: ignore[arg-type]

    found = accesses_of(engine, recorded)
    unindexed = {table for table, columns in found if not columns}
    assert unindexed == set()
    assert ("customers", frozenset({"merchant_id", "email"})) in found
    assert ("orders", frozenset({"merchant_id", "external_id"})) in found  # the INSERT's link to its order


def test_the_grant_ledgers_queries_search_their_indexes(big_store) -> None:  # noqa: ANN001
    engine, units, merchant_id = big_store
    with units() as uow:
        customer_id = uow.customers.id_for_email(merchant_id=merchant_id, email="c42@example.com")

    def ledger() -> None:
        with units() as uow:
            grants = uow.grants
            grants.granted_90d(
                merchant_id=merchant_id, customer_id=customer_id, email="c42@example.com", now=NOW
            )
            grants.granted_90d(merchant_id=merchant_id, customer_id=None, email="guest@example.com", now=NOW)
            grants.find_by_key(merchant_id=merchant_id, idempotency_key="reply-1")
            grants.for_email(merchant_id=merchant_id, email="c42@example.com")

    assert accesses_of(engine, ledger) == {
        ("grants", frozenset({"merchant_id", "customer_id"})),
        ("grants", frozenset({"merchant_id", "email"})),
        ("grants", frozenset({"merchant_id", "idempotency_key"})),
        ("support_contacts", frozenset({"customer_id"})),
    }
