"""Realistic customers, orders, tickets and decisions for drafting tests, with readable defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rapport.domain import (
    CustomerProfile,
    Decision,
    EscalationLevel,
    Intent,
    IntentReading,
    OfferKind,
    OrderSummary,
    ResolutionOffer,
    Ticket,
    Tone,
)
from rapport.drafting import BrandSettings

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def an_order(**overrides: Any) -> OrderSummary:
    """Order #1042: a fulfilled, paid order of $84.00 placed three weeks ago."""
    values: dict[str, Any] = {
        "id": "gid-1042",
        "name": "#1042",
        "created_at": NOW - timedelta(days=21),
        "total": Decimal("84.00"),
        "currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
    }
    return OrderSummary(**{**values, **overrides})


def a_vip(**overrides: Any) -> CustomerProfile:
    """Maria Lopez: ten orders since 2021, Gold member, subscriber, wrote twice lately."""
    order = an_order()
    values: dict[str, Any] = {
        "email": "maria.lopez@example.com",
        "is_known": True,
        "customer_id": "c-maria",
        "first_name": "Maria",
        "last_name": "Lopez",
        "locale": "en_US",
        "customer_since": datetime(2021, 4, 2, tzinfo=UTC),
        "first_order_at": datetime(2021, 4, 2, tzinfo=UTC),
        "orders_count": 10,
        "total_spent": Decimal("2310.00"),
        "tenure_days": 1693,
        "last_order": order,
        "recent_orders": (order, an_order(id="gid-0990", name="#990", created_at=NOW - timedelta(days=80))),
        "has_active_subscription": True,
        "subscription_next_billing_at": datetime(2026, 12, 1, tzinfo=UTC),
        "loyalty_tier": "gold",
        "contacts_last_90d": 2,
    }
    return CustomerProfile(**{**values, **overrides})


def a_first_timer(**overrides: Any) -> CustomerProfile:
    """Jonas Weber: one order, this year, never wrote before."""
    order = an_order(id="gid-2001", name="#2001", total=Decimal("39.90"))
    values: dict[str, Any] = {
        "email": "jonas.weber@example.org",
        "is_known": True,
        "customer_id": "c-jonas",
        "first_name": "Jonas",
        "last_name": "Weber",
        "customer_since": NOW - timedelta(days=25),
        "orders_count": 1,
        "last_order": order,
        "recent_orders": (order,),
    }
    return CustomerProfile(**{**values, **overrides})


def a_guest(email: str = "someone@example.net") -> CustomerProfile:
    """Someone the store does not know."""
    return CustomerProfile.guest(email)


def a_ticket(
    profile: CustomerProfile,
    *,
    message: str = "Hi, my order arrived damaged, the mug is broken.",
    intent: Intent = Intent.DAMAGED_ITEM,
    order: OrderSummary | None | str = "last",
    ticket_id: str | None = "t-1",
) -> Ticket:
    """A ticket from `profile` about their last order (pass order=None for none)."""
    chosen = profile.last_order if order == "last" else order
    assert not isinstance(chosen, str)
    return Ticket(
        email=profile.email,
        message=message,
        received_at=NOW,
        reading=IntentReading(intent=intent, confidence=0.92, source="keywords"),
        order=chosen,
        id=ticket_id,
    )


def an_offer(kind: OfferKind = OfferKind.STORE_CREDIT, **overrides: Any) -> ResolutionOffer:
    """An offer of `kind` with the parameters a policy would typically give it."""
    typical: dict[OfferKind, dict[str, Any]] = {
        OfferKind.REPLACEMENT: {"shipping": "express"},
        OfferKind.RESHIP: {"shipping": "standard"},
        OfferKind.REFUND: {"amount": Decimal("84.00"), "requires_return": True},
        OfferKind.PARTIAL_REFUND: {"amount": Decimal("25.00")},
        OfferKind.STORE_CREDIT: {"amount": Decimal("20.00")},
        OfferKind.DISCOUNT_CODE: {"percent": Decimal("15")},
        OfferKind.EXCHANGE: {"requires_return": True},
        OfferKind.RETURN_FOR_REFUND: {"amount": Decimal("84.00"), "requires_return": True},
        OfferKind.WAIVE_FEE: {"amount": Decimal("7.50")},
        OfferKind.FREE_SHIPPING_UPGRADE: {"shipping": "express"},
        OfferKind.NONE: {"reason": "the order is outside the 30-day return window"},
    }
    values = {"offer": kind, "currency": "USD", **typical.get(kind, {})}
    return ResolutionOffer(**{**values, **overrides})


def a_decision(
    offer: ResolutionOffer | None = None,
    *,
    style: str = "friendly",
    acknowledge_history: bool = True,
    intent: Intent = Intent.DAMAGED_ITEM,
    escalation: EscalationLevel = EscalationLevel.AGENT,
) -> Decision:
    """A decision for `intent` granting `offer` (store credit of $20 by default)."""
    return Decision(
        intent=intent,
        intent_confidence=0.92,
        segment="vip",
        segment_rule="segments[0] vip: customer.orders_count >= 10",
        queue="priority",
        priority=80,
        first_response_due=NOW + timedelta(hours=1),
        escalation_level=escalation,
        resolution=offer or an_offer(),
        tone=Tone(style=style, acknowledge_history=acknowledge_history),
        follow_ups=(),
        explanation=("segment vip: customer.orders_count >= 10",),
    )


def a_brand(**overrides: Any) -> BrandSettings:
    """Acme Outfitters, signed by Sam."""
    return replace(
        BrandSettings(store_name="Acme Outfitters", agent_name="Sam", sign_off="Warm regards"), **overrides
    )
