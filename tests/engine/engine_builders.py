"""Readable builders for engine tests: realistic customers, orders and tickets.

Named `engine_builders` (not `builders`) so it cannot shadow another package's test helpers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rapport.domain import CustomerProfile, Intent, IntentReading, LineItem, OrderSummary, Signal, Ticket
from rapport.policy import Policy, parse_policy

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def an_order(
    *,
    total: str = "64.00",
    days_ago: int = 5,
    fulfillment: str = "fulfilled",
    financial: str = "paid",
    name: str = "#1042",
    quantity: int = 1,
    cancelled: bool = False,
    currency: str = "USD",
) -> OrderSummary:
    """A paid, delivered order of one item placed `days_ago` days before NOW."""
    return OrderSummary(
        id=f"gid://shopify/Order/{name.strip('#')}",
        name=name,
        created_at=NOW - timedelta(days=days_ago),
        total=Decimal(total),
        currency=currency,
        financial_status=financial,
        fulfillment_status=fulfillment,
        line_items=(LineItem(title="Linen shirt", quantity=quantity, price=Decimal(total)),),
        cancelled=cancelled,
    )


def a_customer(**overrides: Any) -> CustomerProfile:
    """Maya, a known customer with two orders and 150.00 spent (segment: standard)."""
    base = CustomerProfile(
        email="maya@example.com",
        is_known=True,
        customer_id="c-1",
        first_name="Maya",
        orders_count=2,
        total_spent=Decimal("150.00"),
        spent_last_365d=Decimal("150.00"),
        average_order_value=Decimal("75.00"),
        tenure_days=200,
    )
    return replace(base, **overrides)


def a_vip(**overrides: Any) -> CustomerProfile:
    """Vera, who has spent 2,450.00 over 12 orders (segment: vip)."""
    fields: dict[str, Any] = {
        "email": "vera@example.com",
        "first_name": "Vera",
        "orders_count": 12,
        "total_spent": Decimal("2450.00"),
    }
    return a_customer(**{**fields, **overrides})


def a_subscriber(**overrides: Any) -> CustomerProfile:
    """Sam, with an active subscription (segment: subscriber)."""
    return a_customer(**{"email": "sam@example.com", "has_active_subscription": True, **overrides})


def a_first_timer(**overrides: Any) -> CustomerProfile:
    """Fay, whose first order is her only one (segment: first_time)."""
    return a_customer(
        **{"email": "fay@example.com", "orders_count": 1, "total_spent": Decimal("40.00"), **overrides}
    )


def a_guest(email: str = "stranger@example.com") -> CustomerProfile:
    """Someone the store does not know."""
    return CustomerProfile.guest(email)


def a_ticket(
    intent: Intent = Intent.DAMAGED_ITEM,
    *,
    order: OrderSummary | None = None,
    signals: tuple[str, ...] = (),
    confidence: float = 0.9,
    needs_human: bool = False,
    message: str = "My order arrived broken.",
) -> Ticket:
    """A ticket read as `intent`, about `order`, carrying the given signal kinds."""
    return Ticket(
        email="maya@example.com",
        message=message,
        received_at=NOW,
        reading=IntentReading(
            intent=intent, confidence=confidence, source="keywords", needs_human=needs_human
        ),
        order=order,
        signals=tuple(Signal(kind=kind, evidence=kind) for kind in signals),
    )


def a_policy(**sections: Any) -> Policy:
    """A small policy (segments vip/everyone, generous limits) with `sections` replaced.

    Sections are plain dicts, written as JSON (which is YAML) and loaded like a file.
    """
    document: dict[str, Any] = {
        "currency": "USD",
        "segments": [
            {"name": "vip", "when": "customer.total_spent >= 2000.0"},
            {"name": "everyone", "when": "true"},
        ],
        "queues": [
            {"name": "fast", "segments": ["vip"], "first_response": "1h", "escalate_to": "senior"},
            {"name": "normal", "segments": ["everyone"], "first_response": "8h"},
        ],
        "limits": {
            "default": {
                "max_refund": 100,
                "max_credit": 20,
                "max_discount_percent": 10,
                "credit_budget_90d": 50,
            }
        },
    }
    document.update(sections)
    return parse_policy(json.dumps(document), "test-policy.yaml")


def resolutions_for(intent: Intent, *rules: dict[str, Any]) -> dict[str, Any]:
    """`resolutions=` section with the given rules for one intent."""
    return {intent.value: list(rules)}
