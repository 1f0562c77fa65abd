"""Segment, queue, deadline, priority and escalation level under the default policy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from engine_builders import NOW, a_customer, a_first_timer, a_guest, a_subscriber, a_ticket, a_vip

from rapport.domain import EscalationLevel, Intent
from rapport.engine import decide
from rapport.policy import Policy


def test_a_customer_who_spent_2450_is_vip(policy: Policy) -> None:
    decision = decide(a_ticket(), a_vip(), policy, NOW)
    assert decision.segment == "vip"
    assert decision.segment_rule.startswith("segments[0] vip: customer.total_spent >= 2000.0")


def test_the_segment_explanation_shows_the_facts_the_rule_read(policy: Policy) -> None:
    decision = decide(a_ticket(), a_vip(), policy, NOW)
    assert any("total spent 2,450.00 USD" in line for line in decision.explanation)


def test_ten_orders_make_a_vip_even_with_little_spent(policy: Policy) -> None:
    customer = a_customer(orders_count=10, total_spent=Decimal("300.00"))
    assert decide(a_ticket(), customer, policy, NOW).segment == "vip"


def test_an_active_subscription_makes_a_subscriber(policy: Policy) -> None:
    assert decide(a_ticket(), a_subscriber(), policy, NOW).segment == "subscriber"


def test_a_loyalty_tag_makes_a_loyal_customer(policy: Policy) -> None:
    assert decide(a_ticket(), a_customer(tags=("loyalty",)), policy, NOW).segment == "loyal"


def test_a_single_order_makes_a_first_timer(policy: Policy) -> None:
    assert decide(a_ticket(), a_first_timer(), policy, NOW).segment == "first_time"


def test_a_guest_is_treated_as_a_first_timer(policy: Policy) -> None:
    assert decide(a_ticket(), a_guest(), policy, NOW).segment == "first_time"


def test_two_orders_fall_through_to_standard(policy: Policy) -> None:
    assert decide(a_ticket(), a_customer(), policy, NOW).segment == "standard"


def test_vips_go_to_the_priority_queue_with_a_one_hour_deadline(policy: Policy) -> None:
    decision = decide(a_ticket(), a_vip(), policy, NOW)
    assert decision.queue == "priority"
    assert decision.first_response_due == NOW + timedelta(hours=1)


def test_standard_customers_are_answered_within_eight_hours(policy: Policy) -> None:
    decision = decide(a_ticket(), a_customer(), policy, NOW)
    assert decision.queue == "standard"
    assert decision.first_response_due == NOW + timedelta(hours=8)


def test_priority_is_the_queue_base_plus_urgency_and_signal_bumps(policy: Policy) -> None:
    decision = decide(a_ticket(signals=("chargeback_threat",)), a_vip(), policy, NOW)
    # priority queue 60 + critical urgency 30 + chargeback signal 10
    assert decision.priority == 100
    assert "Priority 100: queue priority base 60, urgency critical +30, signal chargeback_threat +10" in (
        decision.explanation
    )


def test_a_calm_standard_ticket_keeps_the_queue_base_priority(policy: Policy) -> None:
    assert decide(a_ticket(), a_customer(), policy, NOW).priority == 20


def test_escalations_go_to_the_queue_level_by_default(policy: Policy) -> None:
    assert decide(a_ticket(), a_vip(), policy, NOW).escalation_level is EscalationLevel.SENIOR


def test_a_legal_threat_raises_escalation_to_a_manager(policy: Policy) -> None:
    decision = decide(a_ticket(signals=("legal_threat",)), a_customer(), policy, NOW)
    assert decision.escalation_level is EscalationLevel.MANAGER


def test_a_safety_issue_never_lowers_a_manager_level(policy: Policy) -> None:
    decision = decide(a_ticket(signals=("legal_threat", "safety_issue")), a_customer(), policy, NOW)
    assert decision.escalation_level is EscalationLevel.MANAGER


def test_a_reading_that_needs_a_human_is_flagged(policy: Policy) -> None:
    decision = decide(a_ticket(Intent.FEEDBACK, needs_human=True), a_customer(), policy, NOW)
    assert decision.needs_human is True


def test_a_confident_ticket_with_an_automatic_offer_needs_no_human(policy: Policy) -> None:
    assert decide(a_ticket(Intent.FEEDBACK), a_customer(), policy, NOW).needs_human is False


def test_the_same_inputs_always_give_the_same_decision(policy: Policy) -> None:
    ticket, customer = a_ticket(signals=("anger",)), a_vip()
    assert decide(ticket, customer, policy, NOW) == decide(ticket, customer, policy, NOW)


def test_the_explanation_names_the_signals_read_in_the_message(policy: Policy) -> None:
    decision = decide(a_ticket(signals=("chargeback_threat",)), a_customer(), policy, NOW)
    assert "Signals: chargeback_threat ('chargeback_threat') -> urgency critical" in decision.explanation
