"""Plain-dict views of domain values, the JSON shapes the CLI, API and store share."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from rapport.domain.customer import CustomerProfile, OrderSummary
from rapport.domain.decision import Decision, ResolutionOffer


def money(value: Decimal | None) -> str | None:
    """Money as a string with two decimals ("12.50"): exact, and JSON-safe."""
    return None if value is None else f"{value.quantize(Decimal('0.01'))}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def order_to_dict(order: OrderSummary) -> dict[str, Any]:
    return {
        "id": order.id,
        "name": order.name,
        "created_at": _iso(order.created_at),
        "total": money(order.total),
        "currency": order.currency,
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status,
        "line_items": [
            {"title": li.title, "quantity": li.quantity, "price": money(li.price)} for li in order.line_items
        ],
    }


def resolution_to_dict(offer: ResolutionOffer) -> dict[str, Any]:
    return {
        "offer": offer.offer.value,
        "amount": money(offer.amount),
        "percent": None if offer.percent is None else str(offer.percent),
        "currency": offer.currency,
        "shipping": offer.shipping,
        "requires_return": offer.requires_return,
        "reason": offer.reason,
        "capped_by": offer.capped_by,
        "rule": offer.rule,
    }


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """The decision's fields, as `rapport triage --json` prints them."""
    return {
        "intent": decision.intent.value,
        "intent_confidence": round(decision.intent_confidence, 3),
        "needs_human": decision.needs_human,
        "segment": decision.segment,
        "segment_rule": decision.segment_rule,
        "queue": decision.queue,
        "priority": decision.priority,
        "first_response_due": _iso(decision.first_response_due),
        "escalation_level": decision.escalation_level.value,
        "resolution": resolution_to_dict(decision.resolution),
        "tone": {"style": decision.tone.style, "acknowledge_history": decision.tone.acknowledge_history},
        "follow_ups": [
            {"due_at": _iso(f.due_at), "kind": f.kind, "channel": f.channel, "from": f.sender}
            for f in decision.follow_ups
        ],
        "explanation": list(decision.explanation),
    }


def profile_to_dict(profile: CustomerProfile) -> dict[str, Any]:
    """The customer card as JSON."""
    return {
        "id": profile.customer_id,
        "email": profile.email,
        "known": profile.is_known,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "customer_since": _iso(profile.customer_since),
        "orders_count": profile.orders_count,
        "total_spent": money(profile.total_spent),
        "spent_last_365d": money(profile.spent_last_365d),
        "average_order_value": money(profile.average_order_value),
        "first_order_at": _iso(profile.first_order_at),
        "tenure_days": profile.tenure_days,
        "last_order": None if profile.last_order is None else order_to_dict(profile.last_order),
        "open_orders": profile.open_orders,
        "has_active_subscription": profile.has_active_subscription,
        "subscription_next_billing_at": _iso(profile.subscription_next_billing_at),
        "loyalty_tier": profile.loyalty_tier,
        "loyalty_points": profile.loyalty_points,
        "tags": list(profile.tags),
        "contacts_last_90d": profile.contacts_last_90d,
        "refunds_last_90d": money(profile.refunds_last_90d),
        "credits_last_90d": money(profile.credits_last_90d),
        "currency": profile.currency,
    }
