"""Guardrail rules at their edges: aliases, letter case, titles, order names without "#", negation reach."""

from __future__ import annotations

from rapport.domain import OfferKind
from rapport.drafting import BrandSettings
from rapport.drafting.guardrails import stated_reason
from rapport.drafting.promises import is_negated

from .builders import a_decision, a_ticket, a_vip, an_offer, an_order
from .test_guardrails import GOOD_BODY, codes, violations

OVERNIGHT = a_decision(an_offer(OfferKind.REPLACEMENT, shipping="overnight"))
REPLACEMENT_BODY = "Hi Maria,\n\nWe're sending a replacement for #1042 by {speed}.\n\nSam"


def test_next_day_delivery_states_an_overnight_decision():
    assert codes(REPLACEMENT_BODY.format(speed="next-day delivery"), decision=OVERNIGHT) == []


def test_a_reason_is_stated_without_its_full_stop():
    assert stated_reason("  the order is final sale.  ") == "the order is final sale"


def test_the_reason_stays_exempt_when_the_brand_is_given_too():
    decision = a_decision(an_offer(OfferKind.NONE, reason="refunds are not possible after 30 days"))
    body = "Hi Maria,\n\nAbout #1042: refunds are not possible after 30 days.\n\nSam\nAcme"
    assert codes(body, decision=decision, brand=BrandSettings(store_name="Acme")) == []


def test_the_store_name_is_exempt_in_any_letter_case():
    body = GOOD_BODY + "\nFREE SHIPPING OUTLET"
    assert codes(body, brand=BrandSettings(store_name="Free Shipping Outlet")) == []


def test_a_known_customer_without_a_first_name_may_be_greeted_without_one():
    profile = a_vip(first_name=None)
    body = GOOD_BODY.replace("Hi Maria,", "Hello,")
    assert codes(body, profile=profile, ticket=a_ticket(profile)) == []


def test_a_greeting_in_capitals_still_names_the_customer():
    assert codes(GOOD_BODY.replace("Hi Maria,", "Hi MARIA,")) == []


def test_a_title_with_another_last_name_is_someone_else():
    body = GOOD_BODY.replace("Hi Maria,", "Dear Ms. Smith,") + "\nThanks, Maria."
    assert codes(body) == ["wrong_name"]


def test_a_guest_greeted_by_a_name_is_told_they_are_a_guest():
    from .builders import a_guest

    guest = a_guest()
    body = "Hi John,\n\nWe're adding $20.00 in store credit to your account."
    assert violations(body, subject="Hello", profile=guest, ticket=a_ticket(guest, order=None)) == [
        ("wrong_name", "greets 'John'; the customer is a guest")
    ]


def test_an_order_named_without_a_hash_counts_as_named():
    order = an_order(name="SO-2201")
    profile = a_vip(last_order=order, recent_orders=(order,))
    body = GOOD_BODY.replace("#1042", "SO-2201")
    assert codes(body, subject="Your order SO-2201", profile=profile, ticket=a_ticket(profile)) == []


def test_an_order_number_written_with_a_space_after_the_hash_counts_as_named():
    assert codes(GOOD_BODY.replace("#1042", "# 1042"), subject="Your order") == []


def test_a_question_about_the_order_date_is_quoted_in_its_violation():
    body = GOOD_BODY.replace("account.", "account. When did you place the order?")
    assert violations(body) == [
        ("asks_known_order", "asks for the order number: 'When did you place the order'")
    ]


def test_a_negation_at_the_very_start_excuses_what_follows():
    assert is_negated("Not a refund", 6) is True


def test_a_negation_more_than_sixty_characters_back_does_not_excuse_a_promise():
    text = "not" + " " * 58 + "refund"
    assert is_negated(text, 61) is False


def test_a_draft_without_a_greeting_is_checked_for_the_name_alone():
    body = GOOD_BODY.replace("Hi Maria,\n\n", "") + "\nThanks, Maria."
    assert codes(body) == []
