"""Webhooks bound to their shop, de-duplicated by event, idempotent — on SQLite and PostgreSQL.

Shopify signs every shop's webhooks with the same app secret: a valid signature does not say whose data a
delivery is. Only deliveries from the shop merchant `default` is bound to may change its data.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from rapport.connectors.shopify.webhook_topics import TOPICS
from rapport.services.merchants import add_merchant
from rapport.services.webhooks import Receipt, WebhookService
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.models import Base
from rapport.store.shopify_models import WebhookDelivery
from rapport.store.unit_of_work import UnitOfWork, factory_for
from store_builders import sqlite_url, temporary_schema

from .conftest import NOW, profile_of
from .test_webhooks import SHOP, order_payload, signed, webhook_service

Units = Callable[[], UnitOfWork]
POSTGRES_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")
FOREIGN = "other-shop.myshopify.com"
CUSTOMER_ID = 115310627314723950
ORDER_ID = 820982911946154500


def send(
    service: WebhookService,
    payload: dict[str, Any],
    topic: str,
    *,
    shop: str | None = SHOP,
    webhook_id: str = "wh-1",
    event_id: str | None = None,
) -> Receipt:
    body = json.dumps(payload).encode()
    headers = {
        "X-Shopify-Hmac-Sha256": signed(body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
    }
    if shop is not None:
        headers["X-Shopify-Shop-Domain"] = shop
    if event_id is not None:
        headers["X-Shopify-Event-Id"] = event_id
    return service.receive(headers, body)


def payload_for(topic: str, shop: str) -> dict[str, Any]:
    """A delivery of `topic` about the customer and order merchant `default` has (so applying it would
    change them), naming `shop` in the body where Shopify's payload does."""
    customer = {"id": CUSTOMER_ID, "email": "jon@example.com"}
    if topic.startswith("orders/"):
        return order_payload(updated_at="2026-11-15T00:00:00Z", financial="refunded")
    if topic in ("customers/create", "customers/update"):
        return {**customer, "first_name": "Mallory", "updated_at": "2026-11-15T00:00:00Z", "tags": ""}
    if topic == "refunds/create":
        return {"id": 9, "order_id": ORDER_ID, "transactions": [{"kind": "refund", "amount": "80.00"}]}
    if topic == "customers/redact":
        return {"shop_domain": shop, "customer": customer, "orders_to_redact": [ORDER_ID]}
    if topic == "customers/data_request":
        return {"shop_domain": shop, "customer": customer, "data_request": {"id": 1}}
    assert topic == "shop/redact"
    return {"shop_id": 1, "shop_domain": shop}


def snapshot(uow_factory: Units) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, except deliveries rejected as another shop's (they belong to no merchant)."""
    with uow_factory() as uow:
        session = uow.customers.session
        tables = {}
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
            if table.name == WebhookDelivery.__tablename__:
                rows = [row for row in rows if row["merchant_id"] is not None]
            tables[table.name] = [tuple(repr(value) for value in row.values()) for row in rows]
    return tables


def deliveries(uow_factory: Units) -> list[WebhookDelivery]:
    with uow_factory() as uow:
        session = uow.customers.session
        found = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        session.expunge_all()
    return found


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per backend for this module (migrating one per test was most of its time)."""
    if request.param == "sqlite":
        url = sqlite_url(str(tmp_path_factory.mktemp("binding") / "rapport.db"))
        schema = nullcontext(url)
    else:
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL tests need RAPPORT_TEST_DATABASE_URL (e.g. postgresql+psycopg://...)")
        schema = temporary_schema(POSTGRES_URL)
    with schema as database_url:
        engine = make_engine(database_url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def uow_factory(shared_engine: Engine) -> Units:
    """Units of work on the module's database, emptied first."""
    with shared_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return factory_for(session_factory(shared_engine))


@pytest.fixture
def service(uow_factory: Units) -> WebhookService:
    """Merchant `default` (bound to SHOP) with Jon and his order #1042; merchant `globex` with its shop."""
    service = webhook_service(uow_factory)
    assert send(service, order_payload(), "orders/create", webhook_id="setup").status == "processed"
    add_merchant(uow_factory, name="globex", shop_domain="globex.myshopify.com")
    return service


