"""Resolutions chosen by the default policy, per intent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_builders import NOW, a_customer, a_guest, a_subscriber, a_ticket, a_vip, an_order

from rapport.domain import Intent, OfferKind
from rapport.engine import decide
from rapport.policy import Policy


def test_a_vip_with_a_damaged_item_gets_an_express_replacement_without_return(policy: Policy) -> None:
    offer = decide(a_ticket(order=an_order(total="120.00")), a_vip(), policy, NOW).resolution
    assert (offer.offer, offer.shipping, offer.requires_return) == (OfferKind.REPLACEMENT, "express", False)
    assert offer.rule == "resolutions.damaged_item[0]"


def test_a_recent_damaged_order_is_refunded_in_full_against_a_return(policy: Policy) -> None:
    offer = decide(a_ticket(order=an_order(total="42.00", days_ago=10)), a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.requires_return) == (OfferKind.REFUND, Decimal("42.00"), True)


def test_the_refund_is_explained_with_the_rule_that_chose_it(policy: Policy) -> None:
    decision = decide(a_ticket(order=an_order(total="64.00")), a_customer(), policy, NOW)
    expected = (
        "Offer refund 64.00 USD by resolutions.damaged_item[1]: order.age_days <= 30 (order age days 5)"
    )
    assert expected in decision.explanation


def test_an_old_damaged_order_gets_store_credit(policy: Policy) -> None:
    offer = decide(a_ticket(order=an_order(days_ago=45)), a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.currency) == (OfferKind.STORE_CREDIT, Decimal("15.00"), "USD")


def test_a_subscriber_whose_delivery_is_late_gets_twenty_in_credit(policy: Policy) -> None:
    offer = decide(a_ticket(Intent.LATE_DELIVERY, order=an_order()), a_subscriber(), policy, NOW).resolution
    assert (offer.offer, offer.amount) == (OfferKind.STORE_CREDIT, Decimal("20.00"))


def test_a_standard_customer_whose_delivery_is_late_gets_tracking_and_an_apology(policy: Policy) -> None:
    offer = decide(a_ticket(Intent.LATE_DELIVERY, order=an_order()), a_customer(), policy, NOW).resolution
    assert offer.offer is OfferKind.APOLOGY_WITH_TRACKING


def test_a_return_outside_thirty_days_is_declined_with_the_reason(policy: Policy) -> None:
    ticket = a_ticket(Intent.RETURN_REQUEST, order=an_order(days_ago=40))
    offer = decide(ticket, a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.reason) == (
        OfferKind.NONE,
        "unfortunately the order is outside our 30-day return window",
    )


def test_a_vip_may_return_within_sixty_days(policy: Policy) -> None:
    ticket = a_ticket(Intent.RETURN_REQUEST, order=an_order(days_ago=40, total="80.00"))
    offer = decide(ticket, a_vip(), policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.requires_return) == (
        OfferKind.RETURN_FOR_REFUND,
        Decimal("80.00"),
        True,
    )


def test_a_guest_without_an_order_is_asked_for_the_order_number(policy: Policy) -> None:
    offer = decide(a_ticket(Intent.RETURN_REQUEST), a_guest(), policy, NOW).resolution
    assert offer.offer is OfferKind.NONE
    assert offer.reason is not None
    assert "we need the order number to start a return" in offer.reason


def test_a_known_customer_is_never_asked_for_an_order_we_could_look_up(policy: Policy) -> None:
    offer = decide(a_ticket(Intent.RETURN_REQUEST), a_customer(), policy, NOW).resolution
    assert offer.offer is OfferKind.ESCALATE
    assert "order number" not in (offer.reason or "")


def test_an_unshipped_order_can_be_cancelled_with_a_refund(policy: Policy) -> None:
    order = an_order(total="45.00", fulfillment="unfulfilled")
    offer = decide(a_ticket(Intent.CANCEL_ORDER, order=order), a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.requires_return) == (OfferKind.REFUND, Decimal("45.00"), False)


def test_a_vip_discount_problem_gets_a_twenty_percent_code(policy: Policy) -> None:
    offer = decide(a_ticket(Intent.DISCOUNT_ISSUE), a_vip(), policy, NOW).resolution
    assert (offer.offer, offer.percent) == (OfferKind.DISCOUNT_CODE, Decimal("20.00"))


def test_asking_for_a_person_escalates_and_needs_a_human(policy: Policy) -> None:
    decision = decide(a_ticket(Intent.HUMAN_REQUEST), a_customer(), policy, NOW)
    assert (decision.resolution.offer, decision.needs_human) == (OfferKind.ESCALATE, True)


@pytest.mark.parametrize("intent", list(Intent))
def test_every_intent_gets_a_resolution_from_a_rule_of_the_default_policy(
    policy: Policy, intent: Intent
) -> None:
    offer = decide(a_ticket(intent, order=an_order()), a_customer(), policy, NOW).resolution
    assert offer.rule is not None
    assert offer.rule.startswith(f"resolutions.{intent.value}[")
