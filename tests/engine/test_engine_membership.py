"""The membership policy (tests/policy/fixtures/membership.yaml), read as the merchant wrote it:

gold members get unlimited returns, silver within 180 days, bronze within 90, guests within 30;
a disputed fee is removed for gold and silver members only.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from engine_builders import NOW, a_customer, a_guest, a_ticket, an_order

from rapport.domain import CustomerProfile, Intent, OfferKind
from rapport.engine import decide
from rapport.policy import Policy, load_policy

MEMBERSHIP = Path(__file__).parents[1] / "policy" / "fixtures" / "membership.yaml"


@pytest.fixture(scope="module")
def membership() -> Policy:
    return load_policy(MEMBERSHIP)


def member(tier: str) -> CustomerProfile:
    return a_customer(loyalty_tier=tier)


def return_offer(policy: Policy, customer: CustomerProfile, *, days_ago: int) -> OfferKind:
    ticket = a_ticket(Intent.RETURN_REQUEST, order=an_order(days_ago=days_ago, total="90.00", currency="EUR"))
    return decide(ticket, customer, policy, NOW).resolution.offer


def test_gold_members_can_return_an_order_from_two_years_ago(membership: Policy) -> None:
    assert return_offer(membership, member("gold"), days_ago=730) is OfferKind.RETURN_FOR_REFUND


def test_silver_members_can_return_within_180_days(membership: Policy) -> None:
    assert return_offer(membership, member("silver"), days_ago=180) is OfferKind.RETURN_FOR_REFUND


def test_silver_members_cannot_return_after_180_days(membership: Policy) -> None:
    assert return_offer(membership, member("silver"), days_ago=181) is OfferKind.NONE


def test_bronze_members_can_return_within_90_days(membership: Policy) -> None:
    assert return_offer(membership, member("bronze"), days_ago=90) is OfferKind.RETURN_FOR_REFUND


def test_bronze_members_cannot_return_after_90_days(membership: Policy) -> None:
    assert return_offer(membership, member("bronze"), days_ago=91) is OfferKind.NONE


def test_guests_can_return_within_30_days(membership: Policy) -> None:
    assert return_offer(membership, a_guest(), days_ago=30) is OfferKind.RETURN_FOR_REFUND


def test_guests_cannot_return_after_30_days(membership: Policy) -> None:
    assert return_offer(membership, a_guest(), days_ago=31) is OfferKind.NONE


def test_a_declined_return_states_the_window(membership: Policy) -> None:
    ticket = a_ticket(Intent.RETURN_REQUEST, order=an_order(days_ago=31, currency="EUR"))
    assert (
        decide(ticket, a_guest(), membership, NOW).resolution.reason
        == "the order is outside your return window"
    )


@pytest.mark.parametrize("tier", ["gold", "silver"])
def test_gold_and_silver_members_have_a_disputed_fee_removed(membership: Policy, tier: str) -> None:
    offer = decide(a_ticket(Intent.BILLING_ISSUE), member(tier), membership, NOW).resolution
    assert (offer.offer, offer.amount, offer.currency) == (OfferKind.WAIVE_FEE, Decimal("12.50"), "EUR")


@pytest.mark.parametrize("customer", [member("bronze"), a_guest()], ids=["bronze", "guest"])
def test_bronze_members_and_guests_keep_the_fee(membership: Policy, customer: CustomerProfile) -> None:
    offer = decide(a_ticket(Intent.BILLING_ISSUE), customer, membership, NOW).resolution
    assert (offer.offer, offer.reason) == (
        OfferKind.NONE,
        "disputed fees are removed for gold and silver members",
    )
