"""Number words, locale formatting, and reading money back out of text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.drafting.locale_format import cardinal_words, ordinal_words, resolve_locale
from rapport.drafting.money_scan import find_money, find_percents, parse_number


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "first"), (3, "third"), (10, "tenth"), (12, "twelfth"), (20, "twentieth"), (21, "twenty-first"),
     (42, "forty-second"), (100, "one hundredth"), (112, "one hundred and twelfth"), (1000, "1,000th")],
)  # fmt: skip
def test_ordinals_are_written_in_words(n, words):
    assert ordinal_words(n) == words


def test_cardinals_are_written_in_words():
    assert cardinal_words(57) == "fifty-seven"


def test_a_hyphenated_locale_is_understood():
    assert resolve_locale("de-DE") == "de_DE"


def test_an_unknown_locale_falls_back_to_the_next_candidate():
    assert resolve_locale("xx_YY", "fr_FR") == "fr_FR"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1\u202f234,50", "1234.50"),
        ("1.000", "1000"),
        ("20", "20"),
    ],
)
def test_numbers_are_read_in_any_of_our_notations(raw, value):
    assert parse_number(raw) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("$25.00", "USD"),
        ("25,00\u00a0€", "EUR"),
        ("25,00\u00a0$US", "USD"),
        ("USD 25", "USD"),
        ("25 euros", "EUR"),
    ],
)
def test_money_is_found_with_its_currency(text, currency):
    (mention,) = find_money(f"we add {text} today")
    assert mention.amount == Decimal(25)
    assert currency in mention.currencies


def test_order_numbers_dates_and_durations_are_not_money():
    assert find_money("Order #1042 from 3. März 2026 arrives in 5 business days, all 3 items.") == []


def test_percentages_are_found_in_both_notations():
    assert find_percents("15% now, 12,5 % later") == [Decimal(15), Decimal("12.5")]


@pytest.mark.parametrize(
    "text", ["25 dollars", "a refund of 25 dollars.", "25 Dollars back", "USD 25", "25 bucks"]
)
def test_an_amount_in_dollars_written_out_is_money(text):
    assert [m.amount for m in find_money(text)] == [Decimal("25")]
