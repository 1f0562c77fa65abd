"""Every repository query answers for the asking merchant only.

Two merchants, "acme" and "globex", hold the same customer e-mail, the same customer and order external
ids and the same order names, with different data behind them; globex also has rows acme lacks. Each
query is asked as acme and must return acme's rows, nothing of globex's (and the other way round where
it matters). On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

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
from rapport.domain.records import BulkOrder
from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder

DANA = "dana.lee@example.com"
NOW_ORDER = "1001"  # an order external id (and name #1001) both merchants have
GLOBEX_ONLY_ORDER = "2002"  # dana's at globex; acme has no such order


class Shops:
    def __init__(self, acme: StoreBuilder, globex: StoreBuilder) -> None:
        self.acme, self.globex = acme, globex
        self.uow_factory = acme.uow_factory
        self.now = acme.now


@pytest.fixture
def shops(uow_factory: Callable[[], UnitOfWork], now: datetime) -> Shops:
    acme = StoreBuilder(uow_factory, now=now, merchant="acme")
    globex = StoreBuilder(uow_factory, now=now, merchant="globex")
    a = acme.customer(email=DANA, external_id="c-1", first_name="Dana", tags=("vip",), loyalty_tier="gold")
    g = globex.customer(email=DANA, external_id="c-1", first_name="Danielle", tags=("wholesale",))
    globex.customer(email="only.globex@example.com", external_id="c-2", tags=("vip",))
    acme.order(a, external_id=NOW_ORDER, total="50.00", days_ago=5)
    globex.order(g, external_id=NOW_ORDER, total="999.00", days_ago=3, items=("Globex anvil",))
    globex.order(g, external_id=GLOBEX_ONLY_ORDER, total="10.00", days_ago=1)
    globex.subscription(g)
    # The same external id under different names: which merchant's row a query found shows in the name.
    acme.order(a, external_id="4004", name="#A-4004", days_ago=20)
    globex.order(g, external_id="4004", name="#G-4004", days_ago=20)
    acme.contact(a, ago=timedelta(days=3), offer="store_credit", amount="5.00")
    globex.contact(g, ago=timedelta(days=2), offer="store_credit", amount="40.00")
    globex.contact(g, ago=timedelta(days=2), offer="refund", amount="70.00")
    return Shops(acme, globex)


def test_customers_are_found_by_email_and_external_id_within_the_merchant(shops: Shops) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    with shops.uow_factory() as uow:
        mine = uow.customers.id_for_email(merchant_id=acme, email=DANA)
        theirs = uow.customers.id_for_email(merchant_id=globex, email=DANA)
        assert mine is not None
        assert theirs is not None
        assert mine != theirs
        assert uow.customers.ids_for_emails(merchant_id=acme, emails=[DANA, "only.globex@example.com"]) == {
            DANA: mine
        }
        assert uow.customers.owners_of_emails(merchant_id=acme, emails=[DANA, "only.globex@example.com"]) == {
            DANA: "c-1"
        }
        assert uow.customers.ids_by_external_id(merchant_id=acme, external_ids=["c-1", "c-2"]) == {
            "c-1": mine
        }
        assert uow.customers.id_for_email(merchant_id=acme, email="only.globex@example.com") is None


def test_tags_and_counts_are_the_merchant_s_own(shops: Shops) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    with shops.uow_factory() as uow:
        assert uow.customers.emails_tagged(merchant_id=acme, tag="vip") == [DANA]
        assert uow.customers.emails_tagged(merchant_id=acme, tag="wholesale") == []
        assert uow.customers.emails_tagged(merchant_id=globex, tag="vip") == ["only.globex@example.com"]
        assert (uow.customers.count(merchant_id=acme), uow.customers.count(merchant_id=globex)) == (1, 2)


@pytest.mark.parametrize("reference", ["#1001", "1001"])
def test_an_order_is_found_by_name_or_id_within_the_merchant(shops: Shops, reference: str) -> None:
    with shops.uow_factory() as uow:
        found = uow.orders.find_summary(merchant_id=shops.acme.merchant_id, name_or_id=reference)
        assert found is not None
        assert (found.total, [i.title for i in found.line_items]) == (
            Decimal("50.00"),
            ["Stoneware bowl set"],
        )
        assert (
            uow.orders.find_summary(merchant_id=shops.acme.merchant_id, name_or_id=GLOBEX_ONLY_ORDER) is None
        )


def test_an_order_belongs_to_the_customer_only_within_the_merchant(shops: Shops) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    with shops.uow_factory() as uow:
        assert uow.orders.belongs_to(merchant_id=acme, external_id=NOW_ORDER, email=DANA)
        assert uow.orders.belongs_to(merchant_id=globex, external_id=GLOBEX_ONLY_ORDER, email=DANA)
        # Same e-mail, an order id only globex has: not acme's customer's order.
        assert not uow.orders.belongs_to(merchant_id=acme, external_id=GLOBEX_ONLY_ORDER, email=DANA)


def test_a_customer_s_orders_are_listed_within_the_merchant(shops: Shops) -> None:
    with shops.uow_factory() as uow:
        listed = uow.orders.summaries_for_customer(merchant_id=shops.acme.merchant_id, email=DANA)
        assert [(o.id, o.total) for o in listed] == [
            (NOW_ORDER, Decimal("50.00")),
            ("4004", Decimal("50.00")),
        ]


def test_the_profile_counts_only_the_merchant_s_history(shops: Shops) -> None:
    with shops.uow_factory() as uow:
        profile = uow.profiles.get_profile(merchant_id=shops.acme.merchant_id, email=DANA, now=shops.now)
    assert (profile.first_name, profile.orders_count, profile.total_spent) == ("Dana", 2, Decimal("100.00"))
    assert (profile.tags, profile.loyalty_tier, profile.has_active_subscription) == (("vip",), "gold", False)
    assert (profile.contacts_last_90d, profile.refunds_last_90d, profile.credits_last_90d) == (
        1,
        Decimal("0.00"),
        Decimal("5.00"),
    )
    assert [o.name for o in profile.recent_orders] == ["#1001", "#A-4004"]


def test_a_recorded_ticket_links_the_merchant_s_customer_and_order_and_is_listed_only_there(
    shops: Shops,
) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    with shops.uow_factory() as uow:
        order = uow.orders.find_summary(merchant_id=acme, name_or_id=NOW_ORDER)
        ticket = Ticket(
            email=DANA,
            message="the bowl is chipped",
            received_at=shops.now,
            reading=IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="keywords"),
            order=order,
        )
        uow.tickets.record(merchant_id=acme, ticket=ticket, decision=_decision(shops.now))
        uow.commit()
    with shops.uow_factory() as uow:
        [recorded] = uow.tickets.for_email(merchant_id=acme, email=DANA)
        assert recorded.order_name == "#1001"
        assert uow.tickets.for_email(merchant_id=globex, email=DANA) == []
        acme_profile = uow.profiles.get_profile(merchant_id=acme, email=DANA, now=shops.now)
        globex_profile = uow.profiles.get_profile(merchant_id=globex, email=DANA, now=shops.now)
    assert (acme_profile.contacts_last_90d, globex_profile.contacts_last_90d) == (2, 2)


def test_shopify_staleness_refunds_and_counts_are_the_merchant_s(shops: Shops) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    with shops.uow_factory() as uow:
        assert set(
            uow.shopify.updated_at_of("orders", merchant_id=acme, external_ids=[NOW_ORDER, GLOBEX_ONLY_ORDER])
        ) == {NOW_ORDER}
        assert set(uow.shopify.updated_at_of("customers", merchant_id=acme, external_ids=["c-1", "c-2"])) == {
            "c-1"
        }
        assert not uow.shopify.record_refund(
            merchant_id=acme, order_external_id=GLOBEX_ONLY_ORDER, refunded=Decimal(1)
        )
        assert uow.shopify.record_refund(merchant_id=acme, order_external_id=NOW_ORDER, refunded=Decimal(50))
        uow.commit()
        assert (
            uow.shopify.count("orders", merchant_id=acme),
            uow.shopify.count("orders", merchant_id=globex),
        ) == (2, 3)
    with shops.uow_factory() as uow:
        globex_order = uow.orders.find_summary(merchant_id=globex, name_or_id=NOW_ORDER)
        acme_order = uow.orders.find_summary(merchant_id=acme, name_or_id=NOW_ORDER)
    assert globex_order is not None
    assert acme_order is not None
    assert (acme_order.financial_status, globex_order.financial_status) == ("refunded", "paid")


def test_deleting_a_customer_deletes_only_the_merchant_s(shops: Shops) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    with shops.uow_factory() as uow:
        assert uow.shopify.delete_customer(merchant_id=acme, external_id="c-1", email=DANA) == 1
        uow.commit()
    with shops.uow_factory() as uow:
        assert uow.customers.id_for_email(merchant_id=acme, email=DANA) is None
        assert uow.customers.id_for_email(merchant_id=globex, email=DANA) is not None
        listed = uow.orders.summaries_for_customer(merchant_id=globex, email=DANA)
    assert {o.id for o in listed} == {NOW_ORDER, GLOBEX_ONLY_ORDER, "4004"}


def test_webhook_deliveries_are_found_and_scrubbed_within_the_merchant(shops: Shops) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    ids = {}
    with shops.uow_factory() as uow:
        for merchant_id in (acme, globex):
            ids[merchant_id] = uow.shopify.insert_delivery(
                {
                    "merchant_id": merchant_id,
                    "delivery_key": "evt-1",
                    "webhook_id": "w-1",
                    "topic": "orders/updated",
                    "shop_domain": f"shop-{merchant_id}.myshopify.com",
                    "received_at": shops.now,
                    "payload": {"email": DANA},
                    "status": "received",
                }
            )
        uow.commit()
    with shops.uow_factory() as uow:
        found = uow.shopify.find_delivery(merchant_id=acme, topic="orders/updated", delivery_key="evt-1")
        assert found is not None
        assert found.id == ids[acme]
        assert uow.shopify.scrub_deliveries(merchant_id=acme, needles=[DANA], keep_id=-1) == 1
        uow.commit()
        assert uow.shopify.count("webhooks", merchant_id=acme) == 1
    with shops.uow_factory() as uow:
        theirs = uow.shopify.delivery(ids[globex])
        assert theirs is not None
        assert theirs.payload == {"email": DANA}


def test_bulk_loaded_orders_link_the_merchant_s_customer(shops: Shops) -> None:
    acme, globex = shops.acme.merchant_id, shops.globex.merchant_id
    with shops.uow_factory() as uow:
        values = uow.bulk_orders.values()
        order = BulkOrder(
            "3003",
            DANA,
            "#3003",
            values.time(shops.now - timedelta(days=1)),
            values.money(Decimal("12.00")),
            "USD",
            "paid",
            "fulfilled",
            None,
        )
        assert uow.bulk_orders.load(merchant_id=acme, orders=[order], lines=[]) == 1
        uow.commit()
    with shops.uow_factory() as uow:
        assert {o.id for o in uow.orders.summaries_for_customer(merchant_id=acme, email=DANA)} == {
            NOW_ORDER,
            "3003",
            "4004",
        }
        assert "3003" not in {o.id for o in uow.orders.summaries_for_customer(merchant_id=globex, email=DANA)}
        assert uow.customers.count(merchant_id=acme) == 1  # no stub: acme's dana was found


def _decision(now: datetime) -> Decision:
    return Decision(
        intent=Intent.DAMAGED_ITEM,
        intent_confidence=0.9,
        segment="standard",
        segment_rule="segments[0] standard: true",
        queue="standard",
        priority=20,
        first_response_due=now + timedelta(hours=8),
        escalation_level=EscalationLevel.AGENT,
        resolution=ResolutionOffer(OfferKind.ESCALATE, "USD", reason="a teammate will look"),
        tone=Tone(style="friendly"),
        follow_ups=(),
        explanation=("Intent damaged_item",),
    )


def test_a_ticket_is_linked_to_the_merchant_s_own_order_of_that_id(shops: Shops) -> None:
    # Both merchants record a ticket about their order "4004": each must be linked to its own.
    for builder, name in ((shops.acme, "#A-4004"), (shops.globex, "#G-4004")):
        with shops.uow_factory() as uow:
            order = uow.orders.find_summary(merchant_id=builder.merchant_id, name_or_id="4004")
            assert order is not None
            assert order.name == name
            ticket = Ticket(
                email=DANA,
                message="where is it",
                received_at=shops.now,
                reading=IntentReading(intent=Intent.WHERE_IS_MY_ORDER, confidence=0.9, source="keywords"),
                order=order,
            )
            uow.tickets.record(merchant_id=builder.merchant_id, ticket=ticket, decision=_decision(shops.now))
            uow.commit()
    with shops.uow_factory() as uow:
        [acme_ticket] = uow.tickets.for_email(merchant_id=shops.acme.merchant_id, email=DANA)
        [globex_ticket] = uow.tickets.for_email(merchant_id=shops.globex.merchant_id, email=DANA)
    assert (acme_ticket.order_name, globex_ticket.order_name) == ("#A-4004", "#G-4004")
