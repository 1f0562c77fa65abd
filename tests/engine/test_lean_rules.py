"""Lean rules: the same decisions as the policy as loaded, each rule fed only the facts it reads."""

from __future__ import annotations

from engine_builders import NOW, a_customer, a_policy, a_ticket, an_order, resolutions_for
from hypothesis import HealthCheck, given, settings
from test_engine_invariants import customers, policies, tickets

from rapport.domain import CustomerProfile, Intent, Ticket
from rapport.engine import decide
from rapport.engine.lean_rules import LeanExpression, lean, lean_policy, lean_policy_of
from rapport.policy import Policy, default_policy
from rapport.policy.expressions import compile_expression


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), customer=customers(), ticket=tickets())
def test_a_lean_policy_decides_exactly_as_the_policy_as_loaded(
    policy: Policy, customer: CustomerProfile, ticket: Ticket
) -> None:
    assert decide(ticket, customer, lean_policy(policy), NOW) == decide(ticket, customer, policy, NOW)


@settings(max_examples=200, deadline=None)
@given(customer=customers(), ticket=tickets())
def test_the_lean_default_policy_decides_exactly_as_the_default_policy(
    customer: CustomerProfile, ticket: Ticket
) -> None:
    policy = default_policy()
    assert decide(ticket, customer, lean_policy(policy), NOW) == decide(ticket, customer, policy, NOW)


def test_a_rule_reads_only_the_facts_it_names() -> None:
    rule = lean(compile_expression("customer.orders_count >= 3 && segment == 'vip'"))
    assert rule.reads == (("customer", "orders_count"), ("segment", ""))


def test_a_rule_using_a_whole_variable_keeps_the_whole_context() -> None:
    rule = lean(compile_expression("customer.tags.exists(t, t == 'vip') || 'customer' in ['x']"))
    assert rule.reads is not None  # a field and a string: still lean
    assert lean(compile_expression("has(order.name) && size(customer) > 3")).reads is None


def test_a_remembered_result_is_only_reused_for_the_same_facts() -> None:
    rule = lean(compile_expression("1.0 / customer.total_spent > 0.0"))
    assert isinstance(rule, LeanExpression)
    assert rule.evaluate({"customer": {"total_spent": 0.0}}) is True  # 1 / 0.0 is +infinity
    assert rule.evaluate({"customer": {"total_spent": -0.0}}) is False  # 1 / -0.0 is -infinity
    assert rule.evaluate({"customer": {"total_spent": 0.0}}) is True


def test_the_same_ticket_twice_is_decided_the_same_with_the_results_remembered() -> None:
    policy = lean_policy(
        a_policy(
            resolutions=resolutions_for(
                Intent.DAMAGED_ITEM,
                {"when": "order.total > 50.0", "offer": "store_credit", "amount": "order.total * 0.1"},
            )
        )
    )
    ticket, customer = a_ticket(order=an_order(total="64.00")), a_customer()
    first, second = decide(ticket, customer, policy, NOW), decide(ticket, customer, policy, NOW)
    assert first == second
    assert str(first.resolution.amount) == "6.40"


def test_a_policy_is_made_lean_once_and_its_lean_copy_reused() -> None:
    policy = default_policy()
    first = lean_policy_of(policy)
    assert lean_policy_of(policy) is first
    assert isinstance(first.segments[0].when, LeanExpression)


def test_another_policy_object_gets_its_own_lean_copy_even_when_equal() -> None:
    one, other = default_policy(), default_policy()
    assert lean_policy_of(one) is not lean_policy_of(other)
