"""Replaying past tickets under two policies: changes, money, caps, and 90-day budgets that fill up."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from engine_builders import NOW, a_customer, a_policy, a_ticket, a_vip, an_order, resolutions_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_invariants import assert_within_limits, customers, policies, tickets

from rapport.domain import CustomerProfile, Intent, OfferKind, Ticket
from rapport.engine import decide
from rapport.engine.replay import PastTicket, Verdict, replay
from rapport.policy import Policy, default_policy

DEFAULT = default_policy()
LATE_CREDIT = a_policy(
    resolutions=resolutions_for(Intent.LATE_DELIVERY, {"offer": "store_credit", "amount": 20})
)
LATE_APOLOGY = a_policy(resolutions=resolutions_for(Intent.LATE_DELIVERY, {"offer": "apology_with_tracking"}))


def past(
    ticket: Ticket, customer: CustomerProfile, *, days: float = 0, minutes: float | None = 10
) -> PastTicket:
    return PastTicket(
        ticket=replace(ticket, received_at=NOW + timedelta(days=days)),
        profile=customer,
        handled_minutes=minutes,
    )


def late(days: float = 0, customer: CustomerProfile | None = None) -> PastTicket:
    return past(a_ticket(Intent.LATE_DELIVERY, order=an_order()), customer or a_customer(), days=days)


def test_identical_policies_change_no_decision() -> None:
    history = [late(0), past(a_ticket(Intent.DAMAGED_ITEM, order=an_order()), a_vip(), days=1)]
    result = replay(history, DEFAULT, DEFAULT)
    assert (result.total.changed, result.total.kind_changed, result.total.amount_changed) == (0, 0, 0)


def test_a_new_credit_counts_as_a_change_of_offer_kind_and_adds_its_money() -> None:
    result = replay([late(0)], LATE_APOLOGY, LATE_CREDIT)
    assert result.total.kind_changed == 1
    assert result.total.transitions == {("apology_with_tracking", "store_credit"): 1}
    assert result.total.current.money == {}
    assert result.total.candidate.money == {"USD": Decimal("20.00")}


def test_a_different_amount_of_the_same_offer_counts_as_an_amount_change() -> None:
    smaller = a_policy(
        resolutions=resolutions_for(Intent.LATE_DELIVERY, {"offer": "store_credit", "amount": 10})
    )
    result = replay([late(0)], smaller, LATE_CREDIT)
    assert (result.total.kind_changed, result.total.amount_changed, result.total.changed) == (0, 1, 1)


def test_grants_accumulate_per_customer_until_the_90_day_budget_runs_out() -> None:
    # 20.00 a time against a 50.00 budget: 20, 20, then 10 (capped), then nothing left (escalated).
    history = [late(day) for day in range(4)]
    result = replay(history, LATE_APOLOGY, LATE_CREDIT)
    offers = [o.candidate.resolution for o in result.outcomes]
    assert [o.amount for o in offers] == [Decimal("20.00"), Decimal("20.00"), Decimal("10.00"), None]
    assert offers[3].offer is OfferKind.ESCALATE
    assert result.total.candidate.budget_exhausted == 2
    assert result.total.candidate.money == {"USD": Decimal("50.00")}


def test_grants_older_than_90_days_no_longer_count_against_the_budget() -> None:
    history = [late(0), late(1), late(95), late(96)]
    amounts = [o.candidate.resolution.amount for o in replay(history, LATE_APOLOGY, LATE_CREDIT).outcomes]
    assert amounts == [Decimal("20.00")] * 4


def test_each_customer_has_a_budget_of_their_own() -> None:
    other = a_customer(email="omar@example.com")
    history = [late(0), late(1), late(2, other), late(3, other)]
    amounts = [o.candidate.resolution.amount for o in replay(history, LATE_APOLOGY, LATE_CREDIT).outcomes]
    assert amounts == [Decimal("20.00")] * 4


def test_each_policy_fills_the_budget_with_its_own_grants_only() -> None:
    history = [late(day) for day in range(3)]
    result = replay(history, LATE_CREDIT, LATE_CREDIT)
    assert [o.current for o in result.outcomes] == [o.candidate for o in result.outcomes]
    assert result.total.current.money == {"USD": Decimal("50.00")}


def test_tickets_are_replayed_in_arrival_order_and_reported_in_the_order_given() -> None:
    history = [late(2), late(0), late(1)]  # the third arrival comes first in the file
    amounts = [o.candidate.resolution.amount for o in replay(history, LATE_APOLOGY, LATE_CREDIT).outcomes]
    assert amounts == [Decimal("10.00"), Decimal("20.00"), Decimal("20.00")]


def test_each_ticket_is_decided_at_its_own_arrival_time() -> None:
    ticket = past(a_ticket(Intent.DAMAGED_ITEM, order=an_order()), a_customer(), days=3)
    outcome = replay([ticket], DEFAULT, DEFAULT).outcomes[0]
    assert outcome.current == Verdict.of(
        decide(ticket.ticket, ticket.profile, DEFAULT, NOW + timedelta(days=3))
    )


def test_tickets_are_tallied_per_segment_and_queue_by_each_policys_own_grouping() -> None:
    everyone_fast = a_policy(
        queues=[{"name": "fast", "segments": ["vip", "everyone"], "first_response": "1h"}],
    )
    result = replay([late(0)], a_policy(), everyone_fast)
    assert result.queues["normal"].current.tickets == 1
    assert result.queues["normal"].candidate.tickets == 0
    assert result.queues["fast"].candidate.tickets == 1
    assert result.queues["normal"].changed == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), customer=customers(), ticket=tickets())
def test_replaying_under_identical_policies_changes_nothing(
    policy: Policy, customer: CustomerProfile, ticket: Ticket
) -> None:
    history = [past(ticket, customer, days=day) for day in (0, 10, 20)]
    result = replay(history, policy, policy)
    assert result.total.changed == 0
    assert all(o.current == o.candidate for o in result.outcomes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy=policies(),
    customer=customers(),
    ticket=tickets(),
    days=st.lists(st.integers(0, 200), min_size=1, max_size=6),
)
def test_the_candidates_offers_never_exceed_its_limits_as_its_grants_accumulate(
    policy: Policy, customer: CustomerProfile, ticket: Ticket, days: list[int]
) -> None:
    history = [past(ticket, customer, days=day) for day in sorted(days)]
    result = replay(history, DEFAULT, policy)
    granted: list[tuple[int, Decimal, bool]] = []  # (day, worth in the policy's currency, a refund)
    for day, item, outcome in zip(sorted(days), history, result.outcomes, strict=True):
        window = [g for g in granted if g[0] > day - 90]
        seen = replace(
            customer,
            refunds_last_90d=max(Decimal(0), customer.refunds_last_90d)
            + sum((g[1] for g in window if g[2]), Decimal(0)),
            credits_last_90d=max(Decimal(0), customer.credits_last_90d)
            + sum((g[1] for g in window if not g[2]), Decimal(0)),
        )
        assert_within_limits(outcome.candidate, policy, seen, item.ticket)
        offer = outcome.candidate.resolution
        if offer.amount is not None and offer.offer is not OfferKind.DISCOUNT_CODE:
            rate = Decimal(1) if offer.currency == policy.currency else policy.currency_rates[offer.currency]
            refund = offer.offer in {OfferKind.REFUND, OfferKind.PARTIAL_REFUND, OfferKind.RETURN_FOR_REFUND}
            granted.append((day, offer.amount * rate, refund))
