"""`waive_fee` without an amount: the fee is the one the customer mentions, capped by the limits as usual;
with no fee named, the decision escalates (it never promises to waive a fee nobody has seen)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from engine_builders import NOW, a_customer, a_guest, an_order

from rapport.domain import (
    CustomerProfile,
    Decision,
    Entity,
    Intent,
    IntentReading,
    OfferKind,
    OrderSummary,
    Ticket,
)
from rapport.engine import decide
from rapport.policy import Policy, parse_policy
from rapport.policy.loading import load_policy_with_warnings

# A membership store, its billing rules exactly as issue 11 writes them.
MEMBERSHIP = """\
currency: EUR
currency_rates: {USD: 0.9}
segments:
  - {name: gold,   when: "customer.is_known && customer.loyalty_tier == 'gold'"}
  - {name: silver, when: "customer.is_known && customer.loyalty_tier == 'silver'"}
  - {name: guest}
queues:
  - {name: members, segments: [gold, silver], first_response: 4h}
  - {name: guests,  segments: [guest], first_response: 1d}
limits:
  gold:    {max_refund: 5000, max_credit: 200, max_discount_percent: 20, credit_budget_90d: 10000}
  silver:  {max_refund: 40,   max_credit: 100, max_discount_percent: 15, credit_budget_90d: 60}
  default: {max_refund: 300,  max_credit: 30,  max_discount_percent: 10, credit_budget_90d: 500}
resolutions:
  billing_issue:
    - {when: "segment in ['gold', 'silver']", offer: waive_fee}
    - {offer: none, reason: "the fee stays"}
"""


@pytest.fixture(scope="module")
def membership() -> Policy:
    return parse_policy(MEMBERSHIP, "membership.yaml")


def fee(value: str) -> Entity:
    """A money entity the reader marked as a fee, e.g. "15.00 EUR"."""
    return Entity(kind="money", value=value, start=10, end=16, role="fee")


def billing(
    policy: Policy, customer: CustomerProfile, *entities: Entity, order: OrderSummary | None = None
) -> Decision:
    """The decision on a billing ticket whose message gave these entities."""
    ticket = Ticket(
        email=customer.email,
        message="I was charged a late fee",
        received_at=NOW,
        reading=IntentReading(intent=Intent.BILLING_ISSUE, confidence=0.9, source="keywords"),
        order=order,
        entities=entities,
    )
    return decide(ticket, customer, policy, NOW)


def test_the_membership_policy_validates_as_written_without_warnings(tmp_path: Path) -> None:
    path = tmp_path / "membership.yaml"
    path.write_text(MEMBERSHIP, encoding="utf-8")
    policy, warnings = load_policy_with_warnings(path)
    assert policy.rules_for(Intent.BILLING_ISSUE)[0].amount is None
    assert warnings == []


@pytest.mark.parametrize("tier", ["gold", "silver"])
def test_gold_and_silver_members_have_the_fee_they_name_removed(membership: Policy, tier: str) -> None:
    offer = billing(membership, a_customer(loyalty_tier=tier), fee("15.00 EUR")).resolution
    assert (offer.offer, offer.amount, offer.currency, offer.capped_by) == (
        OfferKind.WAIVE_FEE,
        Decimal("15.00"),
        "EUR",
        None,
    )


def test_the_explanation_says_the_fee_came_from_the_message(membership: Policy) -> None:
    decision = billing(membership, a_customer(loyalty_tier="gold"), fee("15.00 EUR"))
    assert any(
        line.startswith("Offer waive_fee 15.00 EUR (the fee the message names: ticket.amount_mentioned)")
        for line in decision.explanation
    )


@pytest.mark.parametrize("customer", [a_customer(loyalty_tier="bronze"), a_guest()], ids=["bronze", "guest"])
def test_everyone_else_keeps_the_fee(membership: Policy, customer: CustomerProfile) -> None:
    offer = billing(membership, customer, fee("15.00 EUR")).resolution
    assert (offer.offer, offer.reason) == (OfferKind.NONE, "the fee stays")


def test_a_fee_above_the_segment_cap_is_cut_to_the_cap(membership: Policy) -> None:
    offer = billing(membership, a_customer(loyalty_tier="silver"), fee("55.00 EUR")).resolution
    assert (offer.offer, offer.amount, offer.capped_by) == (
        OfferKind.WAIVE_FEE,
        Decimal("40.00"),
        "limits.silver.max_refund",
    )


def test_a_fee_beyond_what_is_left_of_the_goodwill_budget_is_cut_to_it(membership: Policy) -> None:
    customer = a_customer(loyalty_tier="silver", credits_last_90d=Decimal("50.00"))
    offer = billing(membership, customer, fee("15.00 EUR")).resolution
    assert (offer.offer, offer.amount, offer.capped_by) == (
        OfferKind.WAIVE_FEE,
        Decimal("10.00"),
        "limits.silver.credit_budget_90d",
    )


def test_without_a_fee_in_the_message_the_decision_escalates_and_says_why(membership: Policy) -> None:
    decision = billing(membership, a_customer(loyalty_tier="gold"))
    assert (decision.resolution.offer, decision.resolution.amount, decision.needs_human) == (
        OfferKind.ESCALATE,
        None,
        True,
    )
    assert (
        "Escalated: the rule has no amount and the message names no fee (ticket.amount_mentioned)"
        in decision.explanation
    )


def test_the_amount_beside_a_fee_word_is_the_fee_not_the_order_total(membership: Policy) -> None:
    order_total = Entity(kind="money", value="120.00 EUR", start=0, end=6)
    offer = billing(membership, a_customer(loyalty_tier="gold"), order_total, fee("15.00 EUR")).resolution
    assert (offer.offer, offer.amount) == (OfferKind.WAIVE_FEE, Decimal("15.00"))


def test_a_fee_in_another_currency_is_converted_with_the_policy_rate(membership: Policy) -> None:
    offer = billing(membership, a_customer(loyalty_tier="gold"), fee("20.00 USD")).resolution
    assert (offer.offer, offer.amount, offer.currency) == (OfferKind.WAIVE_FEE, Decimal("18.00"), "EUR")


def test_a_fee_in_a_currency_without_a_rate_is_not_guessed(membership: Policy) -> None:
    decision = billing(membership, a_customer(loyalty_tier="gold"), fee("20.00 GBP"))
    assert decision.resolution.offer is OfferKind.ESCALATE


def test_the_offer_about_an_order_in_another_currency_is_stated_in_it(membership: Policy) -> None:
    order = an_order(total="60.00", currency="USD")
    offer = billing(membership, a_customer(loyalty_tier="gold"), fee("10.00 USD"), order=order).resolution
    # 10 USD = 9.00 EUR under the limits, stated back in the order's currency
    assert (offer.offer, offer.amount, offer.currency) == (OfferKind.WAIVE_FEE, Decimal("10.00"), "USD")


def test_a_written_amount_still_wins_over_the_one_mentioned() -> None:
    policy = parse_policy(
        MEMBERSHIP.replace("offer: waive_fee}", "offer: waive_fee, amount: 12.5}"), "membership.yaml"
    )
    offer = billing(policy, a_customer(loyalty_tier="gold"), fee("15.00 EUR")).resolution
    assert (offer.offer, offer.amount) == (OfferKind.WAIVE_FEE, Decimal("12.50"))
