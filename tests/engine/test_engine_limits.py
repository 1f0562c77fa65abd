"""Limits: no offer exceeds the segment's caps or the rolling 90-day budget."""

from __future__ import annotations

from decimal import Decimal

from engine_builders import (
    NOW,
    a_customer,
    a_policy,
    a_subscriber,
    a_ticket,
    a_vip,
    an_order,
    resolutions_for,
)

from rapport.domain import Intent, OfferKind
from rapport.engine import decide
from rapport.policy import Policy

DAMAGED = Intent.DAMAGED_ITEM


GENEROUS_BUDGET = {
    "default": {"max_refund": 100, "max_credit": 20, "max_discount_percent": 10, "credit_budget_90d": 1000}
}


def test_a_refund_above_max_refund_is_capped_at_the_limit() -> None:
    policy = a_policy(limits=GENEROUS_BUDGET, resolutions=resolutions_for(DAMAGED, {"offer": "refund"}))
    offer = decide(a_ticket(order=an_order(total="640.00")), a_customer(), policy, NOW).resolution
    assert (offer.amount, offer.capped_by) == (Decimal("100.00"), "limits.default.max_refund")


def test_the_cap_is_explained() -> None:
    policy = a_policy(limits=GENEROUS_BUDGET, resolutions=resolutions_for(DAMAGED, {"offer": "refund"}))
    decision = decide(a_ticket(order=an_order(total="640.00")), a_customer(), policy, NOW)
    assert "Capped at 100.00 USD by limits.default.max_refund" in decision.explanation


def test_a_refund_for_damaged_goods_is_bounded_by_max_refund_not_the_goodwill_budget(policy: Policy) -> None:
    decision = decide(a_ticket(order=an_order(total="64.00")), a_customer(), policy, NOW)
    assert (decision.resolution.amount, decision.resolution.capped_by) == (Decimal("64.00"), None)


def test_the_refund_is_capped_to_what_remains_of_the_90_day_refund_budget(policy: Policy) -> None:
    customer = a_customer(refunds_last_90d=Decimal("180.00"), credits_last_90d=Decimal("5.00"))
    offer = decide(a_ticket(order=an_order(total="40.00")), customer, policy, NOW).resolution
    assert (offer.amount, offer.capped_by) == (Decimal("15.00"), "limits.default.refund_budget_90d")


def test_an_exhausted_refund_budget_turns_the_refund_into_an_escalation(policy: Policy) -> None:
    customer = a_customer(refunds_last_90d=Decimal("200.00"))
    offer = decide(a_ticket(order=an_order(total="64.00")), customer, policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.capped_by) == (
        OfferKind.ESCALATE,
        None,
        "limits.default.refund_budget_90d",
    )


def test_store_credit_draws_on_the_goodwill_budget_which_counts_past_refunds(policy: Policy) -> None:
    customer = a_subscriber(refunds_last_90d=Decimal("45.00"))
    offer = decide(a_ticket(Intent.LATE_DELIVERY, order=an_order()), customer, policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.capped_by) == (
        OfferKind.STORE_CREDIT,
        Decimal("5.00"),
        "limits.default.credit_budget_90d",
    )


def test_without_a_refund_budget_refunds_are_bounded_only_by_max_refund() -> None:
    policy = a_policy(limits=GENEROUS_BUDGET, resolutions=resolutions_for(DAMAGED, {"offer": "refund"}))
    customer = a_customer(refunds_last_90d=Decimal("5000.00"))
    offer = decide(a_ticket(order=an_order(total="64.00")), customer, policy, NOW).resolution
    assert (offer.offer, offer.amount) == (OfferKind.REFUND, Decimal("64.00"))


def test_a_vip_budget_is_named_after_the_vip_limits(policy: Policy) -> None:
    customer = a_vip(credits_last_90d=Decimal("300.00"))
    offer = decide(a_ticket(Intent.LATE_DELIVERY, order=an_order()), customer, policy, NOW).resolution
    assert offer.capped_by == "limits.vip.credit_budget_90d"


def test_a_replacement_worth_more_than_max_refund_escalates(policy: Policy) -> None:
    offer = decide(a_ticket(order=an_order(total="900.00")), a_vip(), policy, NOW).resolution
    assert (offer.offer, offer.capped_by) == (OfferKind.ESCALATE, "limits.vip.max_refund")


def test_store_credit_is_capped_by_max_credit() -> None:
    policy = a_policy(resolutions=resolutions_for(DAMAGED, {"offer": "store_credit", "amount": 75}))
    offer = decide(a_ticket(), a_customer(), policy, NOW).resolution
    assert (offer.amount, offer.capped_by) == (Decimal("20.00"), "limits.default.max_credit")


def test_a_discount_above_the_limit_is_capped_at_the_limit() -> None:
    policy = a_policy(resolutions=resolutions_for(DAMAGED, {"offer": "discount_code", "percent": 40}))
    offer = decide(a_ticket(), a_customer(), policy, NOW).resolution
    assert (offer.percent, offer.capped_by) == (Decimal("10.00"), "limits.default.max_discount_percent")


def test_a_computed_amount_is_evaluated_against_the_order() -> None:
    rule = {"offer": "partial_refund", "amount": "order.total * 0.25"}
    policy = a_policy(resolutions=resolutions_for(DAMAGED, rule))
    offer = decide(a_ticket(order=an_order(total="64.00")), a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.capped_by) == (OfferKind.PARTIAL_REFUND, Decimal("16.00"), None)


def test_a_negative_computed_amount_escalates_instead_of_charging_the_customer() -> None:
    policy = a_policy(resolutions=resolutions_for(DAMAGED, {"offer": "refund", "amount": "-5.0"}))
    offer = decide(a_ticket(order=an_order()), a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.amount) == (OfferKind.ESCALATE, None)


def test_an_amount_that_cannot_be_computed_escalates_with_the_reason() -> None:
    amount = "customer.tags[0] == 'vip' ? 20.0 : 5.0"  # an untagged customer has no tags[0]
    policy = a_policy(resolutions=resolutions_for(DAMAGED, {"offer": "store_credit", "amount": amount}))
    decision = decide(a_ticket(order=an_order()), a_customer(), policy, NOW)
    assert decision.resolution.offer is OfferKind.ESCALATE
    assert any(line.startswith(f"Escalated: {amount} could not be computed") for line in decision.explanation)


def test_orders_above_the_automatic_ceiling_escalate() -> None:
    limits = {
        "default": {
            "max_refund": 100,
            "max_credit": 20,
            "max_discount_percent": 10,
            "credit_budget_90d": 50,
            "max_order_value_for_auto": 500,
        }
    }
    policy = a_policy(limits=limits, resolutions=resolutions_for(DAMAGED, {"offer": "reship"}))
    offer = decide(a_ticket(order=an_order(total="750.00")), a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.capped_by) == (OfferKind.ESCALATE, "limits.default.max_order_value_for_auto")


def test_a_refund_without_a_known_order_escalates_rather_than_refunding_nothing() -> None:
    policy = a_policy(resolutions=resolutions_for(DAMAGED, {"offer": "refund"}))
    assert decide(a_ticket(order=None), a_customer(), policy, NOW).resolution.offer is OfferKind.ESCALATE
