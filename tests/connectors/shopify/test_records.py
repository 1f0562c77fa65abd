"""Shopify payloads as records: ids, money, statuses and dates in every shape Shopify sends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.connectors.shopify.records import numeric_id, order_from_graphql, parse_time
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