# A shop that is not this merchant's changes nothing, whatever the topic.


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_a_signed_delivery_from_an_unknown_shop_changes_nothing(
    service: WebhookService, uow_factory: Units, topic: str
) -> None:
    before = snapshot(uow_factory)
    receipt = send(service, payload_for(topic, FOREIGN), topic, shop=FOREIGN)
    assert (receipt.outcome, receipt.status) == ("rejected", "rejected")
    assert snapshot(uow_factory) == before


@pytest.mark.parametrize("topic", ["orders/create", "customers/redact", "shop/redact"])
def test_a_delivery_from_another_merchants_shop_changes_neither_merchant(
    service: WebhookService, uow_factory: Units, topic: str
) -> None:
    before = snapshot(uow_factory)
    receipt = send(service, payload_for(topic, "globex.myshopify.com"), topic, shop="globex.myshopify.com")
    assert receipt.outcome == "rejected"
    assert snapshot(uow_factory) == before


@pytest.mark.parametrize("topic", ["customers/redact", "customers/data_request", "shop/redact"])
def test_a_body_naming_another_shop_than_its_header_changes_nothing(
    service: WebhookService, uow_factory: Units, topic: str
) -> None:
    before = snapshot(uow_factory)
    receipt = send(service, payload_for(topic, FOREIGN), topic, shop=SHOP)
    assert receipt.outcome == "rejected"
    assert snapshot(uow_factory) == before


def test_a_delivery_without_a_shop_domain_header_changes_nothing(
    service: WebhookService, uow_factory: Units
) -> None:
    before = snapshot(uow_factory)
    assert send(service, payload_for("shop/redact", SHOP), "shop/redact", shop=None).outcome == "rejected"
    assert snapshot(uow_factory) == before


def test_a_rejected_delivery_is_stored_with_why_but_without_the_other_shops_data(
    service: WebhookService, uow_factory: Units
) -> None:
    send(service, payload_for("customers/redact", FOREIGN), "customers/redact", shop=FOREIGN, webhook_id="x")
    [rejected] = [d for d in deliveries(uow_factory) if d.webhook_id == "x"]
    assert (rejected.merchant_id, rejected.status, rejected.payload) == (None, "rejected", {})
    assert rejected.shop_domain == FOREIGN
    assert f"shop {FOREIGN} is no merchant's" in (rejected.detail or "")


def test_processing_a_rejected_delivery_changes_nothing(service: WebhookService, uow_factory: Units) -> None:
    receipt = send(service, payload_for("shop/redact", FOREIGN), "shop/redact", shop=FOREIGN)
    before = snapshot(uow_factory)
    assert service.process(receipt.delivery_id).outcome == "rejected"  # type: ignore[arg-type]
    assert snapshot(uow_factory) == before


def test_the_merchants_own_shop_is_recognised_in_any_case(
    service: WebhookService, uow_factory: Units
) -> None:
    payload = payload_for("customers/update", SHOP)
    assert send(service, payload, "customers/update", shop=SHOP.upper(), webhook_id="u").status == "processed"
    assert profile_of(uow_factory, "jon@example.com").first_name == "Mallory"


def test_the_merchants_own_shop_redact_still_deletes_its_data(
    service: WebhookService, uow_factory: Units
) -> None:
    assert (
        send(service, payload_for("shop/redact", SHOP), "shop/redact", webhook_id="r").status == "processed"
    )
    assert profile_of(uow_factory, "jon@example.com").is_known is False


# A redaction scrubs its own request too.


def test_customer_redact_scrubs_its_own_stored_payload(service: WebhookService, uow_factory: Units) -> None:
    # The defect: customers/redact left the e-mail in its own stored payload.
    receipt = send(service, payload_for("customers/redact", SHOP), "customers/redact", webhook_id="redact")
    assert receipt.status == "processed"
    [own] = [d for d in deliveries(uow_factory) if d.webhook_id == "redact"]
    assert "jon@example.com" not in json.dumps(own.payload)
    assert str(CUSTOMER_ID) not in json.dumps(own.payload)


# De-duplication by X-Shopify-Event-Id; processing twice changes nothing.


