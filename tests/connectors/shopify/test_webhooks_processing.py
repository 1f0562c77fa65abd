"""What processing a stored delivery records on it (status, detail, time) and what each receipt says:
the lines `rapport shopify status` shows, and the retries Shopify's redeliveries rely on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from rapport.connectors.shopify.webhook_topics import ShopifyWebhookTopics
from rapport.domain.errors import InvalidInput
from rapport.services.merchants import add_merchant
from rapport.services.webhooks import Receipt, WebhookService
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, profile_of
from .test_webhooks import SHOP, headers, order_payload, webhook_service
from .test_webhooks_binding import CUSTOMER_ID, ORDER_ID, deliveries, send

Units = Callable[[], UnitOfWork]
JON = {"id": CUSTOMER_ID, "email": "jon@example.com"}


def row_of(uow_factory: Units, delivery_id: int | None) -> tuple[str, str | None, bool, Any] | None:
    """(status, detail, whether processed_at is the clock's time, payload) of a stored delivery."""
    found = {d.id: d for d in deliveries(uow_factory)}.get(delivery_id)
    if found is None:
        return None
    at = found.processed_at
    same_time = at is not None and at.replace(tzinfo=None) == NOW.replace(tzinfo=None)
    return found.status, found.detail, same_time, found.payload


def detail_of(
    service: WebhookService, uow_factory: Units, payload: dict[str, Any], topic: str, key: str
) -> str:
    receipt = send(service, payload, topic, webhook_id=key)
    row = row_of(uow_factory, receipt.delivery_id)
    assert row is not None
    assert (receipt.status, row[0], row[2]) == ("processed", "processed", True), row
    return str(row[1])


class FailingTopics(ShopifyWebhookTopics):
    """Shopify's topics, but reading an order raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def order(self, payload: dict[str, Any]) -> Any:
        raise self.error


def failing_service(uow_factory: Units, error: Exception) -> WebhookService:
    service = webhook_service(uow_factory)
    service.topics = FailingTopics(error)
    return service


@pytest.fixture
def service(uow_factory: Units) -> WebhookService:
    return webhook_service(uow_factory)


def test_a_new_delivery_is_stored_as_received_until_it_is_processed(service, uow_factory):
    body = b'{"id": 1}'
    receipt = service.accept(headers(body, "orders/create"), body)
    assert (receipt.outcome, receipt.topic, receipt.status) == ("stored", "orders/create", "received")
    assert row_of(uow_factory, receipt.delivery_id) == ("received", None, False, {"id": 1})


def test_processing_records_what_the_delivery_did_and_when(service, uow_factory):
    body = json.dumps(order_payload()).encode()
    accepted = service.accept(headers(body, "orders/create"), body)
    processed = service.process(accepted.delivery_id)  # type: ignore[arg-type]
    assert processed == Receipt("stored", accepted.delivery_id, "orders/create", "processed")
    row = row_of(uow_factory, accepted.delivery_id)
    assert row is not None
    assert row[:3] == ("processed", "order #1042 stored", True)


def test_a_redelivery_names_the_stored_delivery_and_its_status(service, uow_factory):
    first = send(service, order_payload(), "orders/create", webhook_id="same")
    again = send(service, order_payload(), "orders/create", webhook_id="same")
    assert again == Receipt("duplicate", first.delivery_id, "orders/create", "processed")


def test_processing_a_delivery_that_is_not_stored_changes_nothing(service):
    assert service.process(987654) == Receipt("duplicate", 987654, "", "processed")


def test_an_ignored_topic_is_recorded_with_why_and_not_processed_again(service, uow_factory):
    ignored = send(service, {"id": 1}, "products/create")
    assert ignored == Receipt("stored", ignored.delivery_id, "products/create", "ignored")
    assert row_of(uow_factory, ignored.delivery_id) == (
        "ignored",
        "topic 'products/create' is not handled",
        True,
        {"id": 1},
    )
    again = service.process(ignored.delivery_id)  # type: ignore[arg-type]
    assert again == Receipt("duplicate", ignored.delivery_id, "products/create", "ignored")


def test_a_rejected_delivery_is_closed_when_stored_and_never_processed(service, uow_factory):
    rejected = send(service, order_payload(), "orders/create", shop="other-shop.myshopify.com")
    assert rejected == Receipt("rejected", rejected.delivery_id, "orders/create", "rejected")
    row = row_of(uow_factory, rejected.delivery_id)
    assert row is not None
    assert (row[0], row[2]) == ("rejected", True)
    again = service.process(rejected.delivery_id)  # type: ignore[arg-type]
    assert again == Receipt("rejected", rejected.delivery_id, "orders/create", "rejected")


def test_a_delivery_stored_for_another_merchant_is_not_processed_by_this_one(service, uow_factory):
    body = b'{"id": 1}'
    theirs = service.accept(headers(body, "orders/create"), body)
    other = add_merchant(uow_factory, name="globex", shop_domain="globex.myshopify.com")
    ours = WebhookService(
        uow_factory,
        merchant=other,
        verifier=service.verifier,
        topics=service.topics,
        rules=service.rules,
        clock=service.clock,
    )
    receipt = ours.process(theirs.delivery_id)  # type: ignore[arg-type]
    assert receipt == Receipt("rejected", theirs.delivery_id, "orders/create", "received")
    assert row_of(uow_factory, theirs.delivery_id) == ("received", None, False, {"id": 1})


def test_a_delivery_that_fails_is_recorded_as_failed_with_the_error(uow_factory):
    service = failing_service(uow_factory, InvalidInput("the order has no name"))
    receipt = send(service, order_payload(), "orders/create")
    assert receipt == Receipt("stored", receipt.delivery_id, "orders/create", "failed")
    row = row_of(uow_factory, receipt.delivery_id)
    assert row is not None
    assert row[:3] == ("failed", "invalid_input: the order has no name", True)


def test_an_unexpected_error_is_recorded_as_its_repr_cut_to_500_characters(uow_factory):
    short = send(
        failing_service(uow_factory, ValueError("boom")), order_payload(), "orders/create", webhook_id="a"
    )
    assert row_of(uow_factory, short.delivery_id)[1] == "ValueError('boom')"  # type: ignore[index]
    long = send(
        failing_service(uow_factory, ValueError("x" * 900)), order_payload(), "orders/create", webhook_id="b"
    )
    assert row_of(uow_factory, long.delivery_id)[1] == repr(ValueError("x" * 900))[:500]  # type: ignore[index]


def test_a_failed_delivery_is_processed_again_when_it_is_redelivered(uow_factory):
    failed = send(
        failing_service(uow_factory, ValueError("boom")), order_payload(), "orders/create", webhook_id="a"
    )
    retried = send(webhook_service(uow_factory), order_payload(), "orders/create", webhook_id="a")
    assert retried == Receipt("stored", failed.delivery_id, "orders/create", "processed")
    assert profile_of(uow_factory, "jon@example.com").last_order.name == "#1042"


def test_an_order_and_a_stale_update_of_it_are_described(service, uow_factory):
    assert detail_of(service, uow_factory, order_payload(), "orders/create", "a") == "order #1042 stored"
    old = order_payload(updated_at="2026-11-01T00:00:00Z")
    assert detail_of(service, uow_factory, old, "orders/updated", "b") == "stale update of #1042 ignored"


def test_an_order_without_a_customer_is_processed(service, uow_factory):
    assert detail_of(service, uow_factory, order_payload(customer=None), "orders/create", "a") == (
        "order #1042 stored"
    )


def test_an_orders_customer_snapshot_does_not_overwrite_a_known_customer(service, uow_factory):
    newer = {**JON, "first_name": "Jon", "updated_at": "2026-11-01T00:00:00Z", "tags": ""}
    detail_of(service, uow_factory, newer, "customers/update", "a")
    snapshot = {**order_payload()["customer"], "first_name": "Snapshot", "updated_at": "2026-11-19T00:00:00Z"}
    detail_of(service, uow_factory, order_payload(customer=snapshot), "orders/create", "b")
    assert profile_of(uow_factory, "jon@example.com").first_name == "Jon"


def test_customer_updates_are_described(service, uow_factory):
    first = {**JON, "first_name": "Jon", "updated_at": "2026-11-10T00:00:00Z", "tags": ""}
    assert detail_of(service, uow_factory, first, "customers/update", "a") == "customer stored"
    older = {**first, "updated_at": "2026-11-01T00:00:00Z"}
    assert detail_of(service, uow_factory, older, "customers/update", "b") == "stale update ignored"


def test_a_customer_whose_email_is_another_customers_is_refused_with_why(service, uow_factory):
    detail_of(service, uow_factory, {**JON, "updated_at": "2026-11-10T00:00:00Z"}, "customers/create", "a")
    other = {"id": 42, "email": "ann@example.com", "updated_at": "2026-11-10T00:00:00Z"}
    detail_of(service, uow_factory, other, "customers/create", "b")
    clash = {"id": 42, "email": "jon@example.com", "updated_at": "2026-11-12T00:00:00Z"}
    assert detail_of(service, uow_factory, clash, "customers/update", "c").startswith("customer refused: ")


def test_a_customer_tagged_as_a_subscriber_becomes_one(service, uow_factory):
    tagged = {**JON, "updated_at": "2026-11-10T00:00:00Z", "tags": "subscription"}
    detail_of(service, uow_factory, tagged, "customers/create", "a")
    assert profile_of(uow_factory, "jon@example.com").has_active_subscription is True


def test_an_order_on_a_selling_plan_makes_its_customer_a_subscriber(service, uow_factory):
    line = {
        "title": "Coffee",
        "quantity": 1,
        "price": "20.00",
        "selling_plan_allocation": {"selling_plan": {"name": "Monthly"}},
    }
    planned = order_payload(line_items=[line], created_at="2026-11-18T00:00:00Z")
    detail_of(service, uow_factory, planned, "orders/create", "a")
    assert profile_of(uow_factory, "jon@example.com").has_active_subscription is True


def test_refunds_are_described_whether_or_not_the_order_is_stored(service, uow_factory):
    early = {"id": 1, "order_id": 999, "transactions": [{"kind": "refund", "amount": "5.00"}]}
    assert detail_of(service, uow_factory, early, "refunds/create", "a") == "order 999 not stored yet"
    detail_of(service, uow_factory, order_payload(), "orders/create", "b")
    refund = {"id": 2, "order_id": ORDER_ID, "transactions": [{"kind": "refund", "amount": "40.00"}]}
    assert detail_of(service, uow_factory, refund, "refunds/create", "c") == (
        f"refund of 40.00 on order {ORDER_ID} recorded"
    )


def test_a_redaction_says_what_it_deleted_and_scrubbed(service, uow_factory):
    detail_of(service, uow_factory, order_payload(), "orders/create", "a")
    redact = {"shop_domain": SHOP, "customer": JON, "orders_to_redact": []}
    assert detail_of(service, uow_factory, redact, "customers/redact", "b") == (
        "customer redacted: 1 row(s) deleted, 1 stored payload(s) scrubbed"
    )


@pytest.mark.parametrize("known_by", ["id", "email"])
def test_a_redaction_by_id_or_by_email_alone_deletes_the_customer(service, uow_factory, known_by):
    detail_of(service, uow_factory, order_payload(), "orders/create", "a")
    redact = {"shop_domain": SHOP, "customer": {known_by: JON[known_by]}, "orders_to_redact": []}
    detail_of(service, uow_factory, redact, "customers/redact", "b")
    assert profile_of(uow_factory, "jon@example.com").is_known is False


@pytest.mark.parametrize(("named_by", "needle"), [("email", "jon@example.com"), ("id", CUSTOMER_ID)])
def test_a_redaction_scrubs_payloads_that_name_the_customer_by_email_or_by_id(
    service, uow_factory, named_by, needle
):
    mention = send(service, {"id": 7, "note": {named_by: needle}}, "products/create", webhook_id="a")
    send(service, {"id": 8, "note": "nobody"}, "products/create", webhook_id="b")
    redact = {"shop_domain": SHOP, "customer": JON, "orders_to_redact": []}
    detail_of(service, uow_factory, redact, "customers/redact", "c")
    payloads = {d.id: d.payload for d in deliveries(uow_factory)}
    assert payloads[mention.delivery_id] == {"redacted": True}
    assert {"id": 8, "note": "nobody"} in payloads.values()


def test_a_data_request_says_how_to_export_the_customer(service, uow_factory):
    request = {"shop_domain": SHOP, "customer": JON, "data_request": {"id": 1}}
    assert detail_of(service, uow_factory, request, "customers/data_request", "a") == (
        f"data request for customer {CUSTOMER_ID}: export with `rapport profile EMAIL --json`"
    )


def test_a_delivery_without_a_shop_is_rejected_saying_the_shop_is_unknown(service, uow_factory):
    rejected = send(service, order_payload(), "orders/create", shop=None)
    row = row_of(uow_factory, rejected.delivery_id)
    assert row is not None
    assert row[:2] == ("rejected", "no X-Shopify-Shop-Domain header: the shop is unknown")


def test_a_long_shop_named_by_the_body_is_cut_to_255_characters_in_why(service, uow_factory):
    named = "x" * 300
    rejected = send(service, {"shop_domain": named, "customer": JON}, "customers/redact")
    row = row_of(uow_factory, rejected.delivery_id)
    assert row is not None
    assert row[1] == f"the body's shop_domain {named[:255]!r} is not the X-Shopify-Shop-Domain {SHOP}"
