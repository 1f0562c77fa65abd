"""Shopify webhooks, framework-free: the HMAC check and the reading of a delivery.

Storing each delivery once and applying it is the use case `rapport.services.webhooks.WebhookService`;
what each topic means is `webhook_topics.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from rapport.connectors.shopify.errors import WebhookRejected, WebhookUnauthorized


def signature(body: bytes, secret: str) -> str:
    """Shopify's X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 of the raw body with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_hmac(body: bytes, header: str | None, secret: SecretStr | str) -> None:
    """Accept only a body signed with `secret` (constant-time compare); else raise WebhookUnauthorized."""
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
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
class ShopifyWebhookVerifier:
    """Checks `X-Shopify-Hmac-Sha256` against the app's secret, then reads the delivery.

    The secret stays a `SecretStr` (never in a repr) until the comparison; an empty one refuses every
    delivery. Implements `rapport.services.ingestion.ports.WebhookVerifier`."""

    secret: SecretStr

    def verify(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        lower = {k.lower(): v for k, v in headers.items()}
        verify_hmac(body, lower.get("x-shopify-hmac-sha256"), self.secret)
        return parse_delivery(headers, body)
