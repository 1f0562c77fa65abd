"""Repositories: merchants, customers, orders and tickets, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from rapport.domain import (
    Decision,
    EscalationLevel,
    Intent,
    IntentReading,
    OfferKind,
    ResolutionOffer,
    Ticket,
    Tone,
)
from rapport.domain.records import CustomerRecord, LineItemRecord, OrderRecord
from rapport.schemas import StoredDecision
from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder


def test_get_or_create_returns_the_same_merchant_every_time(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        first = uow.merchants.get_or_create("acme", currency="eur")
        again = uow.merchants.get_or_create(slug="acme")
        other = uow.merchants.get_or_create("globex")
        assert (again, uow.merchants.currency_of(first)) == (first, "EUR")
        assert other != first


def test_customer_emails_are_stored_lowercased(store: StoreBuilder) -> None:
    store.customer(email="  Dana.LEE@Example.com ")
    with store.uow_factory() as uow:
        assert (
            uow.customers.id_for_email(merchant_id=store.merchant_id, email="dana.lee@example.com")
            is not None
        )


def test_upserting_a_known_customer_updates_it_without_a_duplicate(store: StoreBuilder) -> None:
    with store.uow_factory() as uow:
        first = uow.customers.upsert_many(
            merchant_id=store.merchant_id, records=[CustomerRecord("c-1", "a@example.com", tags=("vip",))]
        )
        second = uow.customers.upsert_many(
            merchant_id=store.merchant_id, records=[CustomerRecord("c-1", "a@example.com", first_name="Ann")]
        )
        uow.commit()
        assert (first.inserted, second.updated, second.ids) == (1, 1, first.ids)
        assert uow.customers.count(merchant_id=store.merchant_id) == 1


def test_customers_can_be_found_by_tag_and_tags_are_replaced_on_update(store: StoreBuilder) -> None:
    store.customer(email="a@example.com", external_id="c-1", tags=("vip", "loyalty"))
    store.customer(email="b@example.com", external_id="c-2", tags=("loyalty",))
    store.customer(email="a@example.com", external_id="c-1", tags=("newsletter",))
    with store.uow_factory() as uow:
        assert uow.customers.emails_tagged(merchant_id=store.merchant_id, tag="loyalty") == ["b@example.com"]
        assert uow.customers.emails_tagged(merchant_id=store.merchant_id, tag="newsletter") == [
            "a@example.com"
        ]


def test_an_updated_order_has_its_line_items_replaced(store: StoreBuilder) -> None:
    customer = store.customer()
    store.order(customer, external_id="1042", items=("Bowl", "Mug"))
    store.order(customer, external_id="1042", items=("Kettle",))
    with store.uow_factory() as uow:
        order = uow.orders.find_summary(merchant_id=store.merchant_id, name_or_id="#1042")
    assert order is not None
    assert [item.title for item in order.line_items] == ["Kettle"]


def test_an_order_is_found_by_name_with_or_without_hash_and_by_external_id(store: StoreBuilder) -> None:
    customer = store.customer()
    store.order(customer, external_id="5550001", name="#1042")
    with store.uow_factory() as uow:
        found = {
            ref: uow.orders.find_summary(merchant_id=store.merchant_id, name_or_id=ref)
            for ref in ("#1042", "1042", "5550001")
        }
    assert {ref: o.id if o else None for ref, o in found.items()} == dict.fromkeys(found, "5550001")


def test_an_unknown_order_reference_finds_nothing(store: StoreBuilder) -> None:
    store.order(store.customer(), external_id="1042")
    with store.uow_factory() as uow:
        assert uow.orders.find_summary(merchant_id=store.merchant_id, name_or_id="#9999") is None


def test_an_order_of_another_merchant_is_not_found(store: StoreBuilder) -> None:
    store.order(store.customer(), external_id="1042")
    with store.uow_factory() as uow:
        other = uow.merchants.get_or_create("globex")
        assert uow.orders.find_summary(merchant_id=other, name_or_id="#1042") is None


def test_a_customers_orders_are_listed_newest_first(store: StoreBuilder) -> None:
    customer = store.customer(email="dana@example.com")
    store.order(customer, external_id="1", days_ago=30)
    store.order(customer, external_id="2", days_ago=3)
    store.order(store.customer(email="someone.else@example.com"), external_id="3", days_ago=1)
    with store.uow_factory() as uow:
        orders = uow.orders.summaries_for_customer(merchant_id=store.merchant_id, email="DANA@example.com")
    assert [o.id for o in orders] == ["2", "1"]


def test_an_order_belongs_only_to_the_customer_who_placed_it(store: StoreBuilder) -> None:
    store.order(store.customer(email="dana@example.com"), external_id="1")
    store.order(store.customer(email="someone.else@example.com"), external_id="2")
    with store.uow_factory() as uow:
        mine = uow.orders.belongs_to(merchant_id=store.merchant_id, external_id="1", email="DANA@example.com")
        theirs = uow.orders.belongs_to(
            merchant_id=store.merchant_id, external_id="2", email="dana@example.com"
        )
    assert (mine, theirs) == (True, False)


def test_a_guest_checkout_order_needs_no_customer(store: StoreBuilder) -> None:
    record = OrderRecord(
        "77", None, "#77", store.now, Decimal("5.00"), "USD", line_items=(LineItemRecord("Mug"),)
    )
    with store.uow_factory() as uow:
        uow.orders.upsert_many(merchant_id=store.merchant_id, records=[record])
        assert uow.orders.find_summary(merchant_id=store.merchant_id, name_or_id="#77") is not None


def a_decision(now: datetime) -> Decision:
    return Decision(
        intent=Intent.DAMAGED_ITEM,
        intent_confidence=0.9,
        segment="vip",
        segment_rule="segments[0] vip: customer.total_spent >= 2000.0",
        queue="priority",
        priority=80,
        first_response_due=now + timedelta(hours=1),
        escalation_level=EscalationLevel.SENIOR,
        resolution=ResolutionOffer(offer=OfferKind.REFUND, currency="USD", amount=Decimal("64.00")),
        tone=Tone(style="concise_warm"),
        follow_ups=(),
        explanation=("VIP because they spent 2400.00",),
    )


def test_a_recorded_ticket_keeps_its_decision_and_order(store: StoreBuilder) -> None:
    customer = store.customer(email="dana@example.com")
    store.order(customer, external_id="1042")
    with store.uow_factory() as uow:
        order = uow.orders.find_summary(merchant_id=store.merchant_id, name_or_id="#1042")
        reading = IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="keywords")
        ticket = Ticket(
            email="Dana@example.com", message="cracked", received_at=store.now, reading=reading, order=order
        )
        decision = a_decision(store.now)
        uow.tickets.record(merchant_id=store.merchant_id, ticket=ticket, decision=decision)
        uow.commit()
    with store.uow_factory() as uow:
        [recorded] = uow.tickets.for_email(merchant_id=store.merchant_id, email="dana@example.com")
    assert (recorded.order_name, recorded.intent, recorded.decision) == (
        "#1042",
        "damaged_item",
        StoredDecision.from_domain(decision),
    )
