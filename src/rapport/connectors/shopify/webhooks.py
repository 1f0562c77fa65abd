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


# The longest value each header may have (the store's columns: longer values are refused here, as a 400,
# and never reach the database).
HEADER_LIMITS = {
    "X-Shopify-Topic": 60,
    "X-Shopify-Webhook-Id": 100,
    "X-Shopify-Event-Id": 100,
    "X-Shopify-Shop-Domain": 255,
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """One verified delivery: who sent it, what it is about, and its body."""

    topic: str
    webhook_id: str
    event_id: str | None
    shop_domain: str | None  # X-Shopify-Shop-Domain
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        # The event id is the same for every retry of one event; older deliveries only carry the webhook id.
        return self.event_id or self.webhook_id

    @property
    def payload_shop_domain(self) -> str | None:
        """The shop the body itself names (`shop_domain` of the privacy topics: customers/redact,
        customers/data_request, shop/redact); None when the body names none."""
        value = self.payload.get("shop_domain")
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else json.dumps(value)


def parse_delivery(headers: Mapping[str, str], body: bytes) -> Delivery:
    """Read the headers and JSON body of a verified delivery; WebhookRejected names what is wrong."""
    lower = {k.lower(): v for k, v in headers.items()}
    values = {name: lower.get(name.lower(), "").strip() for name in HEADER_LIMITS}
    missing = [name for name in ("X-Shopify-Topic", "X-Shopify-Webhook-Id") if not values[name]]
    if missing:
        raise WebhookRejected(f"missing header(s): {', '.join(missing)}")
    too_long = [
        f"{name} ({len(values[name])} characters, at most {limit})"
        for name, limit in HEADER_LIMITS.items()
        if len(values[name]) > limit
    ]
    if too_long:
        raise WebhookRejected(f"header(s) too long: {', '.join(too_long)}")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(f"the body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise WebhookRejected("the body must be a JSON object")
    return Delivery(
        topic=values["X-Shopify-Topic"],
        webhook_id=values["X-Shopify-Webhook-Id"],
        event_id=values["X-Shopify-Event-Id"] or None,
        shop_domain=values["X-Shopify-Shop-Domain"] or None,
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
