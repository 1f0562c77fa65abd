"""The open tickets of a synthetic store (`services.synthetic_store`): each with its decision (in
`schemas.StoredDecision`'s shape, version 1; queue and priority as the default policy routes the
customer's segment, not run through the engine), its first message and its `created` event."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

Row = dict[str, Any]

TICKET_MESSAGES = {
    "where_is_my_order": ("Where is my order?", "Hi, my order {order} has not arrived yet. Any news?"),
    "damaged_item": ("Damaged item", "Hello, the mug in order {order} arrived broken. What can you do?"),
    "return_request": ("Return", "I would like to return part of order {order}, it is not what I expected."),
    "late_delivery": ("Late delivery", "Order {order} was due last week and still has not come."),
    "product_question": ("Question", "Does the grinder from order {order} work for espresso?"),
}
# The default policy's routing (rapport/policy/default_policy.yaml): segment -> (queue, base priority, hours).
ROUTES = {
    "vip": ("priority", 60, 1),
    "subscriber": ("priority", 60, 1),
    "loyal": ("standard", 20, 8),
    "first_time": ("standard", 20, 8),
    "standard": ("standard", 20, 8),
}


@dataclass(slots=True)
class GeneratedCustomer:
    """What the generator remembers of the customer it is writing (for the rows that depend on it)."""

    id: int
    email: str
    name: str
    created: datetime
    spent: Decimal = Decimal(0)
    counted_orders: int = 0
    order_ids: list[int] = field(default_factory=list)
    order_names: list[str] = field(default_factory=list)
    subscribed: bool = False
    tags: list[str] = field(default_factory=list)


def segment_of(customer: GeneratedCustomer) -> str:
    """The default policy's segment for what was generated (its rules, first match wins)."""
    if customer.spent >= 2000 or customer.counted_orders >= 10:
        return "vip"
    if customer.subscribed:
        return "subscriber"
    if "loyalty" in customer.tags or customer.counted_orders >= 3:
        return "loyal"
    return "first_time" if customer.counted_orders <= 1 else "standard"


def open_ticket(
    rows: dict[str, list[Row]],
    rng: random.Random,
    next_id: Callable[[str], int],
    merchant_id: int,
    currency: str,
    now: datetime,
    customer: GeneratedCustomer,
) -> None:
    """An open ticket of `customer`'s, with its decision, first message and `created` event."""
    intent = rng.choice(tuple(TICKET_MESSAGES))
    subject, body = TICKET_MESSAGES[intent]
    order_at = len(customer.order_ids) - 1 if customer.order_ids else None
    received = now - timedelta(seconds=rng.uniform(60, 2 * 86_400))
    segment = segment_of(customer)
    queue, priority, hours = ROUTES[segment]
    due = received + timedelta(hours=hours)
    ticket_id = next_id("tickets")
    message = body.format(order="" if order_at is None else customer.order_names[order_at])
    rows["tickets"].append(
        {
            "id": ticket_id,
            "merchant_id": merchant_id,
            "customer_id": customer.id,
            "email": customer.email,
            "message": message,
            "received_at": received,
            "channel": "email",
            "intent": intent,
            "order_id": None if order_at is None else customer.order_ids[order_at],
            "subject": subject,
            "customer_name": customer.name,
            "status": "open",
            "queue": queue,
            "priority": priority,
            "escalation_level": "agent",
            "claim_level": "agent",
            "assignee_id": None,
            "first_response_due": due,
            "first_responded_at": None,
            "sla_paused_since": None,
            "sla_paused_seconds": 0,
            "claimed_at": None,
            "resolved_at": None,
            "updated_at": received,
            "idempotency_key": None,
        }
    )
    rows["decisions"].append(
        {
            "id": next_id("decisions"),
            "merchant_id": merchant_id,
            "ticket_id": ticket_id,
            "created_at": received,
            "segment": segment,
            "queue": queue,
            "priority": priority,
            "offer": "none",
            "amount": None,
            "decision_json": _decision(intent, segment, queue, priority, due, currency),
        }
    )
    rows["ticket_messages"].append(
        {
            "id": next_id("ticket_messages"),
            "merchant_id": merchant_id,
            "ticket_id": ticket_id,
            "author": "customer",
            "user_id": None,
            "body": message,
            "created_at": received,
            "draft_source": None,
            "guardrails": None,
        }
    )
    rows["ticket_events"].append(
        {
            "id": next_id("ticket_events"),
            "merchant_id": merchant_id,
            "ticket_id": ticket_id,
            "at": received,
            "kind": "created",
            "from_status": None,
            "to_status": "open",
            "actor_user_id": None,
            "actor_key_id": None,
            "actor_label": "rapport synth",
            "detail": {"queue": queue, "priority": priority, "segment": segment},
        }
    )


def _decision(intent: str, segment: str, queue: str, priority: int, due: datetime, currency: str) -> Row:
    """A decision in `schemas.StoredDecision`'s shape (version 1): no offer yet, a human answers."""
    return {
        "schema_version": 1,
        "intent": intent,
        "intent_confidence": 0.9,
        "needs_human": True,
        "segment": segment,
        "segment_rule": f"synthesized: the default policy's '{segment}' segment",
        "queue": queue,
        "priority": priority,
        "first_response_due": due.isoformat(),
        "escalation_level": "agent",
        "resolution": {
            "offer": "none",
            "amount": None,
            "percent": None,
            "currency": currency,
            "shipping": None,
            "requires_return": False,
            "reason": None,
            "capped_by": None,
            "rule": None,
        },
        "tone": {"style": "friendly", "acknowledge_history": False},
        "follow_ups": [],
        "explanation": ["synthesized by `rapport synth`: not decided by the engine"],
    }
