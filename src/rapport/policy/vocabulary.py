"""The facts a rule can read, with their CEL types: the contract between policy and engine.

The engine builds exactly these keys (a test checks it); the loader rejects any other
`customer.x` / `order.x` / `ticket.x` so a typo fails at load time, not on a customer.
"""

from __future__ import annotations

FACTS: dict[str, dict[str, str]] = {
    "customer": {
        "is_known": "bool",
        "email": "string",
        "orders_count": "int",
        "total_spent": "double",
        "spent_last_365d": "double",
        "average_order_value": "double",
        "tenure_days": "int",
        "open_orders": "int",
        "has_active_subscription": "bool",
        "loyalty_tier": "string",
        "loyalty_points": "int",
        "tags": "list(string)",
        "contacts_last_90d": "int",
        "refunds_last_90d": "double",
        "credits_last_90d": "double",
        "granted_last_90d": "double",
    },
    "order": {
        "exists": "bool",
        "name": "string",
        "total": "double",
        "age_days": "int",
        "financial_status": "string",
        "fulfillment_status": "string",
        "is_open": "bool",
        "items_count": "int",
    },
    "ticket": {
        "intent": "string",
        "urgency": "string",
        "signals": "list(string)",
        "channel": "string",
        "message_length": "int",
        "confidence": "double",
        "amount_mentioned": "double",
        "item_mentioned": "string",
        "size_mentioned": "string",
        "language": "string",
    },
}

_ZERO_VALUES: dict[str, object] = {"bool": False, "string": "", "int": 0, "double": 0.0}


def sample_facts() -> dict[str, object]:
    """Zero values of the declared types, used to find type errors at load time."""
    sample: dict[str, object] = {
        variable: {name: _ZERO_VALUES.get(kind, []) for name, kind in names.items()}
        for variable, names in FACTS.items()
    }
    sample["segment"] = ""
    return sample


# `segment` is a plain string: the name of the matched segment.
VARIABLES: frozenset[str] = frozenset({*FACTS, "segment"})

SIGNAL_KINDS: frozenset[str] = frozenset(
    {
        "anger",
        "repeat_contact",
        "chargeback_threat",
        "legal_threat",
        "cancel_account",
        "safety_issue",
        "all_caps",
        "deadline",
    }
)
