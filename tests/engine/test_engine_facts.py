"""The facts rules can read."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from engine_builders import NOW, a_customer, a_guest, a_policy, a_ticket, an_order

from rapport.domain import Entity, Intent, IntentReading, OrderSummary, Ticket
from rapport.engine import build_facts
from rapport.engine.facts import mentioned_amount
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


# --- facts from the message ---------------------------------------------------------------------------


def a_ticket_saying(*entities: Entity, order: OrderSummary | None = None) -> Ticket:
    """A billing ticket whose message gave these entities."""
    return Ticket(
        email="maya@example.com",
        message="about my order",
        received_at=NOW,
        reading=IntentReading(intent=Intent.BILLING_ISSUE, confidence=0.9, source="keywords"),
        order=order,
        entities=entities,
    )


def money(value: str, *, role: str = "") -> Entity:
    return Entity(kind="money", value=value, role=role)


def test_a_message_without_facts_gives_zero_values() -> None:
    ticket = build_facts(a_ticket(), a_customer(), NOW)["ticket"]
    assert (
        ticket["amount_mentioned"],
        ticket["item_mentioned"],
        ticket["size_mentioned"],
        ticket["language"],
    ) == (0.0, "", "", "")


def test_the_amount_mentioned_is_the_fee_when_one_is_marked_else_the_first_amount() -> None:
    with_fee = a_ticket_saying(money("120.00 USD"), money("15.00 USD", role="fee"))
    without = a_ticket_saying(money("120.00 USD"), money("15.00 USD"))
    assert (with_fee.amount_mentioned, without.amount_mentioned) == (Decimal("15.00"), Decimal("120.00"))


def test_the_item_size_and_language_come_from_the_entities() -> None:
    ticket = a_ticket_saying(
        Entity(kind="item", value="Linen shirt"),
        Entity(kind="size", value="M"),
        Entity(kind="language", value="fr"),
    )
    facts = build_facts(ticket, a_customer(), NOW)["ticket"]
    assert (facts["item_mentioned"], facts["size_mentioned"], facts["language"]) == ("Linen shirt", "M", "fr")


def test_facts_given_to_the_ticket_win_over_the_entities() -> None:
    ticket = replace(a_ticket_saying(Entity(kind="size", value="M")), size_mentioned="XL", language="de")
    assert (ticket.size_mentioned, ticket.language) == ("XL", "de")


def test_the_amount_mentioned_is_in_the_policy_currency() -> None:
    policy = a_policy(currency="EUR", currency_rates={"USD": 0.9})
    facts = build_facts(a_ticket_saying(money("20.00 USD")), a_customer(), NOW, policy=policy)
    assert facts["ticket"]["amount_mentioned"] == 18.0


def test_a_dollar_amount_in_a_canadian_shop_is_canadian_dollars() -> None:
    policy = a_policy(currency="CAD", currency_rates={"USD": 1.36})
    facts = build_facts(a_ticket_saying(money("15.00 USD")), a_customer(), NOW, policy=policy)
    assert facts["ticket"]["amount_mentioned"] == 15.0


def test_an_amount_in_a_currency_without_a_rate_is_not_known() -> None:
    policy = a_policy(currency="EUR")
    assert mentioned_amount(a_ticket_saying(money("20.00 GBP")), policy) is None


def test_the_amount_mentioned_is_rounded_down_to_the_cent() -> None:
    policy = a_policy(currency="EUR", currency_rates={"USD": 0.333})
    assert mentioned_amount(a_ticket_saying(money("10.00 USD")), policy) == Decimal("3.33")
