"""Subscription and loyalty signals from tags and metafields, and their configuration file."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.bootstrap import signal_rules_file as load_signal_rules
from rapport.domain.errors import InvalidInput
from rapport.domain.signals import SignalRules


def test_a_subscription_tag_means_an_active_subscription() -> None:
    assert SignalRules().subscription_from_tags(("VIP", "Active_Subscriber")) is True


def test_an_inactive_tag_wins_over_a_subscription_tag() -> None:
    assert SignalRules().subscription_from_tags(("subscription", "cancelled_subscriber")) is False


def test_tags_that_say_nothing_about_subscriptions_give_no_answer() -> None:
    assert SignalRules().subscription_from_tags(("newsletter",)) is None


def test_the_best_tier_among_the_tags_is_taken() -> None:
    assert SignalRules().loyalty_tier(("loyalty:silver", "Gold")) == "gold"


def test_a_loyalty_metafield_wins_over_tags() -> None:
    assert SignalRules().loyalty_tier(("gold",), (("loyalty.tier", "Bronze"),)) == "bronze"


def test_rules_are_read_from_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "signals.yaml"
    path.write_text("subscription_tags: [member]\nloyalty_tiers: [diamond]\n", encoding="utf-8")
    rules = load_signal_rules(path)
    assert (rules.subscription_from_tags(("member",)), rules.loyalty_tier(("loyalty:diamond",))) == (
        True,
        "diamond",
    )


def test_an_unknown_setting_in_the_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "signals.yaml"
    path.write_text("subscription_tag: [member]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="signals.yaml: subscription_tag: unknown signal setting"):
        load_signal_rules(path)
