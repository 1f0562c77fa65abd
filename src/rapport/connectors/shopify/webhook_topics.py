"""What each webhook topic does to the store. Every handler is idempotent: replaying it changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from rapport.connectors.shopify.records import (
    customer_from_rest,
    numeric_id,
    order_from_rest,
    parse_money,
)
from rapport.connectors.shopify.signals import SignalRules
from rapport.connectors.shopify.writer import StoreWriter
from rapport.store.unit_of_work import UnitOfWork

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled", "orders/paid")
CUSTOMER_TOPICS = ("customers/create", "customers/update")
PRIVACY_TOPICS = ("customers/redact", "customers/data_request", "shop/redact")
TOPICS = frozenset((*ORDER_TOPICS, *CUSTOMER_TOPICS, "refunds/create", *PRIVACY_TOPICS))


def process_payload(
    uow: UnitOfWork,
    *,
    topic: str,
    merchant_id: int,
    payload: dict[str, Any],
    rules: SignalRules,
    now: datetime,
    delivery_id: int,
) -> str:
    """Apply one webhook; returns a one-line description of what it did (stored on the delivery)."""
    writer = StoreWriter(uow, merchant_id=merchant_id, rules=rules, now=now)
    if topic in ORDER_TOPICS:
        return _order(writer, payload)
    if topic in CUSTOMER_TOPICS:
        written = writer.customers([customer_from_rest(payload)])
        return "customer stored" if written else "stale update ignored"
    handlers: dict[str, Callable[[], str]] = {
        "refunds/create": lambda: _refund(uow, merchant_id, payload),
        "customers/redact": lambda: _redact_customer(uow, merchant_id, payload, delivery_id),
        "customers/data_request": lambda: _data_request(payload),
        "shop/redact": lambda: _redact_shop(uow, merchant_id),
    }
    return handlers[topic]()


def _order(writer: StoreWriter, payload: dict[str, Any]) -> str:
    embedded = payload.get("customer")
    if isinstance(embedded, dict) and embedded.get("id"):
        # The embedded customer is a snapshot; it only fills in a customer we do not know yet.
        known = writer.uow.customers.ids_by_external_id(
            merchant_id=writer.merchant_id, external_ids=[str(numeric_id(embedded["id"]))]
        )
        if not known:
            writer.customers([customer_from_rest(embedded)])
    order = order_from_rest(payload)
    written = writer.orders([order])
    return f"order {order.name} stored" if written else f"stale update of {order.name} ignored"


def _refund(uow: UnitOfWork, merchant_id: int, payload: dict[str, Any]) -> str:
    refunded = sum(
        (
            parse_money(t.get("amount"))
            for t in payload.get("transactions") or []
            if t.get("kind") == "refund" and t.get("status", "success") == "success"
        ),
        Decimal("0.00"),
    )
    order_id = str(numeric_id(payload.get("order_id")))
    found = uow.shopify.record_refund(merchant_id=merchant_id, order_external_id=order_id, refunded=refunded)
    return (
        f"refund of {refunded} on order {order_id} recorded" if found else f"order {order_id} not stored yet"
    )


def _redact_customer(uow: UnitOfWork, merchant_id: int, payload: dict[str, Any], delivery_id: int) -> str:
    customer = payload.get("customer") or {}
    external_id, email = numeric_id(customer.get("id")), customer.get("email")
    deleted = uow.shopify.delete_customer(merchant_id=merchant_id, external_id=external_id, email=email)
    scrubbed = uow.shopify.scrub_deliveries(
        merchant_id=merchant_id,
        needles=[email or "", f'"id": {external_id}' if external_id else ""],
        keep_id=delivery_id,
    )
    return f"customer redacted: {deleted} row(s) deleted, {scrubbed} stored payload(s) scrubbed"


def _data_request(payload: dict[str, Any]) -> str:
    customer = payload.get("customer") or {}
    # Rapport cannot mail the merchant; the request is kept here and shown by `rapport shopify status`.
    who = numeric_id(customer.get("id"))
    return f"data request for customer {who}: export with `rapport profile EMAIL --json`"


def _redact_shop(uow: UnitOfWork, merchant_id: int) -> str:
    uow.shopify.delete_merchant_data(merchant_id=merchant_id)
    return "merchant deleted"
