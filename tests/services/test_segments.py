"""Counting a policy's segments: in SQL when every rule translates, else in Python with a warning each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from rapport.policy import Policy, Segment, default_policy
from rapport.services.segments import count_segments, segment_counts, translated_rules
from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def policy_with(*rules: tuple[str, str]) -> Policy:
    segments = [Segment(name=name, when=when) for name, when in rules]
    return default_policy().model_copy(
        update={"segments": [*segments, Segment(name="everyone", when="true")]}
    )


@pytest.fixture
def store(uow_factory: Callable[[], UnitOfWork]) -> StoreBuilder:
    """Three customers of "acme": one tagged `vip` with two orders, one with one order, one with none."""
    store = StoreBuilder(uow_factory, now=NOW)
    tagged = store.customer(email="tagged@example.com", tags=("vip",))
    store.order(tagged, total="40.00")
    store.order(tagged, total="60.00", days_ago=30)
    store.order(store.customer(email="once@example.com"), total="25.00")
    store.customer(email="never@example.com")
    return store


def test_every_rule_of_the_default_policy_is_counted_in_sql() -> None:
    rules, warnings = translated_rules(default_policy(), NOW)
    assert [name for name, _ in rules] == [s.name for s in default_policy().segments]
    assert warnings == []


def test_a_rule_outside_the_subset_is_named_with_its_construct() -> None:
    policy = policy_with(("big", "customer.orders_count > 1"), ("tagged", "size(customer.tags) > 0"))
    _, warnings = translated_rules(policy, NOW)
    assert len(warnings) == 1
    assert warnings[0].startswith("segments[1] tagged: the function size() cannot be counted in SQL")


def test_sql_counts_each_customer_in_the_first_segment_that_matches(
    store: StoreBuilder, uow_factory: Callable[[], UnitOfWork]
) -> None:
    policy = policy_with(("tagged", "'vip' in customer.tags"), ("buyer", "customer.orders_count >= 1"))
    counts = count_segments(uow_factory, merchant_id=store.merchant_id, policy=policy, now=NOW)
    assert counts.method == "sql"
    assert [(s.name, s.customers) for s in counts.segments] == [("tagged", 1), ("buyer", 1), ("everyone", 1)]


def test_a_policy_with_an_untranslatable_rule_is_counted_in_python_to_the_same_sizes(
    store: StoreBuilder, uow_factory: Callable[[], UnitOfWork]
) -> None:
    in_sql = policy_with(("tagged", "'vip' in customer.tags"), ("buyer", "customer.orders_count >= 1"))
    in_python = policy_with(
        ("tagged", "customer.tags.exists(t, t == 'vip')"), ("buyer", "customer.orders_count >= 1")
    )
    sql = count_segments(uow_factory, merchant_id=store.merchant_id, policy=in_sql, now=NOW)
    python = count_segments(uow_factory, merchant_id=store.merchant_id, policy=in_python, now=NOW, batch=2)
    assert python.method == "python"
    assert "segments[0] tagged: the method .exists()" in python.warnings[0]
    assert [s.customers for s in python.segments] == [s.customers for s in sql.segments]


def test_the_policy_pages_listing_keeps_policy_order_and_rules(
    store: StoreBuilder, uow_factory: Callable[[], UnitOfWork]
) -> None:
    policy = default_policy()
    listing = segment_counts(uow_factory, merchant_id=store.merchant_id, policy=policy, now=NOW)
    assert [(s.name, s.rule) for s in listing] == [(s.name, s.when.source) for s in policy.segments]
    assert sum(s.customers for s in listing) == 3
