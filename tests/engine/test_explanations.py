"""The explanation lines agents read and the reasons customers read, word for word, with their numbers.

docs/policy.md ("Decisions", "Limits and the 90-day budgets") promises a line for every choice: the limit
that capped an offer and the amount it was capped at, what is left of a budget and what was already
granted, why an offer escalated. Each decision path is checked here with the exact lines.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from engine_builders import NOW, a_customer, a_policy, a_ticket, a_vip, an_order, resolutions_for

from rapport.domain import Decision, Intent, OfferKind
from rapport.engine import decide
from rapport.policy import default_policy

DAMAGED = Intent.DAMAGED_ITEM
LIMITS = {"max_refund": 100, "max_credit": 20, "max_discount_percent": 10, "credit_budget_90d": 50}


def decide_with(rule: dict[str, Any], *, order_total: str | None = "64.00", **limits: Any) -> Decision:
    policy = a_policy(limits={"default": {**LIMITS, **limits}}, resolutions=resolutions_for(DAMAGED, rule))
    order = an_order(total=order_total) if order_total is not None else None
    return decide(a_ticket(order=order), a_customer(), policy, NOW)


def resolution_lines(decision: Decision) -> list[str]:
    """The lines after the queue/priority ones and before the tone: how the offer was chosen and capped."""
    lines = list(decision.explanation)
    start = next(i for i, line in enumerate(lines) if line.startswith(("Offer ", "Rule ", "No resolution")))
    end = next(i for i, line in enumerate(lines) if line.startswith("Tone "))
    return lines[start:end]


def test_the_example_of_docs_policy_md_line_for_line() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    order = replace(an_order(total="640.00"), created_at=now - timedelta(days=5))
    ticket = replace(
        a_ticket(DAMAGED, order=order, signals=("chargeback_threat",), confidence=0.92), received_at=now
    )
    decision = decide(ticket, a_customer(orders_count=4), default_policy(), now)
    assert decision.explanation == (
        "Intent damaged_item (confidence 0.92, from keywords)",
        "Signals: chargeback_threat ('chargeback_threat') -> urgency critical",
        "Segment loyal: 'loyalty' in customer.tags || customer.orders_count >= 3 (tags [], orders count 4)",
        "Queue standard: first response within 8h (due 2026-11-23T20:00:00+00:00), escalates to agent",
        "Priority 60: queue standard base 20, urgency critical +30, signal chargeback_threat +10",
        "Escalation raised to manager: chargeback_threat needs manager",
        "Offer refund 640.00 USD by resolutions.damaged_item[1]: order.age_days <= 30 (order age days 5)",
        "Capped at 100.00 USD by limits.default.max_refund",
        "Tone friendly, acknowledging history (tone.default)",
        "Follow-up satisfaction_survey from agent after 1w (follow_ups.default)",
    )
    assert (decision.resolution.amount, decision.needs_human) == (Decimal("100.00"), False)


def test_an_offer_within_every_limit_has_only_its_rule_line() -> None:
    decision = decide_with({"offer": "partial_refund", "amount": 20})
    assert resolution_lines(decision) == [
        "Offer partial_refund 20.00 USD by resolutions.damaged_item[0] (always)"
    ]
    assert decision.resolution.capped_by is None


def test_the_credit_cap_names_the_limit_and_the_amount() -> None:
    decision = decide_with({"offer": "store_credit", "amount": 75})
    assert resolution_lines(decision) == [
        "Offer store_credit 75.00 USD by resolutions.damaged_item[0] (always)",
        "Capped at 20.00 USD by limits.default.max_credit",
    ]


def test_the_budget_cap_says_what_is_left_and_what_was_already_granted(policy: Any) -> None:
    customer = a_customer(refunds_last_90d=Decimal("180.00"), credits_last_90d=Decimal("5.00"))
    decision = decide(a_ticket(order=an_order(total="40.00")), customer, policy, NOW)
    assert resolution_lines(decision) == [
        "Offer refund 40.00 USD by resolutions.damaged_item[1]: order.age_days <= 30 (order age days 5)",
        "Capped at 15.00 USD by limits.default.refund_budget_90d (185.00 USD already granted in 90 days)",
    ]


def test_both_caps_are_explained_in_order_when_both_apply() -> None:
    customer = a_customer(credits_last_90d=Decimal("42.50"))
    policy = a_policy(resolutions=resolutions_for(DAMAGED, {"offer": "store_credit", "amount": 75}))
    decision = decide(a_ticket(), customer, policy, NOW)
    assert resolution_lines(decision)[1:] == [
        "Capped at 20.00 USD by limits.default.max_credit",
        "Capped at 7.50 USD by limits.default.credit_budget_90d (42.50 USD already granted in 90 days)",
    ]
    assert (decision.resolution.amount, decision.resolution.capped_by) == (
        Decimal("7.50"),
        "limits.default.credit_budget_90d",
    )


def test_a_spent_budget_escalates_naming_the_budget_and_the_customer_is_told_a_teammate_approves(
    policy: Any,
) -> None:
    customer = a_customer(refunds_last_90d=Decimal("200.00"))
    decision = decide(a_ticket(order=an_order(total="64.00")), customer, policy, NOW)
    assert resolution_lines(decision)[1:] == [
        "Capped at 0.00 USD by limits.default.refund_budget_90d (200.00 USD already granted in 90 days)",
        "Escalated: nothing left to grant under limits.default.refund_budget_90d",
    ]
    assert decision.resolution.reason == "a teammate needs to approve the refund"
    assert decision.explanation[-1] == "Needs a human: the resolution is an escalation"
    assert decision.needs_human


@pytest.mark.parametrize(
    ("rule", "line", "reason"),
    [
        (
            {"offer": "store_credit", "amount": 0.004},
            "Escalated: the amount rounds to nothing",
            "a teammate needs to approve the store_credit",
        ),
        (
            {"offer": "store_credit", "amount": 0},
            "Escalated: the rule's amount 0 is not a positive sum of money",
            "a teammate will work out the right amount",
        ),
        (
            {"offer": "refund", "amount": "-5.0"},
            "Escalated: the rule's amount -5.0 is not a positive sum of money",
            "a teammate will work out the right amount",
        ),
        (
            {"offer": "store_credit", "amount": "customer.tags[0] == 'vip' ? 20.0 : 5.0"},
            "Escalated: customer.tags[0] == 'vip' ? 20.0 : 5.0 could not be computed: ",
            "a teammate will work out the right amount",
        ),
        (
            {"offer": "store_credit", "amount": "1.0 / 0.0"},
            "Escalated: 1.0 / 0.0 gave inf, not a finite number",
            "a teammate will work out the right amount",
        ),
        (
            {"offer": "discount_code", "percent": "-1e27"},
            "Escalated: the rule's percent -1E+27 is not a positive discount",
            "a teammate needs to approve a discount",
        ),
        (
            {"offer": "discount_code", "percent": 0.004},
            "Escalated: the rule's percent 0.004 is not a positive discount",
            "a teammate needs to approve a discount",
        ),
    ],
    ids=[
        "rounds-to-nothing",
        "zero",
        "negative",
        "cannot-compute",
        "infinite",
        "negative-percent",
        "tiny-percent",
    ],
)
def test_an_amount_that_cannot_be_granted_escalates_with_the_reason(
    rule: dict[str, Any], line: str, reason: str
) -> None:
    decision = decide_with(rule)
    assert resolution_lines(decision)[-1].startswith(line)
    assert (decision.resolution.offer, decision.resolution.reason) == (OfferKind.ESCALATE, reason)


def test_a_discount_above_the_limit_is_capped_with_its_line() -> None:
    decision = decide_with({"offer": "discount_code", "percent": 40})
    assert resolution_lines(decision) == [
        "Offer discount_code 40% by resolutions.damaged_item[0] (always)",
        "Capped at 10.00% by limits.default.max_discount_percent",
    ]


def test_a_discount_the_segment_may_not_give_escalates_naming_the_limit() -> None:
    decision = decide_with({"offer": "discount_code", "percent": 40}, max_discount_percent=0)
    assert (
        resolution_lines(decision)[-1]
        == "Escalated: no discount allowed by limits.default.max_discount_percent"
    )
    assert (decision.resolution.capped_by, decision.resolution.reason) == (
        "limits.default.max_discount_percent",
        "a teammate needs to approve a discount",
    )


def test_an_order_above_the_automatic_ceiling_states_both_values() -> None:
    decision = decide_with({"offer": "reship"}, order_total="750.00", max_order_value_for_auto=500)
    assert resolution_lines(decision)[-1] == (
        "Escalated: order value 750.00 USD is above 500.00 USD (limits.default.max_order_value_for_auto)"
    )
    assert decision.resolution.reason == "a teammate will handle this order personally"


def test_a_replacement_worth_more_than_max_refund_states_its_worth(policy: Any) -> None:
    decision = decide(a_ticket(order=an_order(total="900.00")), a_vip(), policy, NOW)
    assert (
        resolution_lines(decision)[-1]
        == "Escalated: a replacement worth 900.00 USD is above limits.vip.max_refund"
    )
    assert decision.resolution.reason == "a teammate needs to approve the replacement"


def test_a_rule_that_fails_is_named_and_skipped() -> None:
    policy = a_policy(
        resolutions=resolutions_for(
            DAMAGED, {"when": "customer.tags[3] == 'vip'", "offer": "refund"}, {"offer": "exchange"}
        )
    )
    lines = resolution_lines(decide(a_ticket(order=an_order()), a_customer(), policy, NOW))
    assert lines[0].startswith("Rule resolutions.damaged_item[0] could not be evaluated: ")
    assert lines[0].endswith("; treated as not matching")
    assert lines[1] == "Offer exchange by resolutions.damaged_item[1] (always)"


@pytest.mark.parametrize(
    ("when_no_rule", "offer", "reason"),
    [
        ("escalate", OfferKind.ESCALATE, "a teammate will look into this personally"),
        ("none", OfferKind.NONE, "this request needs no resolution"),
    ],
)
def test_an_intent_without_a_matching_rule_says_so(when_no_rule: str, offer: OfferKind, reason: str) -> None:
    policy = a_policy(escalation={"when_no_rule": when_no_rule})
    decision = decide(a_ticket(Intent.FEEDBACK), a_customer(), policy, NOW)
    assert resolution_lines(decision) == ["No resolution rule of feedback matched"]
    assert (decision.resolution.offer, decision.resolution.reason, decision.resolution.rule) == (
        offer,
        reason,
        "escalation.when_no_rule",
    )


def test_a_reading_too_unsure_sends_the_ticket_to_a_human_with_both_numbers() -> None:
    policy = a_policy(
        escalation={"min_confidence": 0.5}, resolutions=resolutions_for(DAMAGED, {"offer": "exchange"})
    )
    decision = decide(a_ticket(confidence=0.4), a_customer(), policy, NOW)
    assert (
        decision.explanation[-1]
        == "Needs a human: intent confidence 0.40 is below escalation.min_confidence 0.50"
    )
    assert decision.needs_human


def test_a_message_that_could_not_be_read_goes_to_a_human() -> None:
    policy = a_policy(resolutions=resolutions_for(DAMAGED, {"offer": "exchange"}))
    decision = decide(a_ticket(needs_human=True), a_customer(), policy, NOW)
    assert decision.explanation[-1] == "Needs a human: the message could not be read with confidence"


def test_a_converted_offer_states_the_rate_and_both_amounts() -> None:
    policy = a_policy(
        resolutions=resolutions_for(DAMAGED, {"offer": "refund"}), currency_rates={"EUR": 1.08, "JPY": 0.0067}
    )
    decision = decide(a_ticket(order=an_order(total="200.00", currency="EUR")), a_customer(), policy, NOW)
    assert resolution_lines(decision) == [
        "Offer refund 216.00 USD by resolutions.damaged_item[0] (always)",
        "Capped at 100.00 USD by limits.default.max_refund",
        "Converted 100.00 USD to 92.59 EUR at 1 EUR = 1.08 USD (currency_rates.EUR)",
    ]
    assert (decision.resolution.amount, decision.resolution.currency) == (Decimal("92.59"), "EUR")


def test_a_spent_budget_on_a_foreign_order_escalates_without_converting_nothing() -> None:
    policy = a_policy(
        resolutions=resolutions_for(DAMAGED, {"offer": "store_credit", "amount": 10}),
        currency_rates={"EUR": 1.08},
    )
    customer = a_customer(credits_last_90d=Decimal("50.00"))
    decision = decide(a_ticket(order=an_order(total="90.00", currency="EUR")), customer, policy, NOW)
    assert resolution_lines(decision) == [
        "Offer store_credit 10.00 USD by resolutions.damaged_item[0] (always)",
        "Capped at 0.00 USD by limits.default.credit_budget_90d (50.00 USD already granted in 90 days)",
        "Escalated: nothing left to grant under limits.default.credit_budget_90d",
    ]
    assert decision.resolution.currency == "EUR"
