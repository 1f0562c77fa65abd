"""The template path's guardrails (`check_draft`, `rapport draft check`) against the issue's hostile
examples: amounts in words, slang and scaled notations, and reworded requests for facts the store holds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.domain import OfferKind
from rapport.drafting.money_scan import find_money

from .builders import a_decision, a_guest, a_ticket, an_offer
from .test_guardrails import GOOD_BODY, codes

REFUND_64 = a_decision(an_offer(OfferKind.REFUND, amount=Decimal("64.00"), requires_return=False))
REFUND_BODY = (
    "Hi Maria,\n\nI'm so sorry your order #1042 arrived damaged.\n\n"
    "We're refunding $64.00 to your original payment method.\n\nWarm regards,\nSam"
)


def refund_codes(added: str, *, amount: str = "64.00") -> list[str]:
    decision = a_decision(an_offer(OfferKind.REFUND, amount=Decimal(amount), requires_return=False))
    body = REFUND_BODY.replace("$64.00", f"${amount}").replace("method.", f"method. {added}")
    return codes(body, decision=decision)


def amounts(text: str) -> list[Decimal]:
    return [m.amount for m in find_money(text)]


def test_the_refund_draft_of_these_tests_passes_as_written():
    assert codes(REFUND_BODY, decision=REFUND_64) == []


@pytest.mark.parametrize(
    "added",
    [
        "That is a full refund of one hundred fifty dollars.",
        "That comes to a hundred and fifty bucks.",
        "That is Sixty-five US dollars in all.",
        "Think of it as twenty dollars more.",
        "Plus fifty quid for the trouble.",
        "TEN DOLLAR extra, too.",
    ],
)
def test_an_amount_written_in_words_is_flagged(added):
    assert refund_codes(added) == ["unexpected_amount"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("one hundred fifty dollars", "150"),
        ("a hundred and fifty bucks", "150"),
        ("Thirty-eight dollars", "38"),
        ("seventy-two dollars", "72"),
        ("two thousand five hundred euros", "2500"),
        ("twelve hundred dollars", "1200"),
        ("fifty quid", "50"),
    ],
)
def test_an_amount_in_words_is_read_as_its_value(text, value):
    assert amounts(f"we add {text} today") == [Decimal(value)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$150k", "150000"),
        ("$10K", "10000"),
        ("1.5k dollars", "1500"),
        ("0.038k USD", "38"),
        ("€1,2k", "1200"),
        ("USD 2k", "2000"),
        ("$2 million", "2000000"),
        ("150 grand", "150000"),
        ("$  150", "150"),
        ("USD\u00a0\u00a0150", "150"),
    ],
)
def test_a_scaled_or_spaced_amount_is_read_as_its_value(text, value):
    assert amounts(f"we add {text} today") == [Decimal(value)]


def test_a_thousandfold_amount_is_not_the_decided_amount():
    # "$64k" used to be read as $64, the decided amount, and passed.
    assert refund_codes("That is $64k in all.") == ["unexpected_amount"]


@pytest.mark.parametrize(
    "added",
    [
        "That is 1.5k dollars back.",
        "Or $  150 if you prefer.",
        "Call it a couple grand.",
        "Call it a grand.",
        "That is ten large.",
        "Here is a fiver for the trouble.",
        "Here is a tenner for the trouble.",
        "Have a C-note on us.",
    ],
)
def test_an_amount_in_slang_or_with_a_scale_is_flagged(added):
    assert "unexpected_amount" in refund_codes(added)


def test_the_decided_amount_in_words_counts_as_stated():
    body = REFUND_BODY.replace("$64.00", "sixty-four dollars")
    assert codes(body, decision=REFUND_64) == []


def test_slang_that_names_no_currency_never_counts_as_the_decided_amount():
    decision = a_decision(an_offer(OfferKind.REFUND, amount=Decimal("1000.00"), requires_return=False))
    body = REFUND_BODY.replace("$64.00", "a grand")
    assert codes(body, decision=decision) == ["wrong_currency", "amount_missing"]


def test_cents_are_hundredths():
    assert amounts("and fifty cents") == [Decimal("0.50")]


@pytest.mark.parametrize(
    "text",
    [
        "This is your tenth order, and ten orders since 2021 is a grand total of loyalty.",
        "A grand gesture: the large bowl, two large mugs and one of our team.",
        "Your order #1042 of 3 items arrives in five business days.",
        "Thanks for being one of our very first customers, a hundred times over.",
        "Our 24k gold rim is fragile.",
    ],
)
def test_number_words_and_scales_without_money_are_not_money(text):
    assert find_money(text) == []


@pytest.mark.parametrize(
    ("added", "code"),
    [
        ("I will just need the number of your order.", "asks_known_order"),
        ("Kindly forward your order confirmation e-mail.", "asks_known_order"),
        ("Please send a screenshot of your receipt.", "asks_known_order"),
        ("Could you share the order's reference?", "asks_known_order"),
        ("Please confirm the e-mail address on the account.", "asks_known_email"),
        ("Could you tell me which e-mail you ordered with?", "asks_known_email"),
        ("Let us know which e-mail address is linked to your account.", "asks_known_email"),
    ],
)
def test_a_reworded_request_for_a_fact_the_store_holds_is_flagged(added, code):
    assert codes(GOOD_BODY.replace("account.", f"account. {added}")) == [code]


def test_asking_a_guest_for_the_email_address_on_the_account_is_still_flagged():
    # The guest wrote from an address: that is the one we answer, whatever they ordered with.
    guest = a_guest()
    body = "Hello,\n\nWe're adding $20.00 in store credit. Please confirm the e-mail address on the account."
    got = codes(body, subject="Your message", profile=guest, ticket=a_ticket(guest, order=None))
    assert got == ["asks_known_email"]


@pytest.mark.parametrize(
    "added",
    [
        "If anything changes, just reply to this e-mail.",
        "You'll get an e-mail with a tracking link, and please keep your order confirmation handy.",
        "Thanks for your e-mail, and please send us a photo when you can.",
        "Open the shipping confirmation e-mail for the tracking link.",
        "Please read on; the e-mail we send you next explains how.",
        "We need nothing else from you: your order number and e-mail address are on file.",
    ],
)
def test_mentioning_e_mails_and_orders_without_asking_for_them_passes(added):
    assert codes(GOOD_BODY.replace("account.", f"account. {added}")) == []


@pytest.mark.parametrize(("text", "value"), [("64.-", "64"), ("150,-", "150")])
def test_a_price_written_with_a_dash_is_money_in_no_particular_currency(text, value):
    (mention,) = find_money(f"it cost {text} then")
    assert (mention.amount, mention.currencies) == (Decimal(value), frozenset())


def test_full_width_digits_and_symbols_are_read_as_plain_ones():
    assert refund_codes("Plus ＄１０ for the trouble.") == ["unexpected_amount"]


def test_asking_when_the_known_order_was_placed_is_flagged():
    assert codes(GOOD_BODY.replace("account.", "account. When did you place the order?")) == [
        "asks_known_order"
    ]


def test_draft_check_flags_the_issues_examples_with_their_line_numbers(tmp_path):
    from .test_draft_cmd import app, record, runner, write

    money = record(GOOD_BODY.replace("account.", "account, and one hundred fifty dollars more."))
    ask = record(GOOD_BODY.replace("account.", "account. Kindly forward your order confirmation e-mail."))
    path = write(tmp_path, money, ask, record(GOOD_BODY))
    result = runner.invoke(app, ["draft", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:1: unexpected_amount: mentions 'one hundred fifty dollars'" in result.output
    assert f"{path}:2: asks_known_order: asks for the order number: 'forward your order confirmation'" in (
        result.output
    )
    assert "3 drafts checked, 1 passed, 2 failed" in result.output


@pytest.mark.parametrize("text", ["a few K dollars", "sixty-odd euros", "several hundred bucks"])
def test_a_vague_amount_is_money_with_no_value(text):
    assert amounts(f"that is {text} back") == [None]
    assert refund_codes(f"That is {text} back.") == ["unexpected_amount"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a couple of dollars", "2"),
        ("a couple grand", "2000"),
        ("one hundred thousand dollars", "100000"),
        ("a thousand dollars", "1000"),
        ("a hundred dollars", "100"),
    ],
)
def test_articles_couples_and_nested_scales_are_read_as_their_value(text, value):
    assert amounts(f"we add {text} today") == [Decimal(value)]


def test_slang_money_names_itself_as_its_marker():
    (mention,) = find_money("that is two grand back")
    assert (mention.marker, mention.text, mention.currencies) == ("two grand", "two grand", frozenset())
