"""Webhooks: verified, stored once, processed idempotently — on a real database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from rapport.connectors.shopify.errors import WebhookRejected, WebhookUnauthorized
from rapport.connectors.shopify.webhook_topics import ShopifyWebhookTopics
from rapport.connectors.shopify.webhooks import ShopifyWebhookVerifier, parse_delivery, verify_hmac
from rapport.domain.signals import SignalRules
from rapport.services.merchants import open_merchant
from rapport.services.webhooks import WebhookService
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, profile_of

SECRET = "whsec_test"
FIXTURE = Path(__file__).resolve().parents[3].parent / "shared/data/shopify/shopify_python_api/order.json"


def signed(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers(body: bytes, topic: str, webhook_id: str = "wh-1", **extra: str) -> dict[str, str]:
    return {
        "X-Shopify-Hmac-Sha256": signed(body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Shop-Domain": SHOP,
        **extra,
    }


def order_payload(*, updated_at: str = "2026-11-10T10:00:00Z", financial: str = "paid", **extra: Any) -> dict:
    return {
        "id": 820982911946154500,
        "name": "#1042",
        "email": "jon@example.com",
        "created_at": "2026-11-10T09:00:00Z",
        "updated_at": updated_at,
        "cancelled_at": None,
        "currency": "USD",
        "total_price": "80.00",
        "financial_status": financial,
        "fulfillment_status": None,
        "line_items": [{"title": "Linen apron", "quantity": 2, "price": "40.00", "sku": "APRON-LN"}],
        "customer": {
            "id": 115310627314723950,
            "email": "jon@example.com",
            "first_name": "Jon",
            "last_name": "Snow",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "tags": "loyalty:gold",
        },
        **extra,
    }


SHOP = "acme.myshopify.com"


def webhook_service(
    uow_factory: Callable[[], UnitOfWork],
    rules: SignalRules | None = None,
    secret: str = SECRET,
    clock: Callable[[], datetime] = lambda: NOW,
) -> WebhookService:
    """The webhooks of merchant `default`, bound to the shop SHOP."""
    merchant = open_merchant(uow_factory, slug="default", currency="USD", create=True, shop_domain=SHOP)
    return WebhookService(
        uow_factory,
        merchant=merchant,
        verifier=ShopifyWebhookVerifier(SecretStr(secret)),
        topics=ShopifyWebhookTopics(),
        rules=rules or SignalRules(),
        clock=clock,
    )


@pytest.fixture
def receiver(uow_factory: Callable[[], UnitOfWork]) -> WebhookService:
    return webhook_service(uow_factory)


def deliver(receiver: WebhookService, payload: dict, topic: str, webhook_id: str = "wh-1"):  # noqa: ANN201
    body = json.dumps(payload).encode()
    return receiver.receive(headers(body, topic, webhook_id), body)


def test_an_order_webhook_puts_the_order_and_its_customer_in_the_profile(
    receiver: WebhookService, uow_factory: Callable[[], UnitOfWork]
) -> None:
    assert deliver(receiver, order_payload(), "orders/create").status == "processed"
    profile = profile_of(uow_factory, "jon@example.com")
    assert (profile.orders_count, str(profile.total_spent), profile.loyalty_tier) == (1, "80.00", "gold")


def test_a_real_shopify_order_payload_is_stored(receiver: WebhookService, uow_factory) -> None:  # noqa: ANN001
    if not FIXTURE.exists():
        pytest.skip(f"{FIXTURE} is not available")
    payload = json.loads(FIXTURE.read_text())["order"]
    deliver(receiver, payload, "orders/create")
    assert profile_of(uow_factory, "bob.norman@hostmail.com").last_order.name == "#1001"


def test_a_wrong_hmac_is_refused(receiver: WebhookService) -> None:
    body = json.dumps(order_payload()).encode()
    bad = {**headers(body, "orders/create"), "X-Shopify-Hmac-Sha256": signed(body, "not-the-secret")}
    with pytest.raises(WebhookUnauthorized, match="does not match"):
        receiver.receive(bad, body)


def test_a_delivery_without_hmac_is_refused(receiver: WebhookService) -> None:
    body = b"{}"
    with pytest.raises(WebhookUnauthorized, match="missing"):
        receiver.receive({"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "x"}, body)


def test_a_delivery_without_topic_is_rejected_naming_the_header(receiver: WebhookService) -> None:
    body = b"{}"
    with pytest.raises(WebhookRejected, match="X-Shopify-Topic"):
        receiver.receive({"X-Shopify-Hmac-Sha256": signed(body), "X-Shopify-Webhook-Id": "x"}, body)


def test_a_malformed_json_body_is_rejected(receiver: WebhookService) -> None:
    body = b'{"id": 1,'
    with pytest.raises(WebhookRejected, match="not valid JSON"):
        receiver.receive(headers(body, "orders/create"), body)


def test_an_unknown_topic_is_stored_and_ignored(receiver: WebhookService) -> None:
    assert deliver(receiver, {"id": 1}, "products/create").status == "ignored"


def test_a_duplicate_delivery_is_not_processed_twice(receiver: WebhookService) -> None:
    deliver(receiver, order_payload(), "orders/create", webhook_id="same")
    again = deliver(receiver, order_payload(), "orders/create", webhook_id="same")
    assert (again.outcome, again.status) == ("duplicate", "processed")


def test_an_update_older_than_the_stored_one_is_ignored(receiver: WebhookService, uow_factory) -> None:  # noqa: ANN001
    deliver(
        receiver,
        order_payload(updated_at="2026-11-12T00:00:00Z", financial="refunded"),
        "orders/updated",
        "a",
    )
    deliver(
        receiver, order_payload(updated_at="2026-11-11T00:00:00Z", financial="paid"), "orders/updated", "b"
    )
    assert profile_of(uow_factory, "jon@example.com").last_order.financial_status == "refunded"


def test_a_refund_webhook_marks_the_order_refunded(receiver: WebhookService, uow_factory) -> None:  # noqa: ANN001
    deliver(receiver, order_payload(), "orders/create", "a")
    refund = {
        "id": 1,
        "order_id": 820982911946154500,
        "transactions": [{"kind": "refund", "status": "success", "amount": "40.00"}],
    }
    deliver(receiver, refund, "refunds/create", "b")
    assert profile_of(uow_factory, "jon@example.com").last_order.financial_status == "partially_refunded"


def test_customer_redact_deletes_the_customer(receiver: WebhookService, uow_factory) -> None:  # noqa: ANN001
    deliver(receiver, order_payload(), "orders/create", "a")
    redact = {
        "shop_domain": "acme.myshopify.com",
        "customer": {"id": 115310627314723950, "email": "jon@example.com"},
        "orders_to_redact": [],
    }
    assert deliver(receiver, redact, "customers/redact", "b").status == "processed"
    assert profile_of(uow_factory, "jon@example.com").is_known is False


def test_customer_redact_scrubs_stored_payloads_that_name_the_customer(
    receiver: WebhookService, uow_factory
) -> None:  # noqa: ANN001
    deliver(receiver, order_payload(), "orders/create", "a")
    deliver(
        receiver,
        {"customer": {"id": 115310627314723950, "email": "jon@example.com"}},
        "customers/redact",
        "b",
    )
    with uow_factory() as uow:
        from rapport.store.shopify_models import WebhookDelivery

        first = uow.customers.session.query(WebhookDelivery).filter_by(webhook_id="a").one()
        assert first.payload == {"redacted": True}


def test_shop_redact_deletes_the_merchants_data(receiver: WebhookService, uow_factory) -> None:  # noqa: ANN001
    deliver(receiver, order_payload(), "orders/create", "a")
    deliver(receiver, {"shop_id": 1, "shop_domain": "acme.myshopify.com"}, "shop/redact", "b")
    assert profile_of(uow_factory, "jon@example.com").is_known is False


@pytest.mark.parametrize(
    "header", ["X-Shopify-Webhook-Id", "X-Shopify-Topic", "X-Shopify-Event-Id", "X-Shopify-Shop-Domain"]
)
def test_an_over_long_header_is_rejected_naming_it_before_the_store(header: str) -> None:
    # A 5,000-character X-Shopify-Webhook-Id or topic reached PostgreSQL and gave a 500.
    body = json.dumps(order_payload()).encode()
    too_long = {**headers(body, "orders/create"), header: "x" * 5000}
    with pytest.raises(WebhookRejected, match=rf"{header} \(5000 characters, at most \d+\)"):
        parse_delivery(too_long, body)


def test_headers_as_long_as_the_store_keeps_are_accepted() -> None:
    body = json.dumps(order_payload()).encode()
    longest = {
        **headers(body, "t" * 60, "w" * 100),
        "X-Shopify-Event-Id": "e" * 100,
        "X-Shopify-Shop-Domain": "s" * 255,
    }
    delivery = parse_delivery(longest, body)
    assert (len(delivery.topic), len(delivery.key), len(delivery.shop_domain or "")) == (60, 100, 255)


def test_an_over_long_header_leaves_nothing_in_the_store(receiver: WebhookService, uow_factory) -> None:  # noqa: ANN001
    body = json.dumps(order_payload()).encode()
    with pytest.raises(WebhookRejected):
        receiver.receive(headers(body, "orders/create", webhook_id="w" * 5000), body)
    with uow_factory() as uow:
        assert uow.shopify.count("webhooks", merchant_id=receiver.merchant.id) == 0


# The messages below are what the API answers the sender (401/400 with the message): each names the fix.


def test_an_empty_secret_refuses_every_delivery_naming_the_setting() -> None:
    body = b"{}"
    with pytest.raises(WebhookUnauthorized) as refused:
        verify_hmac(body, signed(body), SecretStr(""))
    assert refused.value.message == "webhooks are disabled: RAPPORT_SHOPIFY_WEBHOOK_SECRET is not set"


def test_a_missing_signature_is_refused_naming_the_header() -> None:
    with pytest.raises(WebhookUnauthorized) as refused:
        verify_hmac(b"{}", None, SECRET)
    assert refused.value.message == "missing X-Shopify-Hmac-Sha256 header"


def test_a_signature_of_another_body_is_refused_saying_so() -> None:
    with pytest.raises(WebhookUnauthorized) as refused:
        verify_hmac(b"{}", signed(b"[]"), SECRET)
    assert refused.value.message == "X-Shopify-Hmac-Sha256 does not match the body"


def test_every_missing_header_is_named() -> None:
    with pytest.raises(WebhookRejected) as rejected:
        parse_delivery({}, b"{}")
    assert rejected.value.message == "missing header(s): X-Shopify-Topic, X-Shopify-Webhook-Id"


def test_every_over_long_header_is_named_with_its_length_and_limit() -> None:
    body = b"{}"
    with pytest.raises(WebhookRejected) as rejected:
        parse_delivery(headers(body, "t" * 61, "w" * 101), body)
    assert rejected.value.message == (
        "header(s) too long: X-Shopify-Topic (61 characters, at most 60), "
        "X-Shopify-Webhook-Id (101 characters, at most 100)"
    )


def test_a_body_that_is_not_an_object_is_rejected_saying_so() -> None:
    body = b"[1, 2]"
    with pytest.raises(WebhookRejected) as rejected:
        parse_delivery(headers(body, "orders/create"), body)
    assert rejected.value.message == "the body must be a JSON object"
