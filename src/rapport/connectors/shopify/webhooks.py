"""Shopify webhooks, framework-free: verify the HMAC, store each delivery once, then process it.

`WebhookReceiver.receive(headers, body)` is the whole flow; the API route calls `accept` in the request
and `process` right after the response (Shopify wants an answer within 5 seconds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport.connectors.shopify.errors import WebhookRejected, WebhookUnauthorized
from rapport.connectors.shopify.signals import SignalRules
from rapport.connectors.shopify.webhook_topics import TOPICS, process_payload
from rapport.store.unit_of_work import UnitOfWork


def signature(body: bytes, secret: str) -> str:
    """Shopify's X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 of the raw body with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_hmac(body: bytes, header: str | None, secret: str) -> None:
    """Accept only a body signed with `secret` (constant-time compare); else raise WebhookUnauthorized."""
    if not secret:
        raise WebhookUnauthorized("webhooks are disabled: RAPPORT_SHOPIFY_WEBHOOK_SECRET is not set")
    if not header:
        raise WebhookUnauthorized("missing X-Shopify-Hmac-Sha256 header")
    if not hmac.compare_digest(signature(body, secret).encode(), header.strip().encode()):
        raise WebhookUnauthorized("X-Shopify-Hmac-Sha256 does not match the body")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One verified delivery: who sent it, what it is about, and its body."""

    topic: str
    webhook_id: str
    event_id: str | None
    shop_domain: str | None
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        # The event id is the same for every retry of one event; older deliveries only carry the webhook id.
        return self.event_id or self.webhook_id


def parse_delivery(headers: Mapping[str, str], body: bytes) -> Delivery:
    """Read the headers and JSON body of a verified delivery; WebhookRejected names what is wrong."""
    lower = {k.lower(): v for k, v in headers.items()}
    topic = lower.get("x-shopify-topic", "").strip()
    webhook_id = lower.get("x-shopify-webhook-id", "").strip()
    missing = [
        name
        for name, value in (("X-Shopify-Topic", topic), ("X-Shopify-Webhook-Id", webhook_id))
        if not value
    ]
    if missing:
        raise WebhookRejected(f"missing header(s): {', '.join(missing)}")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(f"the body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise WebhookRejected("the body must be a JSON object")
    return Delivery(
        topic=topic,
        webhook_id=webhook_id,
        event_id=lower.get("x-shopify-event-id") or None,
        shop_domain=lower.get("x-shopify-shop-domain") or None,
        payload=payload,
    )


@dataclass(frozen=True, slots=True)
class Receipt:
    """What happened to a delivery: `stored` (new), `duplicate` (seen before) — and its row id."""

    outcome: str
    delivery_id: int | None
    topic: str
    status: str  # received, processed, ignored, failed


class WebhookReceiver:
    """Verifies, stores once and processes Shopify webhooks for one merchant."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        merchant: str,
        secret: str,
        clock: Callable[[], datetime],
        rules: SignalRules | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.merchant = merchant
        self.secret = secret
        self.clock = clock
        self.rules = rules or SignalRules()

    def receive(self, headers: Mapping[str, str], body: bytes) -> Receipt:
        """Accept then process at once (the embedded mode; tests use this)."""
        receipt = self.accept(headers, body)
        if receipt.delivery_id is not None and receipt.status in ("received", "failed"):
            return self.process(receipt.delivery_id)
        return receipt

    def accept(self, headers: Mapping[str, str], body: bytes) -> Receipt:
        """Verify and store the delivery (committed) — a database error propagates, so Shopify retries."""
        lower = {k.lower(): v for k, v in headers.items()}
        verify_hmac(body, lower.get("x-shopify-hmac-sha256"), self.secret)
        delivery = parse_delivery(headers, body)
        with self.uow_factory() as uow:
            merchant_id = uow.merchants.get_or_create(slug=self.merchant)
            row_id = uow.shopify.insert_delivery(
                {
                    "merchant_id": merchant_id,
                    "delivery_key": delivery.key,
                    "webhook_id": delivery.webhook_id,
                    "topic": delivery.topic,
                    "shop_domain": delivery.shop_domain,
                    "received_at": self.clock(),
                    "payload": delivery.payload,
                    "status": "received",
                },
            )
            if row_id is not None:
                uow.commit()
                return Receipt("stored", row_id, delivery.topic, "received")
            seen = uow.shopify.find_delivery(
                merchant_id=merchant_id, topic=delivery.topic, delivery_key=delivery.key
            )
            found_id, status = (seen.id, seen.status) if seen else (None, "processed")
        return Receipt("duplicate", found_id, delivery.topic, status)

    def process(self, delivery_id: int) -> Receipt:
        """Apply a stored delivery to the store, once; its status records the result."""
        with self.uow_factory() as uow:
            row = uow.shopify.delivery(delivery_id)
            if row is None or row.status in ("processed", "ignored"):
                status = row.status if row else "processed"
                return Receipt("duplicate", delivery_id, row.topic if row else "", status)
            topic, merchant_id, payload = row.topic, row.merchant_id, dict(row.payload)
            if topic not in TOPICS:
                uow.shopify.mark_delivery(
                    delivery_id,
                    status="ignored",
                    detail=f"topic {topic!r} is not handled",
                    at=self.clock(),
                )
                uow.commit()
                return Receipt("stored", delivery_id, topic, "ignored")
            try:
                detail = process_payload(
                    uow,
                    topic=topic,
                    merchant_id=merchant_id,
                    payload=payload,
                    rules=self.rules,
                    now=self.clock(),
                    delivery_id=delivery_id,
                )
            except Exception as exc:  # noqa: BLE001 - recorded on the delivery; a later retry reprocesses it
                uow.rollback()
                uow.shopify.mark_delivery(
                    delivery_id, status="failed", detail=repr(exc)[:500], at=self.clock()
                )
                uow.commit()
                return Receipt("stored", delivery_id, topic, "failed")
            if detail != "merchant deleted":
                uow.shopify.mark_delivery(delivery_id, status="processed", detail=detail, at=self.clock())
            uow.commit()
        return Receipt("stored", delivery_id, topic, "processed")
