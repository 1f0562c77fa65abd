"""The one check of what the store can hold, for the records of the Shopify sync and webhooks too, and the
store's columns sized by the same constants (SQLite and PostgreSQL where a database is involved)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Numeric, String

from rapport.connectors.shopify.webhook_topics import ShopifyWebhookTopics
from rapport.domain import limits_of_store as limits
from rapport.domain.errors import InvalidInput
from rapport.domain.records import CustomerRecord, LineItemRecord, OrderRecord
from rapport.domain.signals import SignalRules
from rapport.services.ingestion.writer import IngestionWriter
from rapport.store import models
from rapport.store.types import Money
from rapport.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
Factory = Callable[..., UnitOfWork]


def synced_order(number: int, **fields: object) -> OrderRecord:
    values: dict = {"external_id": str(number), "customer_id": None, "name": f"#{number}", "created_at": NOW,
                    "total": Decimal("10.00"), "currency": "USD", "customer_external_id": "7",
                    "line_items": (LineItemRecord("Mug", 1, Decimal("10.00")),), **fields}  # fmt: skip
    return OrderRecord(**values)


def write_batch(
    uow_factory: Factory, customers: list[CustomerRecord], orders: list[OrderRecord]
) -> tuple[IngestionWriter, list[tuple[int, str]]]:
    """One batch as `rapport shopify sync` writes it: customers, then orders, one transaction."""
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        writer = IngestionWriter(uow, merchant_id=merchant_id, currency="USD", now=NOW, rules=SignalRules())
        refused = writer.customers(customers).refused
        writer.orders(orders)
        uow.commit()
    return writer, refused


def stored_orders(uow_factory: Factory) -> int:
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        return uow.profiles.get_profile(merchant_id=merchant_id, email="jo@example.com", now=NOW).orders_count


def test_a_synced_customer_the_store_cannot_hold_is_refused_and_the_others_written(
    uow_factory: Factory,
) -> None:
    customers = [
        CustomerRecord("6", "bo@example.com", first_name="B\x00"),
        CustomerRecord("7", "jo@example.com"),
    ]
    _, refused = write_batch(uow_factory, customers, [synced_order(1)])
    assert (refused, stored_orders(uow_factory)) == ([(0, "first_name: contains a NUL character")], 1)


def test_a_synced_order_the_store_cannot_hold_is_left_out_and_the_others_written(
    uow_factory: Factory,
) -> None:
    orders = [synced_order(1), synced_order(2, total=Decimal(10**14)), synced_order(3)]
    writer, _ = write_batch(uow_factory, [CustomerRecord("7", "jo@example.com")], orders)
    assert writer.counts.refused == [
        "order #2: total: 100000000000000 is more than the store holds (at most 9999999999.99)"
    ]
    assert stored_orders(uow_factory) == 2


def test_a_synced_line_item_quantity_over_32_bits_leaves_its_order_out(uow_factory: Factory) -> None:
    bad = synced_order(2, line_items=(LineItemRecord("Mug", 2**31, Decimal("1.00")),))
    writer, _ = write_batch(uow_factory, [CustomerRecord("7", "jo@example.com")], [synced_order(1), bad])
    assert [why.split(": ", 1)[1] for why in writer.counts.refused] == [
        "line_items[0].quantity: 2147483648 is more than the store holds (at most 2147483647)"
    ]
    assert stored_orders(uow_factory) == 1


def test_an_order_webhook_the_store_cannot_hold_is_refused_with_the_reason() -> None:
    payload = {"id": 1, "name": "#1", "created_at": "2026-11-01T10:00:00Z", "total_price": "-3.00"}
    with pytest.raises(InvalidInput, match=r"^order #1: total: -3\.00 is negative$"):
        ShopifyWebhookTopics().order(payload)


def test_an_order_webhook_quantity_that_is_not_a_whole_number_is_refused_naming_the_field() -> None:
    payload = {
        "id": 1,
        "name": "#1",
        "created_at": "2026-11-01T10:00:00Z",
        "line_items": [{"quantity": "2.5"}],
    }
    with pytest.raises(InvalidInput, match=r"line_items\.quantity: '2\.5' is not a whole number"):
        ShopifyWebhookTopics().order(payload)


def test_the_same_email_rule_refuses_a_synced_customer() -> None:
    assert CustomerRecord("7", "not-an-email").problem() == "email: not an e-mail address ('not-an-email')"


def test_a_customer_known_by_email_only_may_not_have_an_email_longer_than_its_key() -> None:
    email = "a" * 90 + "@example.com"  # "email:" + it is over the 100 characters of an external id
    assert CustomerRecord(None, email).problem() == (
        "email: 102 characters, more than the store holds (at most 94) for a customer without an id"
    )


def test_money_columns_hold_exactly_the_domains_money_limits() -> None:
    money = Money()
    assert isinstance(money, Numeric)
    assert (money.precision, money.scale) == (limits.MONEY_DIGITS, limits.MONEY_PLACES)
    assert limits.MONEY_MAX == Decimal("9999999999.99")


@pytest.mark.parametrize(
    ("column", "length"),
    [
        (models.Customer.email, limits.EMAIL_LENGTH),
        (models.Customer.first_name, limits.PERSON_NAME_LENGTH),
        (models.Order.external_id, limits.ID_LENGTH),
        (models.OrderLineItem.title, limits.TITLE_LENGTH),
        (models.SupportContact.intent, limits.LABEL_LENGTH),
    ],
)
def test_text_columns_are_sized_by_the_domains_limits(column: object, length: int) -> None:
    column_type = column.property.columns[0].type  # type: ignore[attr-defined]
    assert isinstance(column_type, String)
    assert column_type.length == length


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"external_id": "x" * 101}, "id"),
        ({"name": "#\x00"}, "name"),
        ({"created_at": datetime(1969, 12, 31, tzinfo=UTC)}, "created_at"),
        ({"created_at": datetime(2026, 1, 1)}, None),  # naive means UTC: in range
        ({"total": Decimal("NaN")}, "total"),
        ({"total": Decimal("1.005")}, "total"),
        ({"currency": "usd"}, "currency"),
        ({"fulfillment_status": "f" * 41}, "fulfillment_status"),
        ({"email": "jo\x00@example.com"}, "email"),
        ({"email": "jo @example.com"}, "email"),
        ({"customer_external_id": "7\x00"}, "customer_id"),
        ({"refunded": Decimal(-1)}, "refunded"),
        ({"line_items": (LineItemRecord("Mug", -1),)}, "line_items[0].quantity"),
        ({"line_items": (LineItemRecord("Mug", sku="s" * 101),)}, "line_items[0].sku"),
    ],
)
def test_an_order_problem_names_the_field_the_store_cannot_hold(fields: dict, field: str | None) -> None:
    problem = synced_order(1, **fields).problem()
    assert (problem.split(": ", 1)[0] if problem else None) == field
