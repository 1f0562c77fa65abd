"""Loading the shipped policy, the membership example, and files from disk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rapport.domain import EscalationLevel, Intent, OfferKind
from rapport.policy import PolicyError, default_policy, default_policy_text, load_policy, parse_policy

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_default_policy_text_is_shipped_with_the_package() -> None:
    assert default_policy_text().startswith("# Rapport's default policy")


def test_the_default_policy_is_valid_and_in_dollars() -> None:
    assert default_policy().currency == "USD"


def test_the_default_policy_has_rules_for_every_intent() -> None:
    policy = default_policy()
    assert [intent for intent in Intent if not policy.rules_for(intent)] == []


def test_the_default_policy_segments_customers_in_the_documented_order() -> None:
    names = [segment.name for segment in default_policy().segments]
    assert names == ["vip", "subscriber", "loyal", "first_time", "standard"]


def test_the_default_priority_queue_answers_within_an_hour_and_escalates_to_a_senior() -> None:
    queue = default_policy().queue_for("vip")
    assert (queue.name, queue.first_response, queue.escalate_to) == (
        "priority",
        timedelta(hours=1),
        EscalationLevel.SENIOR,
    )


def test_segments_without_their_own_limits_use_the_default_limits() -> None:
    key, limits = default_policy().limits_for("loyal")
    assert (key, limits.max_refund, limits.credit_budget_90d) == (
        "default",
        Decimal("100.00"),
        Decimal("50.00"),
    )


def test_a_vip_damaged_item_rule_reads_as_written() -> None:
    rule = default_policy().rules_for(Intent.DAMAGED_ITEM)[0]
    assert (rule.when and rule.when.source, rule.offer, rule.shipping) == (
        "segment == 'vip'",
        OfferKind.REPLACEMENT,
        "express",
    )


def test_the_membership_example_is_valid() -> None:
    policy = load_policy(FIXTURES / "membership.yaml")
    assert [s.name for s in policy.segments] == ["gold", "silver", "bronze", "guest"]


def test_the_membership_example_has_its_own_brand() -> None:
    brand = load_policy(FIXTURES / "membership.yaml").brand
    assert (brand.store_name, brand.locale) == ("Maison Lune", "fr_FR")


def test_templates_dir_is_resolved_next_to_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(default_policy_text() + "templates_dir: replies\n", encoding="utf-8")
    assert load_policy(path).templates_dir == tmp_path / "replies"


def test_parsed_text_keeps_templates_dir_as_written() -> None:
    policy = parse_policy(default_policy_text() + "templates_dir: replies\n", "inline")
    assert policy.templates_dir == Path("replies")


def test_an_unknown_section_is_reported_as_an_unknown_field() -> None:
    text = default_policy_text().replace("brand:\n  store_name: Our Store\n", "unused:\n  store_name: x\n")
    with pytest.raises(PolicyError, match="unused: unknown field"):
        parse_policy(text, "p.yaml")


def test_a_missing_file_is_a_policy_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nope\.yaml:1: cannot read the policy"):
        load_policy(tmp_path / "nope.yaml")