def test_the_same_event_retried_with_a_new_webhook_id_is_a_duplicate(
    service: WebhookService, uow_factory: Units
) -> None:
    payload = payload_for("customers/update", SHOP)
    send(service, payload, "customers/update", webhook_id="first", event_id="evt-1")
    again = send(service, payload, "customers/update", webhook_id="second", event_id="evt-1")
    assert (again.outcome, again.status) == ("duplicate", "processed")


def test_the_same_event_retried_with_a_new_webhook_id_is_stored_once(
    service: WebhookService, uow_factory: Units
) -> None:
    payload = payload_for("customers/update", SHOP)
    send(service, payload, "customers/update", webhook_id="first", event_id="evt-1")
    send(service, payload, "customers/update", webhook_id="second", event_id="evt-1")
    assert [d.webhook_id for d in deliveries(uow_factory) if d.topic == "customers/update"] == ["first"]


def test_a_retried_refund_is_not_applied_twice(service: WebhookService, uow_factory: Units) -> None:
    # Two refunds of 40.00 on an 80.00 order: a retry of the first must not make the order refunded.
    refund = {"id": 9, "order_id": ORDER_ID, "transactions": [{"kind": "refund", "amount": "40.00"}]}
    send(service, refund, "refunds/create", webhook_id="first", event_id="evt-9")
    before = snapshot(uow_factory)
    send(service, refund, "refunds/create", webhook_id="second", event_id="evt-9")
    assert snapshot(uow_factory) == before


def test_two_events_with_their_own_ids_are_both_applied(service: WebhookService, uow_factory: Units) -> None:
    first = {**payload_for("customers/update", SHOP), "first_name": "A", "updated_at": "2026-11-15T00:00:00Z"}
    second = {**first, "first_name": "B", "updated_at": "2026-11-16T00:00:00Z"}
    send(service, first, "customers/update", webhook_id="same-webhook", event_id="evt-1")
    assert (
        send(service, second, "customers/update", webhook_id="same-webhook", event_id="evt-2").outcome
        == "stored"
    )
    assert profile_of(uow_factory, "jon@example.com").first_name == "B"


@pytest.mark.parametrize(
    "topic", ["orders/updated", "customers/update", "refunds/create", "customers/redact"]
)
def test_processing_a_processed_delivery_again_changes_nothing(uow_factory: Units, topic: str) -> None:
    ticks = itertools.count()
    service = webhook_service(uow_factory, clock=lambda: NOW + timedelta(seconds=next(ticks)))
    send(service, order_payload(), "orders/create", webhook_id="setup")
    receipt = send(service, payload_for(topic, SHOP), topic, webhook_id="once")
    assert receipt.status == "processed"
    before = snapshot(uow_factory)
    assert service.process(receipt.delivery_id).outcome == "duplicate"  # type: ignore[arg-type]
    assert snapshot(uow_factory) == before


def test_a_processed_delivery_delivered_again_changes_nothing(uow_factory: Units) -> None:
    ticks = itertools.count()
    service = webhook_service(uow_factory, clock=lambda: NOW + timedelta(seconds=next(ticks)))
    send(service, order_payload(), "orders/create", webhook_id="a")
    before = snapshot(uow_factory)
    assert send(service, order_payload(), "orders/create", webhook_id="a").outcome == "duplicate"
    assert snapshot(uow_factory) == before


def test_the_webhook_secret_alone_does_not_bind_a_shop(uow_factory: Units) -> None:
    # A merchant bound to no shop applies no webhook: binding is on purpose (init, merchant add).
    from rapport.connectors.shopify.webhook_topics import ShopifyWebhookTopics
    from rapport.connectors.shopify.webhooks import ShopifyWebhookVerifier
    from rapport.domain.signals import SignalRules

    from .test_webhooks import SECRET

    merchant = add_merchant(uow_factory, name="unbound")
    service = WebhookService(
        uow_factory,
        merchant=merchant,
        verifier=ShopifyWebhookVerifier(SecretStr(SECRET)),
        topics=ShopifyWebhookTopics(),
        rules=SignalRules(),
        clock=lambda: NOW,
    )
    assert send(service, order_payload(), "orders/create").outcome == "rejected"
    assert profile_of(uow_factory, "jon@example.com", merchant="unbound").is_known is False
