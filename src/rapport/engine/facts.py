"""The facts rules read: the CEL context built from a ticket and a customer profile.

Keys match `rapport.policy.vocabulary.FACTS` exactly. Money is a CEL double, counts are
ints. When no order is known, `order.exists` is false and every other order fact is a
zero value ("" / 0 / 0.0 / false), so rules such as `order.age_days <= 30` never crash;
guard them with `order.exists` when the difference matters. Facts from the message follow the same rule:
no amount mentioned is `ticket.amount_mentioned == 0.0`, no item, size or language is "".
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from rapport.domain.customer import CustomerProfile, OrderSummary
from rapport.domain.ticket import Ticket
from rapport.policy.schema import Policy

Facts = dict[str, Any]


def build_facts(
    ticket: Ticket,
    profile: CustomerProfile,
    now: datetime,
    *,
    order_total: Decimal | None = None,
    policy: Policy | None = None,
) -> Facts:
    """The CEL context for one ticket: `customer`, `order` and `ticket` (no `segment` yet).

    `order_total` is the order's value in the policy's currency when it is in another one (the engine
    converts it with the policy's `currency_rates`); without it `order.total` is the order's own.
    `policy` gives the currency `ticket.amount_mentioned` is stated in (`mentioned_amount`); without it
    the amount is taken as written."""
    order = order_facts(ticket.order, now)
    if ticket.order is not None and order_total is not None:
        order["total"] = _double(order_total)
    facts = ticket_facts(ticket)
    amount = mentioned_amount(ticket, policy) if policy is not None else ticket.amount_mentioned
    facts["amount_mentioned"] = _double(amount) if amount is not None else 0.0
    return {
        "customer": customer_facts(profile),
        "order": order,
        "ticket": facts,
    }


# "$15" is read as USD by the entity extractor; in a shop that counts in another dollar it is that dollar.
_DOLLARS = frozenset({"CAD", "AUD", "NZD", "SGD", "HKD", "MXN"})


def mentioned_amount(ticket: Ticket, policy: Policy) -> Decimal | None:
    """The amount the customer mentions, in the policy's currency (rounded down to the cent).

    A mention in the order's currency, else the policy's, is taken as it is (a "$" mention in a CAD, AUD …
    shop is that dollar); one in another currency is converted with `currency_rates`; without a rate for
    it, no amount is known (None): a fee in an unknown currency is never guessed."""
    amount, currency = ticket.amount_mentioned, ticket.amount_currency
    if amount is None:
        return None
    home = ticket.order.currency if ticket.order is not None else policy.currency
    if currency == "USD" and home in _DOLLARS:
        currency = home
    if currency == policy.currency or not currency:
        rate: Decimal | None = Decimal(1)
    else:
        rate = policy.currency_rates.get(currency)
    if rate is None:
        return None
    return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _double(value: Decimal) -> float:
    return float(value)


def customer_facts(profile: CustomerProfile) -> dict[str, Any]:
    """What a rule knows about the customer."""
    return {
        "is_known": profile.is_known,
        "email": profile.email,
        "orders_count": profile.orders_count,
        "total_spent": _double(profile.total_spent),
        "spent_last_365d": _double(profile.spent_last_365d),
        "average_order_value": _double(profile.average_order_value),
        "tenure_days": profile.tenure_days,
        "open_orders": profile.open_orders,
        "has_active_subscription": profile.has_active_subscription,
        "loyalty_tier": profile.loyalty_tier or "",
        "loyalty_points": profile.loyalty_points,
        "tags": list(profile.tags),
        "contacts_last_90d": profile.contacts_last_90d,
        "refunds_last_90d": _double(profile.refunds_last_90d),
        "credits_last_90d": _double(profile.credits_last_90d),
        "granted_last_90d": _double(granted_last_90d(profile)),
    }


def granted_last_90d(profile: CustomerProfile) -> Decimal:
    """Refunds and credits already granted in the rolling 90 days (what the budget counts)."""
    return max(Decimal(0), profile.refunds_last_90d) + max(Decimal(0), profile.credits_last_90d)


def order_facts(order: OrderSummary | None, now: datetime) -> dict[str, Any]:
    """What a rule knows about the order the ticket is about (zero values when none)."""
    if order is None:
        return {
            "exists": False,
            "name": "",
            "total": 0.0,
            "age_days": 0,
            "financial_status": "",
            "fulfillment_status": "",
            "is_open": False,
            "items_count": 0,
        }
    return {
        "exists": True,
        "name": order.name,
        "total": _double(order.total),
        "age_days": order.age_days(now),
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status,
        "is_open": order.is_open,
        "items_count": sum(item.quantity for item in order.line_items),
    }


def ticket_facts(ticket: Ticket) -> dict[str, Any]:
    """What a rule knows about the message itself."""
    return {
        "intent": ticket.intent.value,
        "urgency": ticket.urgency.value,
        "signals": sorted({signal.kind for signal in ticket.signals}),
        "channel": ticket.channel,
        "message_length": len(ticket.message),
        "confidence": float(ticket.reading.confidence),
        "amount_mentioned": _double(ticket.amount_mentioned) if ticket.amount_mentioned is not None else 0.0,
        "item_mentioned": ticket.item_mentioned,
        "size_mentioned": ticket.size_mentioned,
        "language": ticket.language,
    }
