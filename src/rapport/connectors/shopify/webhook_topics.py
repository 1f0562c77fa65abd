"""What each webhook topic means, and its payload as the store's records.

Applying them (idempotently, newest wins) is `rapport.services.webhooks`; this module only reads Shopify.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from rapport.connectors.shopify.records import customer_from_rest, numeric_id, order_from_rest, parse_money
from rapport.domain.records import CustomerRecord, OrderRecord

Effect = Literal["order", "customer", "refund", "redact_customer", "data_request", "redact_shop"]

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled", "orders/paid")
CUSTOMER_TOPICS = ("customers/create", "customers/update")
EFFECTS: dict[str, Effect] = {
    **dict.fromkeys(ORDER_TOPICS, "order"),
    **dict.fromkeys(CUSTOMER_TOPICS, "customer"),
    "refunds/create": "refund",
    "customers/redact": "redact_customer",
    "customers/data_request": "data_request",
    "shop/redact": "redact_shop",
}
TOPICS = frozenset(EFFECTS)


class ShopifyWebhookTopics:
    """Implements `rapport.services.ingestion.ports.WebhookTranslator` for Shopify's topics."""

    def effect(self, topic: str) -> Effect | None:
        return EFFECTS.get(topic)

    def customer(self, payload: dict[str, Any]) -> CustomerRecord:
        return customer_from_rest(payload)

    def order(self, payload: dict[str, Any]) -> tuple[OrderRecord, CustomerRecord | None]:
        """The order, and the customer embedded in it (a snapshot: it only fills in an unknown customer)."""
        embedded = payload.get("customer")
        customer = customer_from_rest(embedded) if isinstance(embedded, dict) and embedded.get("id") else None
        return order_from_rest(payload), customer

    def refund(self, payload: dict[str, Any]) -> tuple[str, Decimal]:
        refunded = sum(
            (
                parse_money(t.get("amount"))
                for t in payload.get("transactions") or []
                if t.get("kind") == "refund" and t.get("status", "success") == "success"
            ),
            Decimal("0.00"),
        )
        return str(numeric_id(payload.get("order_id"))), refunded

    def person(self, payload: dict[str, Any]) -> tuple[str | None, str | None]:
        customer = payload.get("customer") or {}
        return numeric_id(customer.get("id")), customer.get("email")
