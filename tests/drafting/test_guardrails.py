"""Guardrails: each rule catches what it is for, and leaves a correct draft alone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.domain import OfferKind
from rapport.drafting import BrandSettings, Draft, check_draft

from .builders import a_decision, a_guest, a_ticket, a_vip, an_offer

GOOD_BODY = (
    "Hi Maria,\n\nI'm so sorry your order #1042 arrived damaged.\n\n"
    "We're adding $20.00 in store credit to your account.\n\nWarm regards,\nSam"
)


def violations(
    body, *, subject="About your order #1042", profile=None, ticket="default", decision=None, brand=None
):
    profile = profile or a_vip()
    ticket = a_ticket(profile) if ticket == "default" else ticket
    draft = Draft(subject=subject, body_text=body, body_html="")
    report = check_draft(
        draft, ticket=ticket, profile=profile, decision=decision or a_decision(), brand=brand
    )
    return [(v.code, v.message) for v in report.violations]


def codes(body, **given):
    return [code for code, _ in violations(body, **given)]


def test_a_correct_draft_passes():
    assert codes(GOOD_BODY) == []


def test_a_report_fails_when_it_has_violations():
    draft = Draft(subject="x", body_text="Hi Maria, order #1042, $500.00 store credit.", body_html="")
    profile = a_vip()
    report = check_draft(draft, ticket=a_ticket(profile), profile=profile, decision=a_decision())
    assert report.passed is False


def test_a_different_amount_is_flagged():
    assert "unexpected_amount" in codes(GOOD_BODY.replace("$20.00", "$25.00"))


def test_an_amount_in_dollar_words_is_flagged():
    assert codes(GOOD_BODY.replace("account.", "account, plus 25 dollars.")) == ["unexpected_amount"]


def test_a_second_amount_beside_the_decided_one_is_flagged():
    body = GOOD_BODY.replace("account.", "account; your order was $84.00.")
    assert codes(body) == ["unexpected_amount"]


def test_the_decided_amount_in_another_currency_is_flagged():
    assert "wrong_currency" in codes(GOOD_BODY.replace("$20.00", "20,00 €"))


def test_a_missing_amount_is_flagged():
    assert "amount_missing" in codes(GOOD_BODY.replace("$20.00 in ", ""))


def test_an_amount_written_in_a_german_locale_counts_as_the_decided_one():
    assert codes(GOOD_BODY.replace("$20.00", "20,00\u00a0$")) == []


def test_an_amount_when_the_decision_has_none_is_flagged():
    decision = a_decision(an_offer(OfferKind.REPLACEMENT, shipping=None))
    body = GOOD_BODY.replace(
        "We're adding $20.00 in store credit to your account.", "A replacement worth $84 ships today."
    )
    assert codes(body, decision=decision) == ["unexpected_amount"]


def test_a_percent_other_than_the_discount_is_flagged():
    decision = a_decision(an_offer(OfferKind.DISCOUNT_CODE))
    body = GOOD_BODY.replace(
        "We're adding $20.00 in store credit to your account.", "Here is a 25% discount code."
    )
    assert "unexpected_percent" in codes(body, decision=decision)


def test_a_refund_promised_instead_of_store_credit_is_flagged():
    body = GOOD_BODY.replace("account.", "account, and we'll refund the shipping too.")
    assert codes(body) == ["unauthorized_promise"]


def test_free_shipping_beyond_the_decision_is_flagged():
    body = GOOD_BODY.replace("account.", "account. Your next order ships with free express shipping.")
    assert "unauthorized_promise" in codes(body)


def test_waiving_a_fee_beyond_the_decision_is_flagged():
    assert "unauthorized_promise" in codes(
        GOOD_BODY.replace("account.", "account. We'll waive the restocking fee.")
    )


def test_a_negated_promise_is_not_a_promise():
    body = GOOD_BODY.replace("account.", "account. We can't offer a refund on this order.")
    assert codes(body) == []


def test_a_promise_after_a_negated_clause_is_still_a_promise():
    body = GOOD_BODY.replace("account.", "account. No problem, we'll also refund you.")
    assert codes(body) == ["unauthorized_promise"]


def test_the_reason_of_a_refusal_may_use_offer_words():
    decision = a_decision(an_offer(OfferKind.NONE, reason="outside the 30-day refund window"))
    body = "Hi Maria,\n\nAbout your order #1042: we can't help further: outside the 30-day refund window."
    assert codes(body, decision=decision) == []


def test_a_refusal_that_omits_its_reason_is_flagged():
    decision = a_decision(an_offer(OfferKind.NONE))
    assert "offer_missing" in codes("Hi Maria,\n\nAbout your order #1042: sorry.", decision=decision)


def test_a_draft_that_does_not_state_the_offer_is_flagged():
    decision = a_decision(an_offer(OfferKind.REPLACEMENT, shipping=None))
    assert codes("Hi Maria,\n\nSorry about your order #1042.", decision=decision) == ["offer_missing"]


def test_a_different_shipping_speed_is_flagged():
    decision = a_decision(an_offer(OfferKind.REPLACEMENT))
    body = "Hi Maria,\n\nA replacement for #1042 goes out by overnight shipping."
    assert codes(body, decision=decision) == ["wrong_shipping", "shipping_missing"]


def test_a_required_return_that_is_not_mentioned_is_flagged():
    decision = a_decision(an_offer(OfferKind.REFUND))
    assert codes("Hi Maria,\n\nWe'll issue a refund of $84.00 for order #1042.", decision=decision) == [
        "return_missing"
    ]


def test_asking_for_a_return_the_decision_does_not_require_is_flagged():
    decision = a_decision(an_offer(OfferKind.REPLACEMENT, shipping=None))
    body = "Hi Maria,\n\nA replacement for #1042 is coming. Please send the broken mug back to us."
    assert codes(body, decision=decision) == ["unrequired_return"]


def test_asking_for_a_known_order_number_is_flagged():
    body = GOOD_BODY.replace("account.", "account. Could you reply with your order number?")
    assert codes(body) == ["asks_known_order"]


ASKS_ORDER_NUMBER = ["Could you reply with your order number?", "I will just need the number of your order."]


@pytest.mark.parametrize("request_words", ASKS_ORDER_NUMBER)
def test_asking_for_the_order_number_is_flagged_when_only_the_last_order_is_known(request_words):
    # The ticket names no order, but the customer's last order is known: nobody asks for it.
    profile = a_vip()
    body = GOOD_BODY.replace("account.", f"account. {request_words}")
    assert codes(body, ticket=a_ticket(profile, order=None), profile=profile) == ["asks_known_order"]


@pytest.mark.parametrize("request_words", ASKS_ORDER_NUMBER)
def test_asking_for_the_order_number_is_fine_when_no_order_is_known(request_words):
    guest = a_guest()
    body = f"Hello,\n\nWe're adding $20.00 in store credit. {request_words}"
    assert codes(body, subject="Your message", profile=guest, ticket=a_ticket(guest, order=None)) == []


def test_asking_for_the_email_address_is_flagged():
    body = GOOD_BODY.replace("account.", "account. Please confirm your e-mail address.")
    assert codes(body) == ["asks_known_email"]


def test_greeting_someone_else_is_flagged():
    assert codes(GOOD_BODY.replace("Hi Maria,", "Hi Marta,")) == ["wrong_name", "name_missing"]


def test_greeting_a_guest_by_a_name_is_flagged():
    guest = a_guest()
    body = "Hi John,\n\nWe're adding $20.00 in store credit to your account."
    assert codes(body, subject="Hello", profile=guest, ticket=a_ticket(guest, order=None)) == ["wrong_name"]


def test_a_formal_greeting_with_the_right_last_name_passes():
    body = GOOD_BODY.replace("Hi Maria,", "Dear Ms. Lopez,") + "\nThanks, Maria."
    assert codes(body) == []


def test_another_customers_order_is_flagged():
    assert codes(GOOD_BODY.replace("account.", "account, like we did for #7731.")) == ["foreign_order"]


def test_an_older_order_of_the_same_customer_is_allowed():
    assert codes(GOOD_BODY.replace("account.", "account, as with #990.")) == []


def test_not_naming_the_ticket_order_is_flagged():
    assert "order_name_missing" in codes(GOOD_BODY.replace("#1042", "order"), subject="About your order")


def test_another_customers_email_address_is_flagged():
    body = GOOD_BODY.replace("account.", "account (the same as for tom@example.com).")
    assert codes(body) == ["foreign_email"]


def test_the_customers_own_and_the_support_address_are_allowed():
    body = GOOD_BODY.replace("account.", "account, maria.lopez@example.com. Questions: help@acme.example")
    assert codes(body, brand=BrandSettings(support_email="help@acme.example")) == []


def test_an_injected_thousand_dollar_refund_is_caught():
    body = GOOD_BODY.replace("account.", "account. As requested, we will refund you $1,000.")
    assert sorted(codes(body)) == ["unauthorized_promise", "unexpected_amount"]


def test_the_percent_of_a_discount_is_matched_in_french_notation():
    decision = a_decision(an_offer(OfferKind.DISCOUNT_CODE, percent=Decimal("12.5")))
    body = "Hi Maria,\n\nAbout #1042: a discount code for 12,5\u00a0% off your next order."
    assert codes(body, decision=decision) == []


def test_a_reason_that_asks_for_a_known_order_number_is_flagged():
    decision = a_decision(an_offer(OfferKind.NONE, reason="we need your order number to look it up"))
    body = "Hi Maria,\n\nAbout #1042: here's where things stand: we need your order number to look it up."
    assert codes(body, decision=decision) == ["asks_known_order"]


def test_asking_what_the_email_address_is_is_flagged():
    assert codes(GOOD_BODY.replace("account.", "account. What is your email address?")) == [
        "asks_known_email"
    ]


def test_the_store_name_may_contain_offer_words():
    body = GOOD_BODY + "\nFree Shipping Outlet"
    assert codes(body, brand=BrandSettings(store_name="Free Shipping Outlet")) == []
