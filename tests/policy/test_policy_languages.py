"""`escalation.languages`: the languages handled automatically; a message in another goes to a person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.domain import CustomerProfile, Decision, Entity, Intent, IntentReading, OfferKind, Ticket
from rapport.engine import decide
from rapport.policy import Policy, PolicyError, parse_policy

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
RULES = """\
resolutions:
  damaged_item:
    - {offer: store_credit, amount: 10}
"""


BASE = """\
currency: USD
segments:
  - {name: everyone}
queues:
  - {name: all, segments: [everyone], first_response: 4h}
limits:
  default: {max_refund: 100, max_credit: 20, max_discount_percent: 10, credit_budget_90d: 50}
"""


def policy_with(escalation: str = "", rules: str = RULES) -> Policy:
    return parse_policy(BASE + rules + escalation, "shop.yaml")


def errors_of(escalation: str) -> list[str]:
    """The error lines of BASE with this `escalation:` section (line 8 on)."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(BASE + escalation, "shop.yaml")
    return str(caught.value).splitlines()


def decision_in(language: str, policy: Policy) -> Decision:
    ticket = Ticket(
        email="maya@example.com",
        message="…",
        received_at=NOW,
        reading=IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="keywords"),
        language=language,
    )
    return decide(ticket, CustomerProfile.guest("maya@example.com"), policy, NOW)


def test_english_is_the_only_language_handled_by_default() -> None:
    assert policy_with().escalation.languages == ["en"]


def test_a_message_in_a_language_not_handled_goes_to_a_person_with_the_reason() -> None:
    decision = decision_in("fr", policy_with())
    assert (decision.resolution.offer, decision.resolution.rule, decision.needs_human) == (
        OfferKind.ESCALATE,
        "escalation.languages",
        True,
    )
    assert "Escalated: the message is in fr; escalation.languages handles en" in decision.explanation


def test_a_language_the_policy_handles_gets_its_rules() -> None:
    decision = decision_in("fr", policy_with("escalation: {languages: [en, fr]}\n"))
    assert (decision.resolution.offer, decision.needs_human) == (OfferKind.STORE_CREDIT, False)


def test_a_message_whose_language_could_not_be_told_gets_its_rules() -> None:
    assert decision_in("", policy_with()).resolution.offer is OfferKind.STORE_CREDIT


def test_english_gets_its_rules() -> None:
    assert decision_in("en", policy_with()).resolution.offer is OfferKind.STORE_CREDIT


def test_a_language_rapport_cannot_tell_apart_is_an_error_with_its_line() -> None:
    errors = errors_of("escalation:\n  languages: [en, ga]\n")
    assert len(errors) == 1
    assert errors[0].startswith("shop.yaml:9: escalation.languages: ")
    assert "'ga': not a language Rapport tells apart; use ISO 639-1 codes among en, fr, es" in errors[0]


def test_a_language_listed_twice_is_an_error() -> None:
    assert "a language is listed twice" in errors_of("escalation:\n  languages: [en, fr, en]\n")[0]


def test_an_empty_list_of_languages_is_an_error() -> None:
    assert "escalation.languages" in errors_of("escalation:\n  languages: []\n")[0]


def test_a_waive_fee_rule_may_leave_the_amount_to_the_message() -> None:
    policy = policy_with(rules="resolutions:\n  billing_issue:\n    - {offer: waive_fee}\n")
    assert policy.rules_for(Intent.BILLING_ISSUE)[0].amount is None


def test_rules_can_read_the_facts_from_the_message() -> None:
    when = (
        "ticket.amount_mentioned <= 20.0 && ticket.language == 'en' && ticket.size_mentioned == 'M'"
        " && ticket.item_mentioned == 'Linen shirt'"
    )
    rules = f'resolutions:\n  wrong_item:\n    - {{when: "{when}", offer: exchange}}\n'
    ticket = Ticket(
        email="maya@example.com",
        message="…",
        received_at=NOW,
        reading=IntentReading(intent=Intent.WRONG_ITEM, confidence=0.9, source="keywords"),
        entities=(
            Entity(kind="item", value="Linen shirt"),
            Entity(kind="size", value="M"),
            Entity(kind="money", value="15.00 USD"),
            Entity(kind="language", value="en"),
        ),
    )
    decision = decide(ticket, CustomerProfile.guest("maya@example.com"), policy_with(rules=rules), NOW)
    assert decision.resolution.offer is OfferKind.EXCHANGE
