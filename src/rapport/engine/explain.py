"""Words for explanations: money, facts a rule read, rule names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rapport.policy.expressions import Expression

_MONEY_FACTS = frozenset(
    {
        ("customer", "total_spent"),
        ("customer", "spent_last_365d"),
        ("customer", "average_order_value"),
        ("customer", "refunds_last_90d"),
        ("customer", "credits_last_90d"),
        ("customer", "granted_last_90d"),
        ("order", "total"),
    }
)


def money(amount: Decimal | float, currency: str) -> str:
    """2450 -> "2,450.00 USD"."""
    return f"{Decimal(str(amount)):,.2f} {currency}"


def describe_facts(expression: Expression, facts: dict[str, Any], currency: str) -> str:
    """The values of the facts an expression reads: "(total spent 2,450.00 USD, orders count 12)"."""
    parts = []
    for variable, name in expression.fact_references():
        value = facts.get(variable, {}).get(name)
        parts.append(f"{_label(variable, name)} {_render(variable, name, value, currency)}")
    if "segment" in expression.program.variables() and "segment" in facts:
        parts.append(f"segment {facts['segment']}")
    return f" ({', '.join(parts)})" if parts else ""


def _label(variable: str, name: str) -> str:
    words = name.replace("_", " ")
    return f"order {words}" if variable == "order" else words


def _render(variable: str, name: str, value: object, currency: str) -> str:
    if (variable, name) in _MONEY_FACTS and isinstance(value, int | float):
        return money(value, currency)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value == "":
        return "(none)"
    return str(value)
