"""The invariant: no decision ever offers more than the policy's limits.

Checked over random customers, tickets and random policies built with hostile amounts
(huge, negative, non-numeric, failing expressions) and random limits, including zero.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine_builders import NOW, a_customer, a_ticket, an_order
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.domain import MONEY_OFFERS, CustomerProfile, Decision, Intent, OfferKind, Ticket
from rapport.engine import decide
from rapport.policy import SIGNAL_KINDS, Policy, default_policy, policy_from_data

CENT = Decimal("0.01")
FREE_OFFERS = {OfferKind.APOLOGY_WITH_TRACKING, OfferKind.NONE, OfferKind.ESCALATE}
SHIPPED = {OfferKind.REPLACEMENT, OfferKind.RESHIP, OfferKind.FREE_SHIPPING_UPGRADE}

HOSTILE_AMOUNTS: list[Any] = [
    0,
    0.004,
    15,
    99.999,
    1e9,
    1e300,
    "order.total",
    "order.total * 1000.0",
    "order.total - 1000000.0",
    "-5.0",
    "-1e300",
    "1e300",
    "customer.total_spent * 3.0",
    "customer.orders_count",
    "customer.granted_last_90d + 0.01",
    "customer.tags[0] == 'vip' ? 1e12 : -1.0",  # fails when the customer has no tags
    "'lots'",
    "true",
    "1.0 / 0.0",
    "customer.tags[7]",
]
# Literal percents above 100 are refused at load time; expressions can still give anything.
HOSTILE_PERCENTS = [a for a in HOSTILE_AMOUNTS if isinstance(a, str) or a <= 100] + [50, 100]
CONDITIONS = [
    "order.exists",
    "order.age_days <= 30",
    "segment == 'vip'",
    "customer.orders_count >= 3",
    "customer.tags[1] == 'vip'",  # fails at run time for most customers
    "'anger' in ticket.signals",
    "order.total > 100.0",
]

RATES = st.sampled_from(["0.93", "150.25", "0.000000001", "1000000000", "1"])
money = st.decimals(min_value=-100, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
limit_values = st.one_of(st.just(0), st.decimals(min_value=0, max_value=10**6, places=3).map(float))


@st.composite
def limits(draw: st.DrawFn) -> dict[str, Any]:
    entry = {
        "max_refund": draw(limit_values),
        "max_credit": draw(limit_values),
        "max_discount_percent": draw(st.integers(0, 100)),
        "credit_budget_90d": draw(limit_values),
    }
    if draw(st.booleans()):
        entry["refund_budget_90d"] = draw(limit_values)
    if draw(st.booleans()):
        entry["max_order_value_for_auto"] = draw(limit_values)
    return entry


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(OfferKind)))
    rule: dict[str, Any] = {"offer": kind.value}
    if kind in MONEY_OFFERS and (
        kind not in {OfferKind.REFUND, OfferKind.RETURN_FOR_REFUND} or draw(st.booleans())
    ):
        rule["amount"] = draw(st.sampled_from(HOSTILE_AMOUNTS))
    if kind is OfferKind.DISCOUNT_CODE:
        rule["percent"] = draw(st.sampled_from(HOSTILE_PERCENTS))
    if kind in SHIPPED:
        rule["shipping"] = draw(st.sampled_from(["standard", "express", "overnight"]))
    if kind is OfferKind.NONE:
        rule["reason"] = "not this time"
    return rule


def _intent_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    chosen = draw(st.lists(rules(), min_size=1, max_size=4))
    for rule in chosen[:-1]:  # only the last rule may be a catch-all, as the loader requires
        rule["when"] = draw(st.sampled_from(CONDITIONS))
    if draw(st.booleans()):
        chosen[-1]["when"] = draw(st.sampled_from(CONDITIONS))
    return chosen


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    intents = draw(st.lists(st.sampled_from(list(Intent)), min_size=1, max_size=6, unique=True))
    currency = draw(st.sampled_from(["USD", "EUR", "JPY"]))
    rates = {"EUR": {"USD": draw(RATES)}, "JPY": {"USD": draw(RATES)}}.get(currency, {})
    document = {
        "currency": currency,
        "currency_rates": rates if draw(st.booleans()) else {},
        "segments": [
            {"name": "vip", "when": f"customer.total_spent >= {draw(st.integers(0, 5000))}.0"},
            {"name": "everyone"},
        ],
        "queues": [{"name": "all", "segments": ["vip", "everyone"], "first_response": "4h"}],
        "limits": {"default": draw(limits()), **({"vip": draw(limits())} if draw(st.booleans()) else {})},
        "resolutions": {intent.value: _intent_rules(draw) for intent in intents},
    }
    return policy_from_data(document, "generated")


@st.composite
def customers(draw: st.DrawFn) -> CustomerProfile:
    return a_customer(
        is_known=draw(st.booleans()),
        orders_count=draw(st.integers(0, 50)),
        total_spent=draw(money),
        refunds_last_90d=draw(money),
        credits_last_90d=draw(money),
        tags=tuple(draw(st.lists(st.sampled_from(["loyalty", "vip", "wholesale"]), max_size=2))),
        has_active_subscription=draw(st.booleans()),
    )


@st.composite
def tickets(draw: st.DrawFn) -> Ticket:
    order = None
    if draw(st.booleans()):
        total = draw(st.decimals(min_value=0, max_value=10**7, places=2))
        order = an_order(total=str(total), days_ago=draw(st.integers(0, 3000)))
    return a_ticket(
        draw(st.sampled_from(list(Intent))),
        order=order,
        signals=tuple(draw(st.lists(st.sampled_from(sorted(SIGNAL_KINDS)), max_size=3))),
        confidence=draw(st.floats(0, 1)),
    )


def assert_within_limits(
    decision: Decision, policy: Policy, customer: CustomerProfile, ticket: Ticket
) -> None:
    _, limit = policy.limits_for(decision.segment)
    offer = decision.resolution
    order_total = ticket.order.total if ticket.order else Decimal(0)
    # Generated orders are in USD: the offer speaks USD when the policy can convert it, else the policy's.
    order_currency = ticket.order.currency if ticket.order else None
    convertible = order_currency == policy.currency or order_currency in policy.currency_rates
    assert offer.currency == (order_currency if convertible else policy.currency)
    if offer.offer in MONEY_OFFERS:
        assert offer.amount is not None
        assert Decimal(0) < offer.amount == offer.amount.quantize(CENT)
        # Limits are in the policy's currency: the offer (in the order's) is worth at most the limit.
        rate = Decimal(1) if offer.currency == policy.currency else policy.currency_rates[offer.currency]
        worth = offer.amount * rate
        assert worth <= getattr(limit, MONEY_OFFERS[offer.offer])
        # The budget, computed here from the raw history (docs/policy.md), not with the engine's helpers.
        granted = max(Decimal(0), customer.refunds_last_90d) + max(Decimal(0), customer.credits_last_90d)
        goodwill = offer.offer in {OfferKind.STORE_CREDIT, OfferKind.WAIVE_FEE}
        budget = limit.credit_budget_90d if goodwill else limit.refund_budget_90d
        assert budget is None or worth <= max(Decimal(0), budget - granted)
        if offer.offer in {OfferKind.REFUND, OfferKind.PARTIAL_REFUND, OfferKind.RETURN_FOR_REFUND}:
            assert ticket.order is None or offer.amount <= ticket.order.total
    else:
        assert offer.amount is None
    if offer.offer is OfferKind.DISCOUNT_CODE:
        assert offer.percent is not None
        assert Decimal(0) < offer.percent <= limit.max_discount_percent
    else:
        assert offer.percent is None
    if offer.offer in {OfferKind.REPLACEMENT, OfferKind.RESHIP}:
        assert order_total <= limit.max_refund
    ceiling = limit.max_order_value_for_auto
    if ceiling is not None and order_total > ceiling:
        assert offer.offer in FREE_OFFERS


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), customer=customers(), ticket=tickets())
def test_no_generated_policy_ever_offers_more_than_its_limits(
    policy: Policy, customer: CustomerProfile, ticket: Ticket
) -> None:
    assert_within_limits(decide(ticket, customer, policy, NOW), policy, customer, ticket)


@settings(max_examples=300, deadline=None)
@given(customer=customers(), ticket=tickets())
def test_the_default_policy_never_offers_more_than_its_limits(
    customer: CustomerProfile, ticket: Ticket
) -> None:
    policy = DEFAULT
    assert_within_limits(decide(ticket, customer, policy, NOW), policy, customer, ticket)


@settings(max_examples=100, deadline=None)
@given(policy=policies(), customer=customers(), ticket=tickets())
def test_deciding_twice_gives_the_same_decision(
    policy: Policy, customer: CustomerProfile, ticket: Ticket
) -> None:
    assert decide(ticket, customer, policy, NOW) == decide(ticket, customer, policy, NOW)


DEFAULT = default_policy()
