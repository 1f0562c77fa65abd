"""Shopify payloads as records: ids, money, statuses and dates in every shape Shopify sends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.connectors.shopify.records import numeric_id, order_from_graphql, order_from_rest, parse_time
from rapport.domain.errors import InvalidInput


def test_a_gid_and_a_number_name_the_same_record() -> None:
    assert numeric_id("gid://shopify/Order/450789469") == numeric_id(450789469) == "450789469"


def test_csv_export_dates_with_a_numeric_offset_are_read_as_utc() -> None:
    assert parse_time("2026-10-01 10:00:00 -0400") == datetime(2026, 10, 1, 14, 0, tzinfo=UTC)


def test_an_unreadable_date_is_an_error_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="Created at"):
        parse_time("yesterday", field="Created at")


def test_a_graphql_order_node_keeps_its_money_exact_and_statuses_lowercase() -> None:
    node = {
        "id": "gid://shopify/Order/1",
        "name": "#1001",
        "createdAt": "2026-11-01T10:00:00Z",
        "displayFinancialStatus": "PARTIALLY_REFUNDED",
        "displayFulfillmentStatus": "PARTIALLY_FULFILLED",
        "totalPriceSet": {"shopMoney": {"amount": "19.99", "currencyCode": "EUR"}},
        "refunds": [{"totalRefundedSet": {"shopMoney": {"amount": "5.00", "currencyCode": "EUR"}}}],
        "customer": {"id": "gid://shopify/Customer/7"},
    }
    order = order_from_graphql(node)
    assert (order.total, order.currency, order.financial_status, order.fulfillment_status) == (
        Decimal("19.99"),
        "EUR",
        "partially_refunded",
        "partial",
    )
    assert (order.refunded, order.customer_external_id) == (Decimal("5.00"), "7")


def a_rest_order(**fields: object) -> dict[str, object]:
    order: dict[str, object] = {
        "id": 820982911946154508,
        "name": "#1042",
        "created_at": "2026-11-10T09:00:00-05:00",
        "updated_at": "2026-11-14T16:20:00-05:00",
        "total_price": "64.00",
        "currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "line_items": [{"title": "Linen shirt", "quantity": 1, "price": "64.00"}],
    }
    return {**order, **fields}


def test_an_order_whose_every_shipment_the_carrier_delivered_is_delivered() -> None:
    payload = a_rest_order(
        fulfillments=[
            {"status": "success", "shipment_status": "delivered"},
            {"status": "cancelled", "shipment_status": None},  # shipped nothing
        ]
    )
    assert order_from_rest(payload).fulfillment_status == "delivered"


def test_an_order_with_a_shipment_still_in_transit_stays_fulfilled() -> None:
    payload = a_rest_order(
        fulfillments=[
            {"status": "success", "shipment_status": "delivered"},
            {"status": "success", "shipment_status": "in_transit"},
        ]
    )
    assert order_from_rest(payload).fulfillment_status == "fulfilled"


def test_an_order_without_fulfillments_keeps_shopifys_status() -> None:
    assert order_from_rest(a_rest_order(fulfillment_status=None)).fulfillment_status == "unfulfilled"
    assert order_from_rest(a_rest_order(fulfillment_status="partial")).fulfillment_status == "partial"
