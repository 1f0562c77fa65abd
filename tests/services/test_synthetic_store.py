"""The synthetic store's rows: the same for a seed, consistent with each other, with sane distributions."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.domain.errors import InvalidInput
from rapport.schemas import StoredDecision
from rapport.services.synthetic_store import TABLES, Batch, SyntheticStore, batches

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def rows_of(store: SyntheticStore, *, chunk: int = 1_000, first_ids: dict[str, int] | None = None) -> Batch:
    whole: Batch = {table: [] for table in TABLES}
    for batch in batches(store, merchant_id=3, first_ids=first_ids, chunk=chunk):
        for table, rows in batch.items():
            whole[table].extend(rows)
    return whole


@pytest.fixture(scope="module")
def store() -> Batch:
    return rows_of(SyntheticStore(customers=5_000, now=NOW, orders_per_customer=5.0, seed=14))


def test_the_same_seed_gives_the_same_rows_whatever_the_chunk_size() -> None:
    plan = SyntheticStore(customers=700, now=NOW, seed=5)
    assert rows_of(plan, chunk=100) == rows_of(plan, chunk=700)


def test_another_seed_gives_other_rows() -> None:
    one = rows_of(SyntheticStore(customers=300, now=NOW, seed=1))
    two = rows_of(SyntheticStore(customers=300, now=NOW, seed=2))
    assert [o["total"] for o in one["orders"]] != [o["total"] for o in two["orders"]]


def test_every_customer_has_a_unique_lowercase_email(store: Batch) -> None:
    emails = [c["email"] for c in store["customers"]]
    assert all(emails)
    assert all(e == e.lower() and "@" in e for e in emails)
    assert len(set(emails)) == len(emails) == 5_000


def test_every_row_points_at_a_generated_parent(store: Batch) -> None:
    customers = {c["id"] for c in store["customers"]}
    orders = {o["id"] for o in store["orders"]}
    tickets = {t["id"] for t in store["tickets"]}
    for table in ("orders", "subscriptions", "customer_tags", "support_contacts", "grants", "tickets"):
        assert {r["customer_id"] for r in store[table]} <= customers, table
    assert {i["order_id"] for i in store["order_line_items"]} == orders  # every order has items
    assert {g["order_id"] for g in store["grants"]} <= orders
    assert {t["order_id"] for t in store["tickets"]} - {None} <= orders
    for table in ("decisions", "ticket_messages", "ticket_events"):
        assert {r["ticket_id"] for r in store[table]} == tickets, table


def test_ids_start_where_they_are_told() -> None:
    rows = rows_of(SyntheticStore(customers=50, now=NOW), first_ids={"customers": 1_001, "orders": 7})
    assert rows["customers"][0]["id"] == 1_001
    assert rows["customers"][-1]["id"] == 1_050
    assert rows["orders"][0]["id"] == 7
    assert [o["id"] for o in rows["orders"]] == list(range(7, 7 + len(rows["orders"])))


def test_an_order_total_is_its_items_plus_shipping_under_the_threshold(store: Batch) -> None:
    items: defaultdict[int, Decimal] = defaultdict(Decimal)
    for item in store["order_line_items"]:
        items[item["order_id"]] += item["price"] * item["quantity"]
    for order in store["orders"]:
        subtotal = items[order["id"]]
        assert order["total"] == subtotal + (Decimal("4.95") if subtotal < 50 else 0)


def test_the_orders_average_what_was_asked_and_spend_is_skewed(store: Batch) -> None:
    per_customer = Counter(o["customer_id"] for o in store["orders"])
    assert 4.6 <= len(store["orders"]) / 5_000 <= 5.4
    never = 5_000 - len(per_customer)
    assert 0.07 <= never / 5_000 <= 0.13
    spend = Counter[int]()
    for order in store["orders"]:
        spend[order["customer_id"]] += int(order["total"])
    top_tenth = sum(sorted(spend.values(), reverse=True)[:500])
    assert top_tenth / sum(spend.values()) > 0.25  # the top 10 % of customers spend over a quarter
    assert max(per_customer.values()) >= 20  # a few buy very often


def test_about_one_in_twelve_customers_subscribes_and_loyalty_follows_spend(store: Batch) -> None:
    active = sum(s["status"] == "active" for s in store["subscriptions"])
    assert 0.05 <= active / 5_000 <= 0.11
    tiers = Counter(c["loyalty_tier"] for c in store["customers"])
    assert 0.35 <= tiers[None] / 5_000 <= 0.45
    assert {"bronze", "silver", "gold", "platinum"} <= set(tiers)
    tagged = Counter(t["tag"] for t in store["customer_tags"])
    assert tagged["loyalty"] == 5_000 - tiers[None]


def test_some_customers_have_past_contacts_grants_and_an_open_ticket(store: Batch) -> None:
    contacted = {c["customer_id"] for c in store["support_contacts"]}
    assert 0.2 <= len(contacted) / 5_000 <= 0.3
    assert any(c["granted_amount"] for c in store["support_contacts"])
    assert 0.01 <= len(store["grants"]) / 5_000 <= 0.05
    assert 20 <= len(store["tickets"]) <= 90
    assert {t["status"] for t in store["tickets"]} == {"open"}


def test_every_open_ticket_has_a_decision_the_store_can_read(store: Batch) -> None:
    for decision in store["decisions"]:
        stored = StoredDecision.read(decision["decision_json"])
        assert stored.queue == decision["queue"]
        assert stored.segment == decision["segment"]


def test_nothing_is_dated_after_now(store: Batch) -> None:
    for table, column in (("customers", "created_at"), ("orders", "created_at"), ("tickets", "received_at")):
        assert max(r[column] for r in store[table]) <= NOW, table
    assert all(o["cancelled_at"] is None or o["cancelled_at"] <= NOW for o in store["orders"])


@pytest.mark.parametrize(
    ("customers", "orders"),
    [(0, 5.0), (-1, 5.0), (10, -1.0), (10, 51.0)],
    ids=["zero", "negative", "no", "many"],
)
def test_an_impossible_store_is_refused(customers: int, orders: float) -> None:
    with pytest.raises(InvalidInput):
        SyntheticStore(customers=customers, now=NOW, orders_per_customer=orders)


def test_a_time_without_offset_is_refused() -> None:
    with pytest.raises(InvalidInput, match="offset"):
        SyntheticStore(customers=10, now=datetime(2026, 1, 1))
