"""POST /webhooks/shopify for webhooks that are not the merchant's, and headers the store cannot keep."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rapport.api import create_app
from rapport.bootstrap import build
from rapport.config import Settings
from rapport.policy import default_policy
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, profile_of
from .test_webhooks import SECRET, SHOP, order_payload, signed


@pytest.fixture
def client(uow_factory: Callable[[], UnitOfWork]) -> TestClient:
    """The API of merchant `default`, bound to SHOP (as `rapport init` with RAPPORT_SHOPIFY_SHOP does)."""
    settings = Settings(_env_file=None, shopify_webhook_secret=SecretStr(SECRET), shopify_shop=SHOP)  # type: ignore[call-arg]
    app = build(settings, policy=default_policy(), uow_factory=uow_factory, create_merchant=True)
    return TestClient(create_app(app, clock=lambda: NOW), raise_server_exceptions=False)


def post(client: TestClient, *, shop: str, topic: str = "orders/create", webhook_id: str = "w-1"):  # noqa: ANN201
    body = json.dumps(order_payload()).encode()
    headers = {
        "X-Shopify-Hmac-Sha256": signed(body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Shop-Domain": shop,
    }
    return client.post("/webhooks/shopify", content=body, headers=headers)


def test_another_shops_webhook_is_answered_200_rejected_so_shopify_stops_retrying(client: TestClient) -> None:
    response = post(client, shop="other-shop.myshopify.com")
    assert (response.status_code, response.json()) == (200, {"outcome": "rejected", "topic": "orders/create"})


def test_another_shops_order_is_not_written_into_this_merchant(
    client: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    # The defect: a signed orders/create from another shop was written into merchant `default`.
    post(client, shop="other-shop.myshopify.com")
    assert profile_of(uow_factory, "jon@example.com").is_known is False


def test_the_merchants_own_shops_order_is_stored(
    client: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    assert post(client, shop=SHOP).json()["outcome"] == "stored"
    assert profile_of(uow_factory, "jon@example.com").orders_count == 1


@pytest.mark.parametrize("header", ["webhook_id", "topic"])
def test_an_over_long_header_is_a_400_json_error(client: TestClient, header: str) -> None:
    response = post(client, shop=SHOP, **{header: "x" * 5000})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "webhook_rejected")


def test_webhooks_for_a_merchant_that_does_not_exist_are_a_404_json_error(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    settings = Settings(_env_file=None, shopify_webhook_secret=SecretStr(SECRET), merchant="defualt")  # type: ignore[call-arg]
    app = build(settings, policy=default_policy(), uow_factory=uow_factory)
    response = post(TestClient(create_app(app, clock=lambda: NOW), raise_server_exceptions=False), shop=SHOP)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_merchant")
