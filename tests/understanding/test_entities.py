"""Entities: what the customer already told us, and numbers that must not be read as order references."""

from __future__ import annotations

import pytest
from understanding_builders import an_order

from rapport.understanding import extract_entities


def values(text: str, kind: str, **kwargs: object) -> list[str]:
    return [e.value for e in extract_entities(text, **kwargs) if e.kind == kind]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order #1042 never came", "1042"),
        ("Where is order 1042?", "1042"),
        ("order number 1042 is late", "1042"),
        ("order no. 1042 please", "1042"),
        ("my order id: 5123456789012", "5123456789012"),
        ("Order #A1042 arrived broken", "A1042"),
        ("problems with cancelling order 00004587345", "00004587345"),
        ("cancel purhase 732201349959", "732201349959"),
        ("acnceling oredr 00123842", "00123842"),
        ("help me with the purchase number 370795561790", "370795561790"),
        ("ORD-55821 was charged twice", "ORD-55821"),
        ("cancelling order732201349959", "732201349959"),
    ],
)
def test_order_references_are_found_in_their_common_forms(text: str, expected: str) -> None:
    assert values(text, "order_ref") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "call me at 555-123-4567",
        "my number is +1 (555) 123-4567",
        "text me on 5551234567 please",
        "I paid $1042 for this",
        "the order cost 1042 dollars",
        "I ordered it on 2026-05-01",
        "ordered 12/05/2026, still nothing",
        "ship it to zip 90210",
        "I ordered 100 units last week",
        "my order from 2025 was fine",
        "in the order of 300 euros",
        "where can I see invoice #12588",
        "the inovice #00108 is wrong",
        "I live in apt #302",
    ],
)
def test_phones_prices_dates_zips_quantities_and_invoices_are_not_order_references(text: str) -> None:
    assert values(text, "order_ref") == []


def test_a_bare_number_is_an_order_reference_when_it_names_one_of_the_customers_orders() -> None:
    assert values("what happened to 1042?", "order_ref", known_orders=[an_order("#1042")]) == ["1042"]


def test_an_email_address_is_found() -> None:
    assert values("reach me at jane.doe+shop@example.co.uk instead", "email") == [
        "jane.doe+shop@example.co.uk"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UPS says 1Z999AA10123456784 is delivered", "1Z999AA10123456784"),
        ("usps 9400111899223856928499 has not moved", "9400111899223856928499"),
        ("my fedex tracking 123456789012 is stuck", "123456789012"),
        ("DHL tracking JJD014600003838392771 shows nothing", "JJD014600003838392771"),
        ("tracking number: LX123456789US", "LX123456789US"),
    ],
)
def test_tracking_numbers_are_found_for_the_common_carriers(text: str, expected: str) -> None:
    assert values(text, "tracking_number") == [expected]


def test_a_twelve_digit_number_after_an_order_word_is_the_order_not_a_fedex_number() -> None:
    text = "tracking for order 732201349959 is empty"
    assert (values(text, "order_ref"), values(text, "tracking_number")) == (["732201349959"], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was charged $12.50 twice", "12.50 USD"),
        ("it cost 12,50 € in the shop", "12.50 EUR"),
        ("refund USD 40 please", "40.00 USD"),
        ("I paid 40 dollars", "40.00 USD"),
        ("the total was £1,299.00", "1299.00 GBP"),
    ],
)
def test_money_amounts_carry_their_currency(text: str, expected: str) -> None:
    assert values(text, "money") == [expected]


def test_a_plain_number_without_currency_is_not_money() -> None:
    assert values("I bought 3 and want 2 more", "money") == []


def test_an_item_of_the_customers_own_orders_is_found_by_its_name() -> None:
    orders = [an_order(items=("Ceramic Mug - Blue", "Linen Tea Towel"))]
    assert values("the mug arrived in pieces", "item", known_orders=orders) == ["Ceramic Mug - Blue"]


def test_an_item_is_not_found_when_the_customer_has_no_orders() -> None:
    assert values("the mug arrived in pieces", "item") == []


def test_entities_carry_their_position_in_the_message() -> None:
    (entity,) = extract_entities("see #1042")
    assert (entity.start, entity.end) == (4, 9)


def fees(text: str) -> list[tuple[str, str]]:
    return [(e.value, e.role) for e in extract_entities(text) if e.kind == "money"]


def test_an_amount_beside_a_fee_word_is_marked_as_the_fee() -> None:
    assert fees("My $120 order got a $15 late fee") == [("120.00 USD", ""), ("15.00 USD", "fee")]


def test_a_charge_before_the_amount_marks_it_as_a_fee() -> None:
    assert fees("You charged me 12,50 € for nothing") == [("12.50 EUR", "fee")]


def test_a_fee_word_in_another_sentence_does_not_mark_the_amount() -> None:
    assert fees("What is this fee? My order was $40.") == [("40.00 USD", "")]


def test_an_amount_without_a_fee_word_is_plain_money() -> None:
    assert fees("I paid $40 for the mug") == [("40.00 USD", "")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Do you have this sweater in size M?", ["M"]),
        ("size: xl please", ["XL"]),
        ("Can I get size 8.5 instead", ["8.5"]),
        ("size small would fit better", ["S"]),
        ("the XL was too big, I need an L", ["XL"]),
        ("jeans in 32x34", ["32x34"]),
        ("W32 L34 please", ["32x34"]),
        ("my shoes are EU 42", ["EU 42"]),
        ("I ordered a 10 but need an 8", ["10", "8"]),
        ("I wear a 38 in most brands", ["38"]),
        ("order 1042, size 10", ["10"]),
    ],
)
def test_sizes_are_found_in_their_common_forms(text: str, expected: list[str]) -> None:
    assert values(text, "size") == expected


@pytest.mark.parametrize(
    "text",
    [
        "I need a 2 day delivery",
        "I got a 2-day shipping option",
        "ordered a 10 pack of socks",
        "I got a 5% discount",
        "call me at 10",
        "I'm a big fan, I'd like to order more",
        "send me an update in a minute",
        "it's a large order of 300 items",
    ],
)
def test_numbers_and_words_that_are_no_size_are_not_read_as_one(text: str) -> None:
    assert values(text, "size") == []
