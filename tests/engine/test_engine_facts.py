"""The facts rules can read."""

from __future__ import annotations

from decimal import Decimal

from engine_builders import NOW, a_customer, a_guest, a_ticket, an_order

from rapport.engine import build_facts
from rapport.policy import FACTS


def test_facts_offer_exactly_the_documented_vocabulary() -> None:
    facts = build_facts(a_ticket(order=an_order()), a_customer(), NOW)
    assert {name: set(values) for name, values in facts.items()} == {k: set(v) for k, v in FACTS.items()}


def test_money_facts_are_doubles_so_rules_compare_with_decimals() -> None:
    facts = build_facts(a_ticket(), a_customer(total_spent=Decimal("2450.50")), NOW)
    assert facts["customer"]["total_spent"] == 2450.5


def test_a_ticket_without_an_order_gives_zero_order_facts() -> None:
    order = build_facts(a_ticket(order=None), a_customer(), NOW)["order"]
    assert order == {
        "exists": False,
        "name": "",
        "total": 0.0,
        "age_days": 0,
        "financial_status": "",
        "fulfillment_status": "",
        "is_open": False,
        "items_count": 0,
    }


def test_order_age_is_counted_in_whole_days_from_now() -> None:
    facts = build_facts(a_ticket(order=an_order(days_ago=12)), a_customer(), NOW)
    assert facts["order"]["age_days"] == 12


def test_items_count_adds_up_quantities() -> None:
    facts = build_facts(a_ticket(order=an_order(quantity=3)), a_customer(), NOW)
    assert facts["order"]["items_count"] == 3


def test_a_guest_has_no_loyalty_tier_rather_than_null() -> None:
    facts = build_facts(a_ticket(), a_guest(), NOW)
    assert facts["customer"]["loyalty_tier"] == ""
    assert facts["customer"]["is_known"] is False


def test_granted_last_90d_adds_refunds_and_credits() -> None:
    profile = a_customer(refunds_last_90d=Decimal("30.00"), credits_last_90d=Decimal("12.50"))
    assert build_facts(a_ticket(), profile, NOW)["customer"]["granted_last_90d"] == 42.5


def test_ticket_signals_are_listed_once_each() -> None:
    facts = build_facts(a_ticket(signals=("anger", "anger", "deadline")), a_customer(), NOW)
    assert facts["ticket"]["signals"] == ["anger", "deadline"]
    assert facts["ticket"]["urgency"] == "high"
