"""Rules that fail at run time never crash the engine: they do not match, and say why."""

from __future__ import annotations

from engine_builders import NOW, a_customer, a_policy, a_ticket, resolutions_for

from rapport.domain import Intent, OfferKind
from rapport.engine import decide

DAMAGED = Intent.DAMAGED_ITEM


def test_a_resolution_rule_reading_a_missing_list_element_is_skipped() -> None:
    rules = resolutions_for(
        DAMAGED,
        {"when": "customer.tags[0] == 'vip'", "offer": "store_credit", "amount": 10},
        {"offer": "apology_with_tracking"},
    )
    decision = decide(a_ticket(), a_customer(), a_policy(resolutions=rules), NOW)
    assert decision.resolution.offer is OfferKind.APOLOGY_WITH_TRACKING


def test_a_skipped_rule_is_explained() -> None:
    rules = resolutions_for(
        DAMAGED,
        {"when": "customer.tags[3] == 'x'", "offer": "store_credit", "amount": 10},
        {"offer": "apology_with_tracking"},
    )
    decision = decide(a_ticket(), a_customer(), a_policy(resolutions=rules), NOW)
    assert any(
        line.startswith("Rule resolutions.damaged_item[0] could not be evaluated")
        for line in decision.explanation
    )


def test_a_segment_rule_that_fails_lets_the_next_segment_match() -> None:
    segments = [
        {"name": "vip", "when": "customer.tags[0] == 'vip'"},  # index error for untagged customers
        {"name": "everyone"},
    ]
    queues = [{"name": "all", "segments": ["vip", "everyone"], "first_response": "1d"}]
    decision = decide(a_ticket(), a_customer(), a_policy(segments=segments, queues=queues), NOW)
    assert decision.segment == "everyone"


def test_an_intent_without_rules_escalates_by_default() -> None:
    decision = decide(a_ticket(Intent.FEEDBACK), a_customer(), a_policy(), NOW)
    assert (decision.resolution.offer, decision.resolution.rule) == (
        OfferKind.ESCALATE,
        "escalation.when_no_rule",
    )


def test_an_intent_without_rules_can_get_none_instead() -> None:
    policy = a_policy(escalation={"when_no_rule": "none"})
    assert decide(a_ticket(Intent.FEEDBACK), a_customer(), policy, NOW).resolution.offer is OfferKind.NONE


def test_tickets_below_the_confidence_threshold_need_a_human() -> None:
    policy = a_policy(escalation={"min_confidence": 0.6})
    assert decide(a_ticket(confidence=0.4), a_customer(), policy, NOW).needs_human is True
