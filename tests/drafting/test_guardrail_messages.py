"""Every violation says what is wrong, with the words and numbers at fault: the lines an agent reads in
the draft's guardrail status and `rapport draft check` prints (`FILE:LINE: code: message`)."""

from __future__ import annotations

import pytest

from rapport.domain import OfferKind

from .builders import a_decision, an_offer
from .test_guardrails import GOOD_BODY, violations

OFFER_SENTENCE = "We're adding $20.00 in store credit to your account."
REPLACEMENT = a_decision(an_offer(OfferKind.REPLACEMENT))
DISCOUNT = a_decision(an_offer(OfferKind.DISCOUNT_CODE))


@pytest.mark.parametrize(
    ("body", "given", "expected"),
    [
        (
            GOOD_BODY.replace("$20.00", "$25.00"),
            {},
            [
                ("unexpected_amount", "mentions '$25.00'; the decision allows only 20.00 USD"),
                ("amount_missing", "does not state the decided amount 20.00 USD"),
            ],
        ),
        (
            GOOD_BODY.replace("$20.00", "20,00 €"),
            {},
            [
                ("wrong_currency", "'20,00 €' is not in USD"),
                ("amount_missing", "does not state the decided amount 20.00 USD"),
            ],
        ),
        (
            GOOD_BODY.replace(OFFER_SENTENCE, "A replacement worth $84 ships today by express shipping."),
            {"decision": REPLACEMENT},
            [("unexpected_amount", "mentions '$84'; the decision allows no amount")],
        ),
        (
            GOOD_BODY.replace(OFFER_SENTENCE, "Here is a 25% discount code."),
            {"decision": DISCOUNT},
            [
                ("unexpected_percent", "mentions 25%; the decision allows 15 percent"),
                ("percent_missing", "does not state the decided 15% discount"),
            ],
        ),
        (
            GOOD_BODY.replace(OFFER_SENTENCE, "Here is a 10% discount code."),
            {},
            [
                ("amount_missing", "does not state the decided amount 20.00 USD"),
                ("unexpected_percent", "mentions 10%; the decision allows no percent"),
                ("unauthorized_promise", "promises a discount ('discount') but the decision is store_credit"),
                ("offer_missing", "does not state the decided offer (store_credit)"),
            ],
        ),
        (
            GOOD_BODY.replace(OFFER_SENTENCE, "We're sending a replacement by standard shipping."),
            {"decision": REPLACEMENT},
            [
                ("wrong_shipping", "mentions standard shipping; the decision says express"),
                ("shipping_missing", "does not state the decided express shipping"),
            ],
        ),
        (
            GOOD_BODY.replace(OFFER_SENTENCE, "We're refunding $84.00."),
            {"decision": a_decision(an_offer(OfferKind.REFUND))},
            [("return_missing", "does not say the item must be sent back")],
        ),
        (
            GOOD_BODY.replace("account.", "account. Please return the mug."),
            {},
            [("unrequired_return", "asks for a return the decision does not require ('Please return')")],
        ),
        (
            "Hi Maria,\n\nAbout #1042: sorry.",
            {"decision": a_decision(an_offer(OfferKind.NONE, reason="the order is final sale"))},
            [("offer_missing", "does not state the reason: 'the order is final sale'")],
        ),
        (
            GOOD_BODY.replace(
                "account.", "account. Could you reply with your order number? Confirm your e-mail."
            ),
            {},
            [
                ("asks_known_order", "asks for the order number: 'reply with your order number'"),
                ("asks_known_email", "asks for the e-mail address: 'Confirm your e-mail'"),
            ],
        ),
        (
            GOOD_BODY.replace("Hi Maria,", "Hi Marta,"),
            {},
            [
                ("wrong_name", "greets 'Marta'; the customer is Maria"),
                ("name_missing", "does not greet the customer by name (Maria)"),
            ],
        ),
        (
            GOOD_BODY.replace("account.", "account, like #7731."),
            {},
            [("foreign_order", "mentions order #7731, which is not this customer's")],
        ),
        (
            GOOD_BODY.replace("#1042", "order"),
            {"subject": "About your order"},
            [("order_name_missing", "does not name the order #1042")],
        ),
        (
            GOOD_BODY.replace("account.", "account (tom@example.com)."),
            {},
            [("foreign_email", "contains the e-mail address tom@example.com, which is not this customer's")],
        ),
    ],
)
def test_each_violation_names_what_is_wrong(body, given, expected):
    assert violations(body, **given) == expected
